"""The files of configMap, secret, downwardAPI and projected volumes (Kubernetes' payloads).

Each function returns the volume's payload (path → content and mode) or raises
:class:`~kubeling.kubelet.volumes.errors.VolumeError` with Kubernetes' message:

- **configMap** / **secret**: every key (``data`` and ``binaryData``; a Secret's values
  decoded), or only the ``items`` (``key`` → ``path``, with their ``mode``), with
  ``defaultMode`` (0644); a missing object fails (``configmap "x" not found``) unless
  ``optional`` (then: no files); a missing item key fails (``configmap references non-existent
  config key: k``) unless ``optional``;
- **downwardAPI**: ``items`` of ``fieldRef`` (name, namespace, uid, labels and annotations, or
  one of them: ``key="value"`` lines, sorted) and ``resourceFieldRef`` (a container's limits
  or requests, with ``divisor``);
- **projected**: the union of its sources (configMap, secret, downwardAPI,
  serviceAccountToken — a token from the TokenRequest API bound to the pod — and
  ``clusterTrustBundle``, which this kubelet refuses), with the errors of all sources together.
"""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Final

from kubeling.kubelet.envvars import ContainerConfigError, PodIPs, field_value, resource_value
from kubeling.kubelet.podutil import all_containers
from kubeling.kubelet.volumes.atomic_writer import FileProjection
from kubeling.kubelet.volumes.errors import VolumeError

__all__ = [
    "DEFAULT_MODE",
    "Getter",
    "TokenSource",
    "configmap_payload",
    "downward_api_payload",
    "projected_payload",
    "secret_payload",
]

DEFAULT_MODE: Final = 0o644

Obj = dict[str, Any]
Payload = dict[str, FileProjection]
#: (namespace, name) → the object, or None if it does not exist.
Getter = Callable[[str, str], Awaitable[Obj | None]]
#: (pod, serviceAccountToken source) → the token.
TokenSource = Callable[[Mapping[str, Any], Mapping[str, Any]], Awaitable[str]]


def _mode(value: object, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _key_payload(
    kind: str,
    values: Mapping[str, bytes],
    items: list[Obj] | None,
    default_mode: int,
    *,
    optional: bool,
) -> Payload:
    """``MakePayload`` of a ConfigMap or Secret whose values are ``values``."""
    if not items:
        return {key: FileProjection(data, default_mode) for key, data in values.items()}
    payload: Payload = {}
    for item in items:
        key = str(item.get("key") or "")
        if key not in values:
            if optional:
                continue
            what = "config" if kind == "configmap" else "secret"
            raise VolumeError(f"{kind} references non-existent {what} key: {key}")
        payload[str(item.get("path") or key)] = FileProjection(
            values[key], _mode(item.get("mode"), default_mode)
        )
    return payload


async def configmap_payload(
    source: Mapping[str, Any], namespace: str, get: Getter, default_mode: int
) -> Payload:
    name = str(source.get("name") or "")
    optional = source.get("optional") is True
    found = await get(namespace, name)
    if found is None:
        if optional:
            return {}
        raise VolumeError(f'configmap "{name}" not found')
    values = {k: str(v).encode() for k, v in (found.get("data") or {}).items()}
    for key, value in (found.get("binaryData") or {}).items():
        values[key] = base64.b64decode(str(value))
    return _key_payload("configmap", values, source.get("items"), default_mode, optional=optional)


async def secret_payload(
    source: Mapping[str, Any], namespace: str, name: str, get: Getter, default_mode: int
) -> Payload:
    optional = source.get("optional") is True
    found = await get(namespace, name)
    if found is None:
        if optional:
            return {}
        raise VolumeError(f'secret "{name}" not found')
    values = {k: base64.b64decode(str(v)) for k, v in (found.get("data") or {}).items()}
    return _key_payload("secret", values, source.get("items"), default_mode, optional=optional)


def _container(pod: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    for container, _ in all_containers(pod):
        if container.get("name") == name:
            return container
    raise VolumeError(f"container {name} not found")


def downward_api_payload(
    items: list[Obj],
    pod: Mapping[str, Any],
    default_mode: int,
    *,
    ips: PodIPs,
    allocatable: Mapping[str, str],
) -> Payload:
    payload: Payload = {}
    errors: list[str] = []
    for item in items:
        path = str(item.get("path") or "")
        mode = _mode(item.get("mode"), default_mode)
        try:
            if item.get("fieldRef") is not None:
                value = field_value(pod, str(item["fieldRef"].get("fieldPath") or ""), ips)
            elif item.get("resourceFieldRef") is not None:
                selector = item["resourceFieldRef"]
                container = _container(pod, str(selector.get("containerName") or ""))
                value = resource_value(selector, container, allocatable)
            else:
                value = ""
        except (ContainerConfigError, VolumeError) as err:
            errors.append(str(err))
            continue
        payload[path] = FileProjection(value.encode(), mode)
    if errors:
        raise VolumeError(_aggregate(errors))
    return payload


def _aggregate(errors: list[str]) -> str:
    """Go's ``utilerrors.NewAggregate``: one error as is, several in brackets."""
    return errors[0] if len(errors) == 1 else "[" + ", ".join(errors) + "]"


async def projected_payload(
    source: Mapping[str, Any],
    pod: Mapping[str, Any],
    *,
    get_configmap: Getter,
    get_secret: Getter,
    token: TokenSource,
    ips: PodIPs,
    allocatable: Mapping[str, str],
) -> Payload:
    namespace = pod["metadata"]["namespace"]
    default_mode = _mode(source.get("defaultMode"), DEFAULT_MODE)
    payload: Payload = {}
    errors: list[str] = []
    for projection in source.get("sources") or []:
        try:
            if projection.get("configMap") is not None:
                part = await configmap_payload(
                    projection["configMap"], namespace, get_configmap, default_mode
                )
            elif projection.get("secret") is not None:
                secret = projection["secret"]
                name = str(secret.get("name") or "")
                part = await secret_payload(secret, namespace, name, get_secret, default_mode)
            elif projection.get("downwardAPI") is not None:
                part = downward_api_payload(
                    projection["downwardAPI"].get("items") or [],
                    pod,
                    default_mode,
                    ips=ips,
                    allocatable=allocatable,
                )
            elif projection.get("serviceAccountToken") is not None:
                request = projection["serviceAccountToken"]
                value = await token(pod, request)
                part = {
                    str(request.get("path") or ""): FileProjection(value.encode(), default_mode)
                }
            elif projection.get("clusterTrustBundle") is not None:
                raise VolumeError(
                    "clusterTrustBundle projections are not supported by this kubelet"
                )
            else:
                part = {}
        except VolumeError as err:
            errors.append(str(err))
            continue
        payload.update(part)
    if errors:
        raise VolumeError(_aggregate(errors))
    return payload
