"""Pods: v1 defaults, QoS class, the spec's validation and its immutability.

What Kubernetes 1.32 does to a v1 Pod, in the order it does it:

1. Defaulting (``pkg/apis/core/v1/defaults.go``): the pod spec's
   ``restartPolicy``, ``dnsPolicy``, ``terminationGracePeriodSeconds``,
   ``securityContext``, ``schedulerName`` and ``enableServiceLinks``; per
   container ``terminationMessagePath``/``Policy``, ``imagePullPolicy`` (from
   the image tag), ``resources`` and the ports' ``protocol``; requests copied
   from limits; probe and handler defaults; volume sources' ``defaultMode``.
   What admission plugins add (tolerations, service account and token
   volume, priority, LimitRange defaults) is theirs (``apiserver/admission``).
2. ``PrepareForCreate``: the status is replaced by ``Pending`` and the
   computed ``qosClass`` (plus the ``SchedulingGated`` condition when the pod
   has scheduling gates).
3. Validation with upstream's field paths and messages. On update, the spec
   is immutable except for images, ``activeDeadlineSeconds`` (only shorter),
   added tolerations, removed scheduling gates and a negative grace period
   raised to 1; anything else is the famous ``spec: Forbidden: pod updates may
   not change fields other than ...``. Upstream appends a ``cmp.Diff`` of its
   internal Go structs to that message; we append a diff of the changed JSON
   paths instead (same purpose, different rendering).

Deletion is graceful only for pods bound to a node and not finished: the
kubelet must stop the containers first (``graceful_delete_seconds``).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator, Mapping
from typing import Any, Final

from kubeling.api import naming
from kubeling.api.field import (
    FieldError,
    FieldPath,
    duplicate,
    forbidden,
    invalid,
    not_found,
    not_supported,
    required,
)
from kubeling.api.labels import validate_labels
from kubeling.api.quantity import Quantity
from kubeling.apiserver.rest.strategy import Strategy
from kubeling.apiserver.strategies._checks import (
    PROTOCOLS,
    TAINT_EFFECTS,
    as_list,
    as_map,
    dns_label_errors,
    inclusive_range_error,
    is_valid_port_name,
    is_valid_port_num,
    nonnegative,
    one_volume_source_errors,
    quantity_of,
    required_one_of,
    validate_port_num_or_name,
)

__all__ = [
    "UPDATABLE_POD_SPEC_FIELDS",
    "PodStrategy",
    "default_container",
    "default_pod_spec",
    "image_pull_policy",
    "pod_qos_class",
    "validate_pod_spec",
]

Obj = dict[str, Any]

UPDATABLE_POD_SPEC_FIELDS: Final = (
    "`spec.containers[*].image`",
    "`spec.initContainers[*].image`",
    "`spec.activeDeadlineSeconds`",
    "`spec.tolerations` (only additions to existing tolerations)",
    "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)",
)

RESTART_POLICIES: Final = ("Always", "OnFailure", "Never")
DNS_POLICIES: Final = ("ClusterFirstWithHostNet", "ClusterFirst", "Default", "None")
PULL_POLICIES: Final = ("Always", "IfNotPresent", "Never")
TERMINATION_MESSAGE_POLICIES: Final = ("File", "FallbackToLogsOnError")
TOLERATION_OPERATORS: Final = ("Equal", "Exists")

_VOLUME_SOURCES: Final = (
    "hostPath",
    "emptyDir",
    "gcePersistentDisk",
    "awsElasticBlockStore",
    "gitRepo",
    "secret",
    "nfs",
    "iscsi",
    "glusterfs",
    "persistentVolumeClaim",
    "rbd",
    "flexVolume",
    "cinder",
    "cephfs",
    "flocker",
    "downwardAPI",
    "fc",
    "azureFile",
    "configMap",
    "vsphereVolume",
    "quobyte",
    "azureDisk",
    "photonPersistentDisk",
    "projected",
    "portworxVolume",
    "scaleIO",
    "storageos",
    "csi",
    "ephemeral",
    "image",
)

_SPEC: Final = FieldPath("spec")


# -- defaults ----------------------------------------------------------------


def image_pull_policy(image: str) -> str:
    """``Always`` for ``:latest`` or an untagged image without digest, else ``IfNotPresent``.

    >>> image_pull_policy("nginx"), image_pull_policy("nginx:1.27"), image_pull_policy("a@sha256:0")
    ('Always', 'IfNotPresent', 'IfNotPresent')
    """
    if not image or image.strip() != image:
        return "IfNotPresent"  # unparsable references get no tag, as upstream
    name, _, digest = image.partition("@")
    last = name.rsplit("/", 1)[-1]
    tag = last.rpartition(":")[2] if ":" in last else ""
    if not tag and not digest:
        tag = "latest"
    return "Always" if tag == "latest" else "IfNotPresent"


def _default_http_get(action: object) -> None:
    if isinstance(action, dict):
        if not action.get("path"):
            action["path"] = "/"
        if not action.get("scheme"):
            action["scheme"] = "HTTP"


def _default_probe(probe: object) -> None:
    if not isinstance(probe, dict):
        return
    for key, value in (
        ("timeoutSeconds", 1),
        ("periodSeconds", 10),
        ("successThreshold", 1),
        ("failureThreshold", 3),
    ):
        if not probe.get(key):
            probe[key] = value
    _default_http_get(probe.get("httpGet"))
    grpc = probe.get("grpc")
    if isinstance(grpc, dict) and grpc.get("service") is None:
        grpc["service"] = ""


def _default_field_refs(holder: Mapping[str, Any]) -> None:
    field_ref = holder.get("fieldRef")
    if isinstance(field_ref, dict) and not field_ref.get("apiVersion"):
        field_ref["apiVersion"] = "v1"
    resource_ref = holder.get("resourceFieldRef")
    if isinstance(resource_ref, dict) and not resource_ref.get("divisor"):
        resource_ref["divisor"] = "0"


def default_container(container: Obj, *, host_network: bool = False) -> None:
    """Fill one container's defaults in place (``SetDefaults_Container`` and friends)."""
    if not container.get("terminationMessagePath"):
        container["terminationMessagePath"] = "/dev/termination-log"
    if not container.get("terminationMessagePolicy"):
        container["terminationMessagePolicy"] = "File"
    if not container.get("imagePullPolicy"):
        container["imagePullPolicy"] = image_pull_policy(str(container.get("image") or ""))
    if not isinstance(container.get("resources"), dict):
        container["resources"] = {}
    resources = container["resources"]
    limits = resources.get("limits")
    if isinstance(limits, dict) and limits:
        requests = resources.setdefault("requests", {})
        if isinstance(requests, dict):
            for name, value in limits.items():
                requests.setdefault(name, value)
    for port in as_list(container.get("ports")):
        if isinstance(port, dict):
            if not port.get("protocol"):
                port["protocol"] = "TCP"
            if host_network and not port.get("hostPort") and port.get("containerPort"):
                port["hostPort"] = port["containerPort"]
    for env in as_list(container.get("env")):
        if isinstance(env, dict):
            _default_field_refs(as_map(env.get("valueFrom")))
    for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
        _default_probe(container.get(probe))
    lifecycle = as_map(container.get("lifecycle"))
    for hook in ("postStart", "preStop"):
        _default_http_get(as_map(lifecycle.get(hook)).get("httpGet"))


