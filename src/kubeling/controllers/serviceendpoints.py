"""How a Service's pods become its endpoints: the rules both endpoint controllers share.

Kubernetes keeps these in ``k8s.io/endpointslice/util`` and uses them from the
Endpoints and the EndpointSlice controllers alike:

- which pods count (:func:`should_pod_be_in_endpoints`): not finished, with an
  IP, and not terminating unless the caller includes terminating pods;
- a pod's IPs (:func:`pod_ips`), its readiness, whether its ``hostname`` is
  published (:func:`should_set_hostname`: a ``hostname`` and a ``subdomain``
  naming the service);
- a service port's number on one pod (:func:`find_port`): a number as is, a
  name looked up among the pod's container (and sidecar) ports of that
  protocol; a pod without the named port has no endpoint for it;
- which services to look at again when a pod changes
  (:func:`services_to_update_on_pod_change`): a pod's readiness, IPs or
  deletion matter to the services selecting it; a label change to the
  services it joins or leaves.

Everything here is pure: objects are the API's JSON.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from kubeling.api.labels import selector_from_set
from kubeling.controllers.pods import is_pod_ready

__all__ = [
    "find_port",
    "is_ipv6",
    "pod_endpoints_changed",
    "pod_ips",
    "selected_by",
    "service_selects",
    "services_for_pod",
    "services_to_update_on_pod_change",
    "should_pod_be_in_endpoints",
    "should_set_hostname",
]


def _meta(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    return obj.get("metadata") or {}


def _spec(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    return obj.get("spec") or {}


def _status(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    return obj.get("status") or {}


def is_ipv6(ip: str) -> bool:
    """Whether ``ip`` is an IPv6 address (an unparseable one counts as IPv4, as Go's
    ``IsIPv6String`` answers false)."""
    try:
        return ipaddress.ip_address(ip).version == 6
    except ValueError:
        return False


def pod_ips(pod: Mapping[str, Any]) -> list[str]:
    """``status.podIPs``, or ``[status.podIP]`` when only that is set.

    Kubernetes' API server fills ``podIPs`` from ``podIP`` when converting a pod
    status, so its controllers only read ``podIPs``; here both are read.
    """
    ips = [
        str(entry.get("ip"))
        for entry in _status(pod).get("podIPs") or ()
        if isinstance(entry, Mapping) and entry.get("ip")
    ]
    if not ips and _status(pod).get("podIP"):
        ips = [str(_status(pod)["podIP"])]
    return ips


def should_pod_be_in_endpoints(pod: Mapping[str, Any], *, include_terminating: bool) -> bool:
    """Whether ``pod`` belongs in a service's Endpoints or EndpointSlices at all.

    >>> running = {"status": {"phase": "Running", "podIP": "10.0.0.1"}}
    >>> should_pod_be_in_endpoints(running, include_terminating=False)
    True
    >>> should_pod_be_in_endpoints({"status": {"phase": "Succeeded", "podIP": "10.0.0.1"}},
    ...     include_terminating=True)
    False
    """
    if _status(pod).get("phase") in ("Succeeded", "Failed"):
        return False  # terminal: its containers will never run again
    if not pod_ips(pod):
        return False
    return include_terminating or not _meta(pod).get("deletionTimestamp")


def should_set_hostname(pod: Mapping[str, Any], service: Mapping[str, Any]) -> bool:
    """A pod's ``hostname`` is published when its ``subdomain`` is the service's name."""
    spec = _spec(pod)
    return (
        bool(spec.get("hostname"))
        and spec.get("subdomain") == _meta(service).get("name")
        and _meta(service).get("namespace") == _meta(pod).get("namespace")
    )


def _named_port(containers: Iterable[Any], name: str, protocol: str) -> int | None:
    for container in containers:
        if not isinstance(container, Mapping):
            continue
        for port in container.get("ports") or ():
            if (
                isinstance(port, Mapping)
                and port.get("name") == name
                and (port.get("protocol") or "TCP") == protocol
                and isinstance(port.get("containerPort"), int)
            ):
                return int(port["containerPort"])
    return None


def find_port(pod: Mapping[str, Any], service_port: Mapping[str, Any]) -> int | None:
    """The pod's port for ``service_port``'s ``targetPort``, None when it has none.

    A number is taken as is; a name is looked up among the containers' ports
    of the service port's protocol, then among sidecars (init containers with
    ``restartPolicy: Always``). An unset ``targetPort`` is the ``port`` (the
    API server defaults it so).

    >>> pod = {"spec": {"containers": [{"ports": [{"name": "http", "containerPort": 8080}]}]}}
    >>> find_port(pod, {"port": 80, "targetPort": "http", "protocol": "TCP"})
    8080
    >>> find_port(pod, {"port": 80, "targetPort": "grpc", "protocol": "TCP"}) is None
    True
    """
    target = service_port.get("targetPort")
    if target is None or target == "" or target == 0:
        target = service_port.get("port")
    if isinstance(target, int) and not isinstance(target, bool):
        return target
    if not isinstance(target, str):
        return None
    protocol = str(service_port.get("protocol") or "TCP")
    spec = _spec(pod)
    found = _named_port(spec.get("containers") or (), target, protocol)
    if found is not None:
        return found
    sidecars = [
        c
        for c in spec.get("initContainers") or ()
        if isinstance(c, Mapping) and c.get("restartPolicy") == "Always"
    ]
    return _named_port(sidecars, target, protocol)


def service_selects(service: Mapping[str, Any]) -> Mapping[str, str] | None:
    """The service's selector, None when it has none (its endpoints are managed by hand).

    An empty selector is no selector: Kubernetes omits an empty map when it
    stores the service, so it reads back as nil.
    """
    selector = _spec(service).get("selector")
    if not isinstance(selector, Mapping) or not selector:
        return None
    return {str(k): str(v) for k, v in selector.items()}


def selected_by(service: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    """Whether the service's selector matches a pod with ``labels``."""
    selector = service_selects(service)
    return selector is not None and selector_from_set(selector).matches(labels)


