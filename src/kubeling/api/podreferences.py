"""The API objects a pod (or a persistent volume) names: Kubernetes' ``VisitPodSecretNames``,
``VisitPodConfigmapNames`` and ``VisitPVSecretNames``.

Read from the JSON as stored, tolerant of anything malformed (a field of the
wrong type names nothing). The Node authorizer builds its graph from these
(a kubelet may read what its pods use), and NodeRestriction refuses mirror
pods that name any of them. Every container counts: init, regular and
ephemeral.

>>> pod = {"metadata": {"name": "p"}, "spec": {
...     "serviceAccountName": "sa",
...     "imagePullSecrets": [{"name": "pull"}],
...     "containers": [{"envFrom": [{"configMapRef": {"name": "cm"}}]}],
...     "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": "c"}},
...                 {"name": "scratch", "ephemeral": {}}]}}
>>> refs = pod_references(pod)
>>> sorted(refs.secrets), sorted(refs.config_maps), sorted(refs.claims), refs.service_account
(['pull'], ['cm'], ['c', 'p-scratch'], 'sa')
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["PodReferences", "pod_references", "pv_secret_references"]

_CONTAINER_LISTS = ("initContainers", "containers", "ephemeralContainers")
# Volume sources that name a Secret through ``secretRef: {name}``.
_SECRET_REF_VOLUMES = ("cephfs", "cinder", "flexVolume", "iscsi", "rbd", "scaleIO", "storageos")
# CSI persistent volume secret references (each ``{name, namespace}``).
_CSI_SECRET_REFS = (
    "controllerPublishSecretRef",
    "controllerExpandSecretRef",
    "nodePublishSecretRef",
    "nodeStageSecretRef",
    "nodeExpandSecretRef",
)


@dataclass(frozen=True, slots=True)
class PodReferences:
    """Names, in the pod's namespace, of what the pod uses."""

    secrets: frozenset[str]
    config_maps: frozenset[str]
    claims: frozenset[str]
    resource_claims: frozenset[str]
    service_account: str

    @property
    def empty(self) -> bool:
        return not (self.secrets or self.config_maps or self.claims or self.resource_claims)


def _dicts(value: Any) -> Iterator[Mapping[str, Any]]:
    if isinstance(value, list):
        yield from (item for item in value if isinstance(item, Mapping))


def _get(value: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def _name(value: Any, *path: str) -> str:
    found = _get(value, *path)
    return found if isinstance(found, str) else ""


def _container_refs(spec: Mapping[str, Any], secrets: set[str], config_maps: set[str]) -> None:
    for field in _CONTAINER_LISTS:
        for container in _dicts(spec.get(field)):
            for source in _dicts(container.get("envFrom")):
                secrets.add(_name(source, "secretRef", "name"))
                config_maps.add(_name(source, "configMapRef", "name"))
            for env in _dicts(container.get("env")):
                secrets.add(_name(env, "valueFrom", "secretKeyRef", "name"))
                config_maps.add(_name(env, "valueFrom", "configMapKeyRef", "name"))


def _volume_refs(
    pod_name: str, spec: Mapping[str, Any], secrets: set[str], config_maps: set[str]
) -> set[str]:
    claims: set[str] = set()
    for volume in _dicts(spec.get("volumes")):
        secrets.add(_name(volume, "secret", "secretName"))
        secrets.add(_name(volume, "azureFile", "secretName"))
        secrets.add(_name(volume, "csi", "nodePublishSecretRef", "name"))
        for source in _SECRET_REF_VOLUMES:
            secrets.add(_name(volume, source, "secretRef", "name"))
        config_maps.add(_name(volume, "configMap", "name"))
        for projection in _dicts(_get(volume, "projected", "sources")):
            secrets.add(_name(projection, "secret", "name"))
            config_maps.add(_name(projection, "configMap", "name"))
        claims.add(_name(volume, "persistentVolumeClaim", "claimName"))
        if isinstance(volume.get("ephemeral"), Mapping) and pod_name:
            # a generic ephemeral volume's claim is named <pod>-<volume>
            claims.add(f"{pod_name}-{_name(volume, 'name')}")
    return claims


def pod_references(pod: Mapping[str, Any]) -> PodReferences:
    """What ``pod`` names: secrets, config maps, claims, resource claims, its service account."""
    spec = pod.get("spec")
    if not isinstance(spec, Mapping):
        spec = {}
    secrets: set[str] = set()
    config_maps: set[str] = set()
    for pull in _dicts(spec.get("imagePullSecrets")):
        secrets.add(_name(pull, "name"))
    _container_refs(spec, secrets, config_maps)
    claims = _volume_refs(_name(pod, "metadata", "name"), spec, secrets, config_maps)
    resource_claims = {_name(c, "resourceClaimName") for c in _dicts(spec.get("resourceClaims"))}
    resource_claims |= {
        _name(s, "resourceClaimName") for s in _dicts(_get(pod, "status", "resourceClaimStatuses"))
    }
    return PodReferences(
        secrets=frozenset(secrets - {""}),
        config_maps=frozenset(config_maps - {""}),
        claims=frozenset(claims - {""}),
        resource_claims=frozenset(resource_claims - {""}),
        service_account=_name(spec, "serviceAccountName"),
    )


def pv_secret_references(pv: Mapping[str, Any]) -> frozenset[tuple[str, str]]:
    """The (namespace, name) of every Secret a PersistentVolume names.

    A reference without a namespace is in the namespace of the claim the
    volume is bound to (``azureFile`` defaults to ``default``, as Kubernetes).

    >>> sorted(pv_secret_references({"spec": {
    ...     "claimRef": {"namespace": "ns"},
    ...     "csi": {"nodePublishSecretRef": {"name": "s1", "namespace": "ns2"}},
    ...     "rbd": {"secretRef": {"name": "s2"}}}}))
    [('ns', 's2'), ('ns2', 's1')]
    """
    spec = pv.get("spec")
    if not isinstance(spec, Mapping):
        return frozenset()
    claim_namespace = _name(spec, "claimRef", "namespace")
    found: set[tuple[str, str]] = set()

    def add(ref: Any, default_namespace: str) -> None:
        name = _name(ref, "name")
        if name:
            found.add((_name(ref, "namespace") or default_namespace, name))

    for source in _SECRET_REF_VOLUMES:
        add(_get(spec, source, "secretRef"), claim_namespace)
    for field in _CSI_SECRET_REFS:
        add(_get(spec, "csi", field), claim_namespace)
    azure = _name(spec, "azureFile", "secretName")
    if azure:
        found.add((_name(spec, "azureFile", "secretNamespace") or "default", azure))
    return frozenset((ns, name) for ns, name in found if ns)