def _default_volume(volume: Obj) -> None:
    if not any(source in volume for source in _VOLUME_SOURCES):
        volume["emptyDir"] = {}
    for source in ("secret", "configMap", "downwardAPI", "projected"):
        body = volume.get(source)
        if isinstance(body, dict) and body.get("defaultMode") is None:
            body["defaultMode"] = 420
    host_path = volume.get("hostPath")
    if isinstance(host_path, dict) and host_path.get("type") is None:
        host_path["type"] = ""
    for item in as_list(as_map(volume.get("downwardAPI")).get("items")):
        if isinstance(item, dict):
            _default_field_refs(item)
    for projection in as_list(as_map(volume.get("projected")).get("sources")):
        if not isinstance(projection, dict):
            continue
        token = projection.get("serviceAccountToken")
        if isinstance(token, dict) and not token.get("expirationSeconds"):
            token["expirationSeconds"] = 3600
        for item in as_list(as_map(projection.get("downwardAPI")).get("items")):
            if isinstance(item, dict):
                _default_field_refs(item)
    iscsi = volume.get("iscsi")
    if isinstance(iscsi, dict) and not iscsi.get("iscsiInterface"):
        iscsi["iscsiInterface"] = "default"
    rbd = volume.get("rbd")
    if isinstance(rbd, dict):
        for key, value in (("pool", "rbd"), ("user", "admin"), ("keyring", "/etc/ceph/keyring")):
            if not rbd.get(key):
                rbd[key] = value


