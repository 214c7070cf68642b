"""A container's environment, as the kubelet computes it.

In Kubernetes' order (``makeEnvironmentVariables``):

1. ``envFrom``: every key of each ConfigMap or Secret, with its ``prefix``; a missing source
   is an error unless ``optional``;
2. ``env`` in order: a ``value`` has its ``$(VAR)`` references expanded from the variables
   defined so far and the service variables; a ``valueFrom`` reads a ConfigMap or Secret key
   (a missing object or key is an error unless ``optional``, then the variable is left out),
   a field of the pod (``fieldRef``) or a resource of a container (``resourceFieldRef``, whose
   unset limits are the node's allocatable);
3. the service variables (``{SVC}_SERVICE_HOST``, ``{SVC}_PORT_80_TCP``, ...) that ``env`` did
   not set: those of the pod's namespace when ``enableServiceLinks``, and always those of the
   ``kubernetes`` Service in ``default``.

The errors are :class:`ContainerConfigError`, whose message is Kubernetes' (``configmap "x"
not found``, ``couldn't find key k in ConfigMap ns/x``...): the container then waits with
reason ``CreateContainerConfigError``.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any, Final

from kubeling.api.goformat import go_quote
from kubeling.api.quantity import Quantity, QuantityParseError, parse_quantity
from kubeling.kubelet.expansion import expand

__all__ = [
    "ContainerConfigError",
    "Getter",
    "PodIPs",
    "make_environment",
    "resource_value",
    "service_environment",
]

Obj = dict[str, Any]
#: Reads a ConfigMap or Secret by (namespace, name); None if it does not exist.
Getter = Callable[[str, str], Awaitable[Obj | None]]

#: The Services whose variables every pod gets, whatever ``enableServiceLinks`` says.
MASTER_SERVICES: Final = frozenset({"kubernetes"})


class ContainerConfigError(Exception):
    """The container's configuration cannot be built (CreateContainerConfigError)."""


def _env_name(name: str) -> str:
    return name.upper().replace("-", "_")


def _service_ip_set(service: Mapping[str, Any]) -> bool:
    ip = (service.get("spec") or {}).get("clusterIP") or ""
    return ip not in ("", "None")


def _service_variables(service: Mapping[str, Any]) -> dict[str, str]:
    spec = service.get("spec") or {}
    ports = spec.get("ports") or []
    if not ports:
        return {}
    prefix = _env_name(service["metadata"]["name"])
    ip = spec["clusterIP"]
    variables = {
        f"{prefix}_SERVICE_HOST": ip,
        f"{prefix}_SERVICE_PORT": str(ports[0]["port"]),
    }
    for port in ports:
        if port.get("name"):
            variables[f"{prefix}_SERVICE_PORT_{_env_name(port['name'])}"] = str(port["port"])
    host = f"[{ip}]" if ":" in ip else ip
    for i, port in enumerate(ports):
        protocol = str(port.get("protocol") or "TCP")
        url = f"{protocol.lower()}://{host}:{port['port']}"
        if i == 0:
            variables[f"{prefix}_PORT"] = url
        port_prefix = f"{prefix}_PORT_{port['port']}_{protocol.upper()}"
        variables[port_prefix] = url
        variables[f"{port_prefix}_PROTO"] = protocol.lower()
        variables[f"{port_prefix}_PORT"] = str(port["port"])
        variables[f"{port_prefix}_ADDR"] = ip
    return variables


