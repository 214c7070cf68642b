"""Services: defaults, validation, and ClusterIP/NodePort allocation.

Defaults follow ``SetDefaults_Service`` (type ``ClusterIP``, sessionAffinity
``None``, port protocol ``TCP``, ``targetPort`` = ``port``, traffic policies,
``allocateLoadBalancerNodePorts``) plus what upstream's Service REST storage
fills before it allocates: ``clusterIP``/``clusterIPs`` kept in step, and the
single-stack ``ipFamilies``/``ipFamilyPolicy`` of the service CIDR (a headless
Service without selector gets ``RequireDualStack``, as upstream).

Allocation: ``allocate(svc, old)`` reserves the ClusterIP and NodePorts a
Service needs before it is written, and ``release(svc, new)`` frees what the
Service held and ``new`` no longer holds (all of it on delete). The ranges
live in the store (see ``ranges``), so concurrent creates never get the same
address or port, and allocations survive restarts. Errors carry upstream's
wording, e.g. ``spec.clusterIPs: Invalid value: []string{"10.96.0.10"}: failed
to allocate IP 10.96.0.10: provided IP is already allocated``.

Updates keep what was allocated when the new object omits it (upstream's
``patchAllocatedValues``: ``kubectl apply`` of a manifest without
``clusterIP`` must not change it), and drop the fields a type change leaves
meaningless (``dropTypeDependentFields``).
"""

from __future__ import annotations

import copy
import ipaddress
import random
from collections.abc import Callable, Mapping
from typing import Any, Final

from kubeling.api import errors, naming
from kubeling.api.field import (
    FieldError,
    FieldPath,
    duplicate,
    forbidden,
    invalid,
    not_supported,
    required,
)
from kubeling.api.labels import validate_labels
from kubeling.apiserver.rest.strategy import Strategy
from kubeling.apiserver.strategies._checks import (
    PROTOCOLS,
    as_list,
    as_map,
    dns_label_errors,
    go_string_slice,
    is_valid_ip,
    is_valid_port_num,
    required_one_of,
    validate_port_num_or_name,
)
from kubeling.apiserver.strategies.ranges import (
    AlreadyAllocatedError,
    IPRange,
    NotInRangeError,
    PortRange,
    RangeFullError,
)
from kubeling.storage import Store

__all__ = [
    "SERVICE_TYPES",
    "ServiceStrategy",
    "needs_cluster_ip",
    "needs_health_check_node_port",
    "needs_node_ports",
]

Obj = dict[str, Any]

SERVICE_TYPES: Final = ("ClusterIP", "ExternalName", "LoadBalancer", "NodePort")
SESSION_AFFINITIES: Final = ("ClientIP", "None")
TRAFFIC_POLICIES: Final = ("Cluster", "Local")
IP_FAMILY_POLICIES: Final = ("SingleStack", "PreferDualStack", "RequireDualStack")
IP_FAMILIES: Final = ("IPv4", "IPv6")

_SPEC: Final = FieldPath("spec")
_CLUSTER_IPS: Final = _SPEC.child("clusterIPs")


def _spec(svc: Mapping[str, Any]) -> Mapping[str, Any]:
    return as_map(svc.get("spec"))


def needs_cluster_ip(svc: Mapping[str, Any]) -> bool:
    """Every type but ExternalName, unless headless (``clusterIP: None``)."""
    spec = _spec(svc)
    return spec.get("type", "ClusterIP") != "ExternalName" and spec.get("clusterIP") != "None"


def needs_node_ports(svc: Mapping[str, Any]) -> bool:
    """NodePort, and LoadBalancer unless ``allocateLoadBalancerNodePorts: false``."""
    spec = _spec(svc)
    kind = spec.get("type")
    if kind == "NodePort":
        return True
    return kind == "LoadBalancer" and spec.get("allocateLoadBalancerNodePorts") is not False


def _may_have_node_ports(svc: Mapping[str, Any]) -> bool:
    return _spec(svc).get("type") in ("NodePort", "LoadBalancer")


def needs_health_check_node_port(svc: Mapping[str, Any]) -> bool:
    """A LoadBalancer with ``externalTrafficPolicy: Local``."""
    spec = _spec(svc)
    return spec.get("type") == "LoadBalancer" and spec.get("externalTrafficPolicy") == "Local"


def _node_ports(svc: Mapping[str, Any]) -> set[int]:
    if not _may_have_node_ports(svc):
        return set()
    return {
        port
        for p in as_list(_spec(svc).get("ports"))
        if isinstance(port := as_map(p).get("nodePort"), int) and port
    }