def default_pod_spec(spec: Obj) -> None:
    """Fill a v1 PodSpec's defaults in place (also used for pod templates)."""
    if not spec.get("dnsPolicy"):
        spec["dnsPolicy"] = "ClusterFirst"
    if not spec.get("restartPolicy"):
        spec["restartPolicy"] = "Always"
    if spec.get("terminationGracePeriodSeconds") is None:
        spec["terminationGracePeriodSeconds"] = 30
    if not isinstance(spec.get("securityContext"), dict):
        spec["securityContext"] = {}
    if not spec.get("schedulerName"):
        spec["schedulerName"] = "default-scheduler"
    if spec.get("enableServiceLinks") is None:
        spec["enableServiceLinks"] = True
    # v1 keeps the deprecated serviceAccount in step with serviceAccountName.
    if not spec.get("serviceAccountName") and spec.get("serviceAccount"):
        spec["serviceAccountName"] = spec["serviceAccount"]
    if spec.get("serviceAccountName"):
        spec["serviceAccount"] = spec["serviceAccountName"]
    host_network = spec.get("hostNetwork") is True
    for kind in ("initContainers", "containers", "ephemeralContainers"):
        for container in as_list(spec.get(kind)):
            if isinstance(container, dict):
                default_container(
                    container, host_network=host_network and kind != "ephemeralContainers"
                )
    for volume in as_list(spec.get("volumes")):
        if isinstance(volume, dict):
            _default_volume(volume)


# -- QoS ---------------------------------------------------------------------

_QOS_RESOURCES: Final = ("cpu", "memory")
_ZERO: Final = Quantity(0)


def pod_qos_class(spec: Mapping[str, Any]) -> str:
    """``Guaranteed``, ``Burstable`` or ``BestEffort``, computed as the kubelet's ``qos``.

    Only cpu and memory count. Guaranteed: every (init) container limits both,
    and every request equals its limit.
    """
    requests: dict[str, Quantity] = {}
    limits: dict[str, Quantity] = {}
    guaranteed = True
    for kind in ("containers", "initContainers"):
        for container in as_list(spec.get(kind)):
            resources = as_map(as_map(container).get("resources"))
            for name, raw in as_map(resources.get("requests")).items():
                value = quantity_of(raw)
                if name in _QOS_RESOURCES and value is not None and value > _ZERO:
                    requests[name] = requests.get(name, _ZERO) + value
            found: set[str] = set()
            for name, raw in as_map(resources.get("limits")).items():
                value = quantity_of(raw)
                if name in _QOS_RESOURCES and value is not None and value > _ZERO:
                    found.add(name)
                    limits[name] = limits.get(name, _ZERO) + value
            if not found.issuperset(_QOS_RESOURCES):
                guaranteed = False
    if not requests and not limits:
        return "BestEffort"
    if guaranteed:
        for name, request in requests.items():
            if name not in limits or limits[name] != request:
                guaranteed = False
                break
    if guaranteed and len(requests) == len(limits):
        return "Guaranteed"
    return "Burstable"


# -- validation --------------------------------------------------------------


def _validate_resources(resources: Mapping[str, Any], path: FieldPath) -> list[FieldError]:
    errs: list[FieldError] = []
    limits_path, requests_path = path.child("limits"), path.child("requests")
    limits: dict[str, Quantity] = {}
    for name, raw in as_map(resources.get("limits")).items():
        value = quantity_of(raw)
        here = limits_path.key(name)
        if value is None:
            errs.append(invalid(here, raw, "must be a valid quantity"))
            continue
        limits[name] = value
        if value < _ZERO:
            errs.append(invalid(here, str(value), "must be greater than or equal to 0"))
    for name, raw in as_map(resources.get("requests")).items():
        value = quantity_of(raw)
        here = requests_path.key(name)
        if value is None:
            errs.append(invalid(here, raw, "must be a valid quantity"))
            continue
        if value < _ZERO:
            errs.append(invalid(here, str(value), "must be greater than or equal to 0"))
        limit = limits.get(name)
        if limit is not None and value > limit:
            errs.append(
                invalid(
                    requests_path,
                    str(value),
                    f"must be less than or equal to {name} limit of {limit}",
                )
            )
    return errs