def service_environment(
    services: Iterable[Mapping[str, Any]], namespace: str, *, enable_service_links: bool
) -> dict[str, str]:
    """The service variables of a pod in ``namespace`` (Kubernetes' ``FromServices``).

    >>> svc = {"metadata": {"name": "web-app", "namespace": "ns"},
    ...        "spec": {"clusterIP": "10.0.0.7", "ports": [{"name": "http", "port": 80}]}}
    >>> env = service_environment([svc], "ns", enable_service_links=True)
    >>> env["WEB_APP_SERVICE_HOST"], env["WEB_APP_SERVICE_PORT_HTTP"], env["WEB_APP_PORT"]
    ('10.0.0.7', '80', 'tcp://10.0.0.7:80')
    >>> service_environment([svc], "ns", enable_service_links=False)
    {}
    """
    chosen: dict[str, Mapping[str, Any]] = {}
    for service in services:
        if not _service_ip_set(service):
            continue
        meta = service["metadata"]
        name = meta["name"]
        if meta.get("namespace") == "default" and name in MASTER_SERVICES:
            chosen.setdefault(name, service)
        elif meta.get("namespace") == namespace and enable_service_links:
            chosen[name] = service
    variables: dict[str, str] = {}
    for service in chosen.values():
        variables.update(_service_variables(service))
    return variables


class PodIPs:
    """The addresses the downward API reports: the node's and the pod's."""

    def __init__(self, host_ips: Iterable[str], pod_ips: Iterable[str]) -> None:
        self.host_ips = list(host_ips)
        self.pod_ips = list(pod_ips)


def _subscript(path: str, field: str) -> str | None:
    """``metadata.labels['key']`` → ``key`` (for ``field`` = ``metadata.labels``)."""
    if path.startswith(field + "[") and path.endswith("]"):
        inner = path[len(field) + 1 : -1]
        if len(inner) >= 2 and inner[0] == inner[-1] and inner[0] in "'\"":
            return inner[1:-1]
    return None


def _format_map(values: Mapping[str, str]) -> str:
    """Kubernetes' ``FormatMap``: ``key="value"`` lines (Go-quoted values), sorted."""
    return "\n".join(f"{k}={go_quote(str(v))}" for k, v in sorted(values.items()))


def field_value(pod: Mapping[str, Any], path: str, ips: PodIPs) -> str:
    """The value of a ``fieldRef`` (Kubernetes' ``podFieldSelectorRuntimeValue``)."""
    meta = pod.get("metadata") or {}
    spec = pod.get("spec") or {}
    simple = {
        "metadata.name": meta.get("name", ""),
        "metadata.namespace": meta.get("namespace", ""),
        "metadata.uid": meta.get("uid", ""),
        "spec.nodeName": spec.get("nodeName", ""),
        "spec.serviceAccountName": spec.get("serviceAccountName", ""),
        "status.hostIP": ips.host_ips[0] if ips.host_ips else "",
        "status.hostIPs": ",".join(ips.host_ips),
        "status.podIP": ips.pod_ips[0] if ips.pod_ips else "",
        "status.podIPs": ",".join(ips.pod_ips),
    }
    if path in simple:
        return str(simple[path])
    for field in ("metadata.labels", "metadata.annotations"):
        values = meta.get(field.split(".")[1]) or {}
        if path == field:
            return _format_map(values)
        key = _subscript(path, field)
        if key is not None:
            return str(values.get(key, ""))
    raise ContainerConfigError(f"unsupported fieldPath: {path}")


_LIMITED: Final = ("cpu", "memory", "ephemeral-storage")


def resource_value(
    selector: Mapping[str, Any],
    container: Mapping[str, Any],
    allocatable: Mapping[str, str],
) -> str:
    """The value of a ``resourceFieldRef`` on ``container``: the limit or request divided by
    ``divisor`` and rounded up; an unset limit is the node's allocatable.

    >>> c = {"resources": {"limits": {"memory": "64Mi"}, "requests": {"cpu": "250m"}}}
    >>> node = {"cpu": "2", "memory": "1Gi"}
    >>> resource_value({"resource": "requests.cpu", "divisor": "1m"}, c, node)
    '250'
    >>> resource_value({"resource": "requests.cpu"}, c, node)
    '1'
    >>> resource_value({"resource": "limits.memory", "divisor": "1Mi"}, c, node)
    '64'
    >>> resource_value({"resource": "limits.cpu"}, c, node)
    '2'
    """
    resource = str(selector.get("resource") or "")
    kind, _, name = resource.partition(".")
    try:
        divisor = parse_quantity(str(selector.get("divisor") or "1"))
    except QuantityParseError as err:
        raise ContainerConfigError(f"invalid divisor: {err}") from None
    if divisor.is_zero():
        divisor = parse_quantity("1")
    if kind not in ("limits", "requests") or not (
        name in _LIMITED or name.startswith("hugepages-")
    ):
        raise ContainerConfigError(f"unsupported container resource : {resource}")
    resources = container.get("resources") or {}
    text = (resources.get(kind) or {}).get(name)
    if text is None and kind == "limits":
        text = allocatable.get(name)
    quantity: Quantity = parse_quantity(str(text or "0"))
    if name == "cpu":
        return str(math.ceil(quantity.milli_value() / divisor.milli_value()))
    return str(math.ceil(quantity.value() / divisor.value()))