def services_for_pod(services: Sequence[Mapping[str, Any]], labels: Mapping[str, str]) -> set[str]:
    """The ``namespace/name`` keys of the ``services`` (one namespace's) selecting
    a pod with ``labels``."""
    return {
        f"{_meta(svc).get('namespace', '')}/{_meta(svc).get('name', '')}"
        for svc in services
        if selected_by(svc, labels)
    }


def pod_endpoints_changed(old: Mapping[str, Any], new: Mapping[str, Any]) -> tuple[bool, bool]:
    """``(pod_changed, labels_changed)``: whether the change can alter the pod's
    endpoints, and whether it can alter which services select it (labels, or
    the hostname and subdomain that publish its name)."""
    labels_changed = (_meta(old).get("labels") or {}) != (_meta(new).get("labels") or {}) or (
        _spec(old).get("hostname") != _spec(new).get("hostname")
        or _spec(old).get("subdomain") != _spec(new).get("subdomain")
    )
    pod_changed = (
        _meta(old).get("deletionTimestamp") != _meta(new).get("deletionTimestamp")
        or is_pod_ready(old) != is_pod_ready(new)
        or pod_ips(old) != pod_ips(new)
    )
    return pod_changed, labels_changed


def services_to_update_on_pod_change(
    services: Sequence[Mapping[str, Any]], old: Mapping[str, Any], new: Mapping[str, Any]
) -> set[str]:
    """The services (keys) to sync again after ``old`` became ``new``.

    A resync (same ``resourceVersion``) or a change endpoints do not see means
    none; a label change alone means the services the pod joined or left; a
    label change with an endpoint change means all of them.
    """
    if _meta(old).get("resourceVersion") == _meta(new).get("resourceVersion"):
        return set()
    pod_changed, labels_changed = pod_endpoints_changed(old, new)
    if not pod_changed and not labels_changed:
        return set()
    now = services_for_pod(services, _meta(new).get("labels") or {})
    if not labels_changed:
        return now
    before = services_for_pod(services, _meta(old).get("labels") or {})
    if pod_changed:
        return now | before
    return now ^ before