def _validate_probe(probe: object, path: FieldPath, *, must_succeed_once: bool) -> list[FieldError]:
    if probe is None:
        return []
    body = as_map(probe)
    errs: list[FieldError] = []
    for key in (
        "initialDelaySeconds",
        "timeoutSeconds",
        "periodSeconds",
        "successThreshold",
        "failureThreshold",
    ):
        errs.extend(nonnegative(body.get(key), path.child(key)))
    if must_succeed_once and body.get("successThreshold") not in (None, 1):
        errs.append(invalid(path.child("successThreshold"), body["successThreshold"], "must be 1"))
    handlers = [h for h in ("exec", "httpGet", "tcpSocket", "grpc") if body.get(h) is not None]
    if not handlers:
        errs.append(required(path, "must specify a handler type"))
    elif len(handlers) > 1:
        errs.append(forbidden(path.child(handlers[1]), "may not specify more than 1 handler type"))
    for handler in ("httpGet", "tcpSocket"):
        if handler in handlers:
            port_path = path.child(handler, "port")
            errs.extend(validate_port_num_or_name(as_map(body[handler]).get("port"), port_path))
    return errs


def _unique_name_errors(name: object, path: FieldPath, seen: set[str]) -> list[FieldError]:
    """A required DNS label, unique among ``seen`` (container and volume names); records it."""
    if not name:
        return [required(path, "")]
    errs = dns_label_errors(str(name), path)
    if name in seen:
        errs.append(duplicate(path, name))
    seen.add(str(name))
    return errs


def _validate_container(
    container: Mapping[str, Any],
    path: FieldPath,
    *,
    names: set[str],
    volumes: set[str],
    init: bool,
) -> list[FieldError]:
    errs: list[FieldError] = []
    errs.extend(_unique_name_errors(container.get("name"), path.child("name"), names))
    image = container.get("image")
    if not image:
        errs.append(required(path.child("image"), ""))
    elif isinstance(image, str) and image.strip() != image:
        errs.append(
            invalid(path.child("image"), image, "must not have leading or trailing whitespace")
        )
    policy = container.get("imagePullPolicy")
    errs.extend(required_one_of(policy, path.child("imagePullPolicy"), PULL_POLICIES))
    message_policy = container.get("terminationMessagePolicy")
    errs.extend(
        required_one_of(
            message_policy, path.child("terminationMessagePolicy"), TERMINATION_MESSAGE_POLICIES
        )
    )
    port_names: set[str] = set()
    for i, port in enumerate(as_list(container.get("ports"))):
        here = path.child("ports").index(i)
        body = as_map(port)
        port_name = body.get("name")
        if port_name:
            errs.extend(
                invalid(here.child("name"), port_name, m) for m in is_valid_port_name(port_name)
            )
            if port_name in port_names:
                errs.append(duplicate(here.child("name"), port_name))
            port_names.add(str(port_name))
        number = body.get("containerPort")
        if not number:
            errs.append(required(here.child("containerPort"), ""))
        else:
            errs.extend(
                invalid(here.child("containerPort"), number, m) for m in is_valid_port_num(number)
            )
        host_port = body.get("hostPort")
        if host_port:
            errs.extend(
                invalid(here.child("hostPort"), host_port, m) for m in is_valid_port_num(host_port)
            )
        protocol = body.get("protocol")
        errs.extend(required_one_of(protocol, here.child("protocol"), PROTOCOLS))
    for i, env in enumerate(as_list(container.get("env"))):
        if not as_map(env).get("name"):
            errs.append(required(path.child("env").index(i).child("name"), ""))
    mount_paths: set[str] = set()
    for i, mount in enumerate(as_list(container.get("volumeMounts"))):
        here = path.child("volumeMounts").index(i)
        body = as_map(mount)
        mount_name = body.get("name")
        if not mount_name:
            errs.append(required(here.child("name"), ""))
        elif mount_name not in volumes:
            errs.append(not_found(here.child("name"), mount_name))
        mount_path = body.get("mountPath")
        if not mount_path:
            errs.append(required(here.child("mountPath"), ""))
        elif mount_path in mount_paths:
            errs.append(invalid(here.child("mountPath"), mount_path, "must be unique"))
        else:
            mount_paths.add(str(mount_path))
    errs.extend(_validate_resources(as_map(container.get("resources")), path.child("resources")))
    if init and container.get("restartPolicy") != "Always":
        for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
            if container.get(probe) is not None:
                errs.append(forbidden(path.child(probe), "may not be set for init containers"))
    else:
        errs.extend(
            _validate_probe(
                container.get("livenessProbe"),
                path.child("livenessProbe"),
                must_succeed_once=True,
            )
        )
        errs.extend(
            _validate_probe(
                container.get("readinessProbe"),
                path.child("readinessProbe"),
                must_succeed_once=False,
            )
        )
        errs.extend(
            _validate_probe(
                container.get("startupProbe"),
                path.child("startupProbe"),
                must_succeed_once=True,
            )
        )
    return errs