def _decode_secret(value: object) -> str:
    raw = base64.b64decode(str(value or ""))
    return raw.decode("utf-8", "surrogateescape")


async def make_environment(
    pod: Mapping[str, Any],
    container: Mapping[str, Any],
    *,
    services: Mapping[str, str],
    get_configmap: Getter,
    get_secret: Getter,
    ips: PodIPs,
    allocatable: Mapping[str, str],
) -> dict[str, str]:
    """The container's environment (see the module docstring); ``services`` is
    :func:`service_environment` of the pod's namespace."""
    namespace = pod["metadata"]["namespace"]
    configmaps: dict[str, Obj | None] = {}
    secrets: dict[str, Obj | None] = {}

    async def source(kind: str, name: str) -> Obj | None:
        cache, getter = (
            (configmaps, get_configmap) if kind == "configmap" else (secrets, get_secret)
        )
        if name not in cache:
            cache[name] = await getter(namespace, name)
        return cache[name]

    env: dict[str, str] = {}
    for entry in container.get("envFrom") or []:
        prefix = str(entry.get("prefix") or "")
        for kind, ref in (
            ("configmap", entry.get("configMapRef")),
            ("secret", entry.get("secretRef")),
        ):
            if not ref:
                continue
            obj = await source(kind, ref["name"])
            if obj is None:
                if ref.get("optional"):
                    continue
                raise ContainerConfigError(f'{kind} "{ref["name"]}" not found')
            data = obj.get("data") or {}
            for key, value in data.items():
                env[prefix + key] = _decode_secret(value) if kind == "secret" else str(value)

    for var in container.get("env") or []:
        name = var["name"]
        value = var.get("value") or ""
        value_from = var.get("valueFrom")
        if value:
            env[name] = expand(value, env, services)
            continue
        if not value_from:
            env[name] = ""
            continue
        if value_from.get("fieldRef"):
            env[name] = field_value(pod, value_from["fieldRef"]["fieldPath"], ips)
        elif value_from.get("resourceFieldRef"):
            selector = value_from["resourceFieldRef"]
            target = container
            if selector.get("containerName"):
                target = _container_named(pod, selector["containerName"])
            env[name] = resource_value(selector, target, allocatable)
        else:
            for kind, label, ref in (
                ("configmap", "ConfigMap", value_from.get("configMapKeyRef")),
                ("secret", "Secret", value_from.get("secretKeyRef")),
            ):
                if not ref:
                    continue
                optional = bool(ref.get("optional"))
                obj = await source(kind, ref["name"])
                if obj is None:
                    if optional:
                        break
                    raise ContainerConfigError(f'{kind} "{ref["name"]}" not found')
                data = obj.get("data") or {}
                if ref["key"] not in data:
                    if optional:
                        break
                    raise ContainerConfigError(
                        f"couldn't find key {ref['key']} in {label} {namespace}/{ref['name']}"
                    )
                raw = data[ref["key"]]
                env[name] = _decode_secret(raw) if kind == "secret" else str(raw)
                break
    return {**{k: v for k, v in services.items() if k not in env}, **env}


def _container_named(pod: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    spec = pod.get("spec") or {}
    for container in [*(spec.get("initContainers") or []), *(spec.get("containers") or [])]:
        if container.get("name") == name:
            result: Mapping[str, Any] = container
            return result
    raise ContainerConfigError(f"container {name} not found")