def _held_ip(svc: Mapping[str, Any] | None) -> str | None:
    if svc is None or not needs_cluster_ip(svc):
        return None
    ip = _spec(svc).get("clusterIP")
    return ip if isinstance(ip, str) and ip and ip != "None" else None


def _held_hc_port(svc: Mapping[str, Any] | None) -> int | None:
    if svc is None or not needs_health_check_node_port(svc):
        return None
    port = _spec(svc).get("healthCheckNodePort")
    return port if isinstance(port, int) and port else None


def _unchanged(spec: Mapping[str, Any], old_spec: Mapping[str, Any]) -> Callable[[str], bool]:
    return lambda key: spec.get(key) == old_spec.get(key)


class ServiceStrategy(Strategy):
    """``services``: defaults, validation, ClusterIP and NodePort allocation."""

    has_status_subresource = True
    name_validator = staticmethod(naming.name_is_dns1035_label)

    def __init__(
        self,
        store: Store,
        *,
        service_cidr: str = "127.96.0.0/16",
        node_port_range: tuple[int, int] = (30000, 32767),
        rng: random.Random | None = None,
    ) -> None:
        self.ips = IPRange(store, service_cidr, rng=rng)
        self.node_ports = PortRange(store, *node_port_range, rng=rng)

    # -- defaults ------------------------------------------------------------

    def default(self, obj: Obj) -> None:
        spec = obj.get("spec")
        if not isinstance(spec, dict):
            return
        if not spec.get("type"):
            spec["type"] = "ClusterIP"
        kind = spec["type"]
        if not spec.get("sessionAffinity"):
            spec["sessionAffinity"] = "None"
        if spec["sessionAffinity"] == "ClientIP":
            config = spec.setdefault("sessionAffinityConfig", {})
            if isinstance(config, dict):
                client_ip = config.setdefault("clientIP", {})
                if isinstance(client_ip, dict) and not client_ip.get("timeoutSeconds"):
                    client_ip["timeoutSeconds"] = 10800
        for port in as_list(spec.get("ports")):
            if not isinstance(port, dict):
                continue
            if not port.get("protocol"):
                port["protocol"] = "TCP"
            if port.get("targetPort") in (None, 0, ""):
                port["targetPort"] = port.get("port")
        if kind in ("NodePort", "LoadBalancer") and not spec.get("externalTrafficPolicy"):
            spec["externalTrafficPolicy"] = "Cluster"
        if kind != "ExternalName" and not spec.get("internalTrafficPolicy"):
            spec["internalTrafficPolicy"] = "Cluster"
        if kind == "LoadBalancer" and spec.get("allocateLoadBalancerNodePorts") is None:
            spec["allocateLoadBalancerNodePorts"] = True
        # clusterIP and clusterIPs[0] are one value (upstream normalizeClusterIPs).
        cluster_ips = spec.get("clusterIPs")
        if spec.get("clusterIP") and not cluster_ips:
            spec["clusterIPs"] = [spec["clusterIP"]]
        elif isinstance(cluster_ips, list) and cluster_ips and not spec.get("clusterIP"):
            spec["clusterIP"] = cluster_ips[0]
        if kind != "ExternalName":
            self._default_ip_families(spec)

    def _default_ip_families(self, spec: Obj) -> None:
        headless_selectorless = spec.get("clusterIP") == "None" and not spec.get("selector")
        if not spec.get("ipFamilyPolicy"):
            spec["ipFamilyPolicy"] = "RequireDualStack" if headless_selectorless else "SingleStack"
        if not spec.get("ipFamilies"):
            family = self.ips.family
            ip = spec.get("clusterIP")
            if isinstance(ip, str) and ip and ip != "None" and not is_valid_ip(ip):
                family = "IPv4" if ipaddress.ip_address(ip).version == 4 else "IPv6"
            spec["ipFamilies"] = [family]

    # -- create and update ---------------------------------------------------

    def prepare_for_create(self, obj: Obj) -> None:
        super().prepare_for_create(obj)
        obj["status"] = {"loadBalancer": {}}

    def prepare_for_update(self, new: Obj, old: Obj) -> None:
        super().prepare_for_update(new, old)
        spec, old_spec = new.get("spec"), _spec(old)
        if not isinstance(spec, dict):
            return
        self._patch_allocated_values(spec, old_spec, new, old)
        self._drop_type_dependent_fields(spec, old_spec, new, old)

    @staticmethod
    def _patch_allocated_values(
        spec: Obj, old_spec: Mapping[str, Any], new: Mapping[str, Any], old: Mapping[str, Any]
    ) -> None:
        if needs_cluster_ip(old) and needs_cluster_ip(new):
            if not spec.get("clusterIP") and old_spec.get("clusterIP"):
                spec["clusterIP"] = old_spec["clusterIP"]
            if not spec.get("clusterIPs") and old_spec.get("clusterIPs"):
                spec["clusterIPs"] = copy.deepcopy(old_spec["clusterIPs"])
            for key in ("ipFamilies", "ipFamilyPolicy"):
                if old_spec.get(key) and spec.get("clusterIP") == old_spec.get("clusterIP"):
                    spec[key] = copy.deepcopy(old_spec[key])
        if _may_have_node_ports(old) and _may_have_node_ports(new):
            used = _node_ports(old) & _node_ports(new)
            by_name = {
                as_map(p).get("name", ""): as_map(p).get("nodePort")
                for p in as_list(old_spec.get("ports"))
            }
            for port in as_list(spec.get("ports")):
                if isinstance(port, dict) and not port.get("nodePort"):
                    previous = by_name.get(port.get("name", ""))
                    if isinstance(previous, int) and previous and previous not in used:
                        port["nodePort"] = previous
        if (
            needs_health_check_node_port(old)
            and needs_health_check_node_port(new)
            and not spec.get("healthCheckNodePort")
            and old_spec.get("healthCheckNodePort")
        ):
            spec["healthCheckNodePort"] = old_spec["healthCheckNodePort"]

    @staticmethod
    def _drop_type_dependent_fields(
        spec: Obj, old_spec: Mapping[str, Any], new: Mapping[str, Any], old: Mapping[str, Any]
    ) -> None:
        """Clear what the new type makes meaningless, unless the user changed it too."""
        if spec.get("type") == old_spec.get("type"):
            return
        unchanged = _unchanged(spec, old_spec)
        if needs_cluster_ip(old) and not needs_cluster_ip(new) and unchanged("clusterIP"):
            for key in ("clusterIP", "clusterIPs", "ipFamilies", "ipFamilyPolicy"):
                spec.pop(key, None)
        if _may_have_node_ports(old) and not _may_have_node_ports(new):
            old_ports = _node_ports(old)
            for port in as_list(spec.get("ports")):
                if isinstance(port, dict) and port.get("nodePort") in old_ports:
                    port.pop("nodePort", None)
        if (
            needs_health_check_node_port(old)
            and not needs_health_check_node_port(new)
            and unchanged("healthCheckNodePort")
        ):
            spec.pop("healthCheckNodePort", None)
        if spec.get("type") != "LoadBalancer":
            if spec.get("allocateLoadBalancerNodePorts") == old_spec.get(
                "allocateLoadBalancerNodePorts"
            ):
                spec.pop("allocateLoadBalancerNodePorts", None)
            if spec.get("loadBalancerClass") == old_spec.get("loadBalancerClass"):
                spec.pop("loadBalancerClass", None)
        if spec.get("type") not in ("NodePort", "LoadBalancer") and unchanged(
            "externalTrafficPolicy"
        ):
            spec.pop("externalTrafficPolicy", None)
        if spec.get("type") == "ExternalName" and unchanged("internalTrafficPolicy"):
            spec.pop("internalTrafficPolicy", None)

    # -- validation ----------------------------------------------------------

    def validate(self, obj: Mapping[str, Any], *, namespaced: bool) -> list[FieldError]:
        errs = self.validate_metadata(obj, namespaced=namespaced)
        spec = _spec(obj)
        kind = spec.get("type")
        errs.extend(required_one_of(kind, _SPEC.child("type"), SERVICE_TYPES))
        headless = spec.get("clusterIP") == "None"
        ports = as_list(spec.get("ports"))
        if not ports and not headless and kind != "ExternalName":
            errs.append(required(_SPEC.child("ports"), ""))
        errs.extend(self._validate_ports(ports, kind=kind))
        if kind == "ExternalName":
            name = spec.get("externalName")
            if not name:
                errs.append(required(_SPEC.child("externalName"), ""))
            else:
                trimmed = str(name).removesuffix(".")
                errs.extend(
                    invalid(_SPEC.child("externalName"), name, m)
                    for m in naming.is_dns1123_subdomain(trimmed)
                )
            if spec.get("clusterIPs"):
                errs.append(forbidden(_CLUSTER_IPS, "may not be set for `ExternalName` services"))
        for i, ip in enumerate(as_list(spec.get("clusterIPs"))):
            if i == 0 and ip == "None":
                continue
            path = _CLUSTER_IPS.index(i)
            if not isinstance(ip, str):
                errs.append(invalid(path, ip, "must be a valid IP address"))
                continue
            errs.extend(invalid(path, ip, m) for m in is_valid_ip(ip))
        affinity = spec.get("sessionAffinity")
        errs.extend(required_one_of(affinity, _SPEC.child("sessionAffinity"), SESSION_AFFINITIES))
        for key in ("externalTrafficPolicy", "internalTrafficPolicy"):
            policy = spec.get(key)
            if policy and policy not in TRAFFIC_POLICIES:
                errs.append(not_supported(_SPEC.child(key), policy, TRAFFIC_POLICIES))
        if spec.get("externalTrafficPolicy") and kind not in ("NodePort", "LoadBalancer"):
            errs.append(
                invalid(
                    _SPEC.child("externalTrafficPolicy"),
                    spec["externalTrafficPolicy"],
                    "may only be set for externally-accessible services",
                )
            )
        selector = spec.get("selector")
        if isinstance(selector, Mapping):
            errs.extend(validate_labels(selector, _SPEC.child("selector")))
        policy = spec.get("ipFamilyPolicy")
        if policy and policy not in IP_FAMILY_POLICIES:
            errs.append(not_supported(_SPEC.child("ipFamilyPolicy"), policy, IP_FAMILY_POLICIES))
        for i, family in enumerate(as_list(spec.get("ipFamilies"))):
            path = _SPEC.child("ipFamilies").index(i)
            if family not in IP_FAMILIES:
                errs.append(not_supported(path, family, IP_FAMILIES))
            elif family != self.ips.family and kind != "ExternalName":
                errs.append(invalid(path, family, "not configured on this cluster"))
        return errs

    @staticmethod
    def _validate_ports(ports: list[Any], *, kind: object) -> list[FieldError]:
        errs: list[FieldError] = []
        names: set[str] = set()
        node_ports: set[tuple[int, str]] = set()
        require_name = len(ports) > 1
        for i, port in enumerate(ports):
            path = _SPEC.child("ports").index(i)
            body = as_map(port)
            name = body.get("name") or ""
            if require_name and not name:
                errs.append(required(path.child("name"), ""))
            elif name:
                errs.extend(dns_label_errors(str(name), path.child("name")))
                if name in names:
                    errs.append(duplicate(path.child("name"), name))
                names.add(str(name))
            number = body.get("port")
            errs.extend(invalid(path.child("port"), number, m) for m in is_valid_port_num(number))
            protocol = body.get("protocol")
            errs.extend(required_one_of(protocol, path.child("protocol"), PROTOCOLS))
            errs.extend(validate_port_num_or_name(body.get("targetPort"), path.child("targetPort")))
            node_port = body.get("nodePort")
            if node_port:
                if kind == "ClusterIP":
                    errs.append(
                        forbidden(
                            path.child("nodePort"), "may not be used when `type` is 'ClusterIP'"
                        )
                    )
                key = (int(node_port), str(protocol))
                if key in node_ports:
                    errs.append(duplicate(path.child("nodePort"), node_port))
                node_ports.add(key)
        return errs

    def validate_update(
        self, new: Mapping[str, Any], old: Mapping[str, Any], *, namespaced: bool
    ) -> list[FieldError]:
        errs = self.validate(new, namespaced=namespaced)
        new_spec, old_spec = _spec(new), _spec(old)
        if "ExternalName" in (new_spec.get("type"), old_spec.get("type")):
            return errs
        if old_spec.get("clusterIP") == "None" and new_spec.get("clusterIP") == "None":
            return errs
        old_ips = [str(ip) for ip in as_list(old_spec.get("clusterIPs"))]
        new_ips = [str(ip) for ip in as_list(new_spec.get("clusterIPs"))]
        shown = go_string_slice(new_ips)
        if len(old_ips) == len(new_ips):
            for i, ip in enumerate(old_ips):
                if ip != new_ips[i]:
                    errs.append(invalid(_CLUSTER_IPS.index(i), shown, "may not change once set"))
        elif len(old_ips) > len(new_ips):
            if not new_ips:
                errs.append(
                    invalid(_CLUSTER_IPS.index(0), shown, "primary clusterIP can not be unset")
                )
            elif new_ips[0] != old_ips[0]:
                errs.append(invalid(_CLUSTER_IPS.index(0), shown, "may not change once set"))
        elif old_ips and new_ips[0] != old_ips[0]:
            errs.append(invalid(_CLUSTER_IPS.index(0), shown, "may not change once set"))
        return errs

    # -- allocation ----------------------------------------------------------

    def _invalid(self, svc: Mapping[str, Any], error: FieldError) -> errors.StatusError:
        name = str(as_map(svc.get("metadata")).get("name", ""))
        return errors.invalid("Service", name, [error])

    async def allocate(self, obj: Obj, old: Obj | None = None) -> None:
        """Reserve the ClusterIP and NodePorts ``obj`` needs and ``old`` did not hold.

        Fills ``clusterIP``/``clusterIPs`` and unset ``nodePort``s in place. On
        any failure everything this call reserved is freed again.
        """
        spec = obj.get("spec")
        if not isinstance(spec, dict):
            return
        taken_ips: list[str] = []
        taken_ports: list[int] = []
        try:
            await self._allocate_ip(obj, spec, old, taken_ips)
            await self._allocate_node_ports(obj, spec, old, taken_ports)
        except BaseException:
            for ip in taken_ips:
                await self.ips.release(ip)
            for port in taken_ports:
                await self.node_ports.release(port)
            raise

    async def _allocate_ip(self, obj: Obj, spec: Obj, old: Obj | None, taken: list[str]) -> None:
        if not needs_cluster_ip(obj):
            return
        ip = spec.get("clusterIP")
        if isinstance(ip, str) and ip and ip == _held_ip(old):
            return
        if not ip:
            try:
                ip = await self.ips.allocate_next()
            except RangeFullError as err:
                raise errors.internal_error(f"failed to allocate a serviceIP: {err}") from err
            taken.append(ip)
            spec["clusterIP"] = ip
            spec["clusterIPs"] = [ip]
            return
        shown = go_string_slice([str(x) for x in as_list(spec.get("clusterIPs"))] or [str(ip)])
        try:
            await self.ips.allocate(str(ip))
        except (AlreadyAllocatedError, NotInRangeError) as err:
            detail = f"failed to allocate IP {ip}: {err}"
            raise self._invalid(obj, invalid(_CLUSTER_IPS, shown, detail)) from err
        taken.append(str(ip))

    async def _allocate_node_ports(
        self, obj: Obj, spec: Obj, old: Obj | None, taken: list[int]
    ) -> None:
        held = _node_ports(old) if old is not None else set()
        mine: set[int] = set()  # one port may serve several protocols of this Service
        if _may_have_node_ports(obj):
            auto = needs_node_ports(obj)
            for i, port in enumerate(as_list(spec.get("ports"))):
                if not isinstance(port, dict):
                    continue
                wanted = port.get("nodePort")
                if isinstance(wanted, int) and wanted:
                    if wanted in held or wanted in mine:
                        continue
                    await self._allocate_port(
                        obj, wanted, _SPEC.child("ports").index(i).child("nodePort")
                    )
                    taken.append(wanted)
                    mine.add(wanted)
                elif auto:
                    try:
                        port["nodePort"] = await self.node_ports.allocate_next()
                    except RangeFullError as err:
                        raise errors.internal_error(
                            f"failed to allocate a nodePort: {err}"
                        ) from err
                    taken.append(port["nodePort"])
                    mine.add(port["nodePort"])
        if needs_health_check_node_port(obj):
            wanted = spec.get("healthCheckNodePort")
            if isinstance(wanted, int) and wanted:
                if wanted != _held_hc_port(old):
                    await self._allocate_port(obj, wanted, _SPEC.child("healthCheckNodePort"))
                    taken.append(wanted)
            else:
                try:
                    spec["healthCheckNodePort"] = await self.node_ports.allocate_next()
                except RangeFullError as err:
                    raise errors.internal_error(f"failed to allocate a nodePort: {err}") from err
                taken.append(spec["healthCheckNodePort"])

    async def _allocate_port(self, obj: Obj, port: int, path: FieldPath) -> None:
        try:
            await self.node_ports.allocate(port)
        except (AlreadyAllocatedError, NotInRangeError) as err:
            raise self._invalid(obj, invalid(path, port, str(err))) from err

    async def release(self, obj: Obj, new: Obj | None = None) -> None:
        """Free what ``obj`` held and ``new`` (if given) does not hold."""
        ip = _held_ip(obj)
        if ip and ip != _held_ip(new):
            await self.ips.release(ip)
        kept = _node_ports(new) if new is not None else set()
        for port in _node_ports(obj) - kept:
            await self.node_ports.release(port)
        hc_port = _held_hc_port(obj)
        if hc_port and hc_port != _held_hc_port(new) and hc_port not in kept:
            await self.node_ports.release(hc_port)

    # -- selection -----------------------------------------------------------

    def field_set(self, obj: Mapping[str, Any], *, namespaced: bool) -> dict[str, str]:
        fields = super().field_set(obj, namespaced=namespaced)
        spec = _spec(obj)
        fields["spec.clusterIP"] = str(spec.get("clusterIP") or "")
        fields["spec.type"] = str(spec.get("type") or "")
        return fields