def _validate_volumes(volumes: list[Any], path: FieldPath) -> tuple[list[FieldError], set[str]]:
    errs: list[FieldError] = []
    names: set[str] = set()
    for i, volume in enumerate(volumes):
        here = path.index(i)
        body = as_map(volume)
        errs.extend(_unique_name_errors(body.get("name"), here.child("name"), names))
        errs.extend(one_volume_source_errors(body, _VOLUME_SOURCES, here))
        for source in ("secret", "configMap", "downwardAPI", "projected"):
            mode = as_map(body.get(source)).get("defaultMode")
            if isinstance(mode, int) and not 0 <= mode <= 0o777:
                errs.append(
                    invalid(
                        here.child(source, "defaultMode"),
                        mode,
                        "must be a number between 0 and 0777 (octal), both inclusive",
                    )
                )
    return errs, names


def _validate_tolerations(tolerations: list[Any], path: FieldPath) -> list[FieldError]:
    errs: list[FieldError] = []
    for i, toleration in enumerate(tolerations):
        here = path.index(i)
        body = as_map(toleration)
        key = body.get("key") or ""
        if key:
            errs.extend(invalid(here.child("key"), key, m) for m in naming.is_qualified_name(key))
        operator = body.get("operator") or "Equal"
        if operator == "Exists" and body.get("value"):
            errs.append(
                invalid(
                    here.child("operator"),
                    body.get("value"),
                    "value must be empty when `operator` is 'Exists'",
                )
            )
        elif operator not in TOLERATION_OPERATORS:
            errs.append(not_supported(here.child("operator"), operator, TOLERATION_OPERATORS))
        if not key and operator != "Exists":
            errs.append(
                invalid(
                    here.child("operator"),
                    operator,
                    "operator must be Exists when `key` is empty, which means "
                    '"match all values and all keys"',
                )
            )
        effect = body.get("effect")
        if effect and effect not in TAINT_EFFECTS:
            errs.append(not_supported(here.child("effect"), effect, TAINT_EFFECTS))
        seconds = body.get("tolerationSeconds")
        if seconds is not None and effect != "NoExecute":
            errs.append(
                invalid(
                    here.child("effect"),
                    effect or "",
                    "effect must be 'NoExecute' when `tolerationSeconds` is set",
                )
            )
    return errs


def validate_pod_spec(spec: Mapping[str, Any], path: FieldPath = _SPEC) -> list[FieldError]:
    """Every field error of a (defaulted) PodSpec, upstream's paths and messages."""
    errs, volumes = _validate_volumes(as_list(spec.get("volumes")), path.child("volumes"))
    names: set[str] = set()
    for i, container in enumerate(as_list(spec.get("initContainers"))):
        errs.extend(
            _validate_container(
                as_map(container),
                path.child("initContainers").index(i),
                names=names,
                volumes=volumes,
                init=True,
            )
        )
    containers = as_list(spec.get("containers"))
    if not containers:
        errs.append(required(path.child("containers"), ""))
    for i, container in enumerate(containers):
        errs.extend(
            _validate_container(
                as_map(container),
                path.child("containers").index(i),
                names=names,
                volumes=volumes,
                init=False,
            )
        )
    restart = spec.get("restartPolicy")
    errs.extend(required_one_of(restart, path.child("restartPolicy"), RESTART_POLICIES))
    dns = spec.get("dnsPolicy")
    errs.extend(required_one_of(dns, path.child("dnsPolicy"), DNS_POLICIES))
    if dns == "None" and not spec.get("dnsConfig"):
        errs.append(
            required(path.child("dnsConfig"), "must provide `dnsConfig` when `dnsPolicy` is None")
        )
    deadline = spec.get("activeDeadlineSeconds")
    if deadline is not None and (not isinstance(deadline, int) or not 1 <= deadline <= 2**32 - 1):
        errs.append(
            invalid(
                path.child("activeDeadlineSeconds"),
                deadline,
                inclusive_range_error(1, 2**32 - 1),
            )
        )
    errs.extend(
        nonnegative(
            spec.get("terminationGracePeriodSeconds"), path.child("terminationGracePeriodSeconds")
        )
    )
    node_selector = spec.get("nodeSelector")
    if isinstance(node_selector, Mapping):
        errs.extend(validate_labels(node_selector, path.child("nodeSelector")))
    for key, validator in (
        ("nodeName", naming.is_dns1123_subdomain),
        ("serviceAccountName", naming.is_dns1123_subdomain),
        ("hostname", naming.is_dns1123_label),
        ("subdomain", naming.is_dns1123_label),
    ):
        value = spec.get(key)
        if value:
            errs.extend(invalid(path.child(key), value, m) for m in validator(str(value)))
    errs.extend(_validate_tolerations(as_list(spec.get("tolerations")), path.child("tolerations")))
    return errs


# -- updates -----------------------------------------------------------------


def _leaf_diff(old: object, new: object, path: str) -> Iterator[str]:
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        for key in sorted(set(old) | set(new)):
            yield from _leaf_diff(old.get(key), new.get(key), f"{path}.{key}")
    elif isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        for i, (a, b) in enumerate(zip(old, new, strict=True)):
            yield from _leaf_diff(a, b, f"{path}[{i}]")
    elif old != new:
        if old is not None:
            yield f"-\t{path}: {_render(old)}"
        if new is not None:
            yield f"+\t{path}: {_render(new)}"


def _render(value: object) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def _spec_update_errors(
    new_spec: Mapping[str, Any], old_spec: Mapping[str, Any]
) -> list[FieldError]:
    errs: list[FieldError] = []
    for kind in ("containers", "initContainers"):
        if len(as_list(new_spec.get(kind))) != len(as_list(old_spec.get(kind))):
            return [forbidden(_SPEC.child(kind), "pod updates may not add or remove containers")]
    new_deadline = new_spec.get("activeDeadlineSeconds")
    old_deadline = old_spec.get("activeDeadlineSeconds")
    deadline_path = _SPEC.child("activeDeadlineSeconds")
    if new_deadline is not None:
        if not isinstance(new_deadline, int) or not 0 <= new_deadline <= 2**31 - 1:
            return [invalid(deadline_path, new_deadline, inclusive_range_error(0, 2**31 - 1))]
        if isinstance(old_deadline, int) and old_deadline < new_deadline:
            return [
                invalid(deadline_path, new_deadline, "must be less than or equal to previous value")
            ]
    elif old_deadline is not None:
        errs.append(
            invalid(deadline_path, "null", "must not update from a positive integer to nil value")
        )

    munged = copy.deepcopy(dict(new_spec))
    for kind in ("containers", "initContainers"):
        for new_c, old_c in zip(
            as_list(munged.get(kind)), as_list(old_spec.get(kind)), strict=True
        ):
            if isinstance(new_c, dict) and isinstance(old_c, Mapping):
                if "image" in old_c:
                    new_c["image"] = old_c["image"]
                else:
                    new_c.pop("image", None)
    for key in ("activeDeadlineSeconds",):
        if key in old_spec:
            munged[key] = old_spec[key]
        else:
            munged.pop(key, None)
    old_tolerations = as_list(old_spec.get("tolerations"))
    new_tolerations = as_list(new_spec.get("tolerations"))
    if all(t in new_tolerations for t in old_tolerations):
        if "tolerations" in old_spec:
            munged["tolerations"] = old_spec["tolerations"]
        else:
            munged.pop("tolerations", None)
    old_grace = old_spec.get("terminationGracePeriodSeconds")
    if (
        isinstance(old_grace, int)
        and old_grace < 0
        and new_spec.get("terminationGracePeriodSeconds") == 1
    ):
        munged["terminationGracePeriodSeconds"] = old_grace
    old_gates = as_list(old_spec.get("schedulingGates"))
    new_gates = as_list(new_spec.get("schedulingGates"))
    added = [gate for gate in new_gates if gate not in old_gates]
    for gate in added:
        errs.append(
            forbidden(
                _SPEC.child("schedulingGates"),
                "only deletion is allowed, but found new scheduling gate "
                f"'{as_map(gate).get('name', '')}'",
            )
        )
    if not added:
        if "schedulingGates" in old_spec:
            munged["schedulingGates"] = old_spec["schedulingGates"]
        else:
            munged.pop("schedulingGates", None)
    if munged != dict(old_spec):
        diff = "\n".join(_leaf_diff(dict(old_spec), munged, "spec"))
        errs.append(
            forbidden(
                _SPEC,
                "pod updates may not change fields other than "
                + ",".join(UPDATABLE_POD_SPEC_FIELDS)
                + ("\n" + diff if diff else ""),
            )
        )
    return errs


class PodStrategy(Strategy):
    """``pods``: defaults, Pending status with QoS class, spec immutability, graceful delete."""

    has_status_subresource = True
    returns_deleted_object = True

    def default(self, obj: Obj) -> None:
        spec = obj.get("spec")
        if isinstance(spec, dict):
            default_pod_spec(spec)

    def prepare_for_create(self, obj: Obj) -> None:
        super().prepare_for_create(obj)
        spec = as_map(obj.get("spec"))
        status: Obj = {"phase": "Pending", "qosClass": pod_qos_class(spec)}
        if as_list(spec.get("schedulingGates")):
            status["conditions"] = [
                {
                    "type": "PodScheduled",
                    "status": "False",
                    "lastProbeTime": None,
                    "lastTransitionTime": None,
                    "reason": "SchedulingGated",
                    "message": "Scheduling is blocked due to non-empty scheduling gates",
                }
            ]
        obj["status"] = status

    def validate(self, obj: Mapping[str, Any], *, namespaced: bool) -> list[FieldError]:
        errs = self.validate_metadata(obj, namespaced=namespaced)
        errs.extend(validate_pod_spec(as_map(obj.get("spec"))))
        return errs

    def validate_update(
        self, new: Mapping[str, Any], old: Mapping[str, Any], *, namespaced: bool
    ) -> list[FieldError]:
        errs = self.validate(new, namespaced=namespaced)
        new_spec, old_spec = as_map(new.get("spec")), as_map(old.get("spec"))
        old_qos = as_map(old.get("status")).get("qosClass") or pod_qos_class(old_spec)
        if pod_qos_class(new_spec) != old_qos:
            errs.append(invalid(FieldPath("metadata"), old_qos, "Pod QoS is immutable"))
        errs.extend(_spec_update_errors(new_spec, old_spec))
        return errs

    def graceful_delete_seconds(self, obj: Mapping[str, Any], requested: int | None) -> int:
        spec, status = as_map(obj.get("spec")), as_map(obj.get("status"))
        if requested is not None:
            period = requested
        else:
            configured = spec.get("terminationGracePeriodSeconds")
            period = configured if isinstance(configured, int) else 30
        if not spec.get("nodeName") or status.get("phase") in ("Succeeded", "Failed"):
            return 0
        if period < 0:
            return 1
        return period

    def field_set(self, obj: Mapping[str, Any], *, namespaced: bool) -> dict[str, str]:
        fields = super().field_set(obj, namespaced=namespaced)
        spec, status = as_map(obj.get("spec")), as_map(obj.get("status"))
        pod_ips = [str(as_map(ip).get("ip", "")) for ip in as_list(status.get("podIPs"))]
        fields.update(
            {
                "spec.nodeName": str(spec.get("nodeName") or ""),
                "spec.restartPolicy": str(spec.get("restartPolicy") or ""),
                "spec.schedulerName": str(spec.get("schedulerName") or ""),
                "spec.serviceAccountName": str(spec.get("serviceAccountName") or ""),
                "spec.hostNetwork": "true" if spec.get("hostNetwork") is True else "false",
                "status.phase": str(status.get("phase") or ""),
                "status.podIP": pod_ips[0] if pod_ips else str(status.get("podIP") or ""),
                "status.podIPs": ",".join(pod_ips),
                "status.nominatedNodeName": str(status.get("nominatedNodeName") or ""),
            }
        )
        return fields
