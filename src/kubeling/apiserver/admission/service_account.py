"""The ServiceAccount admission plugin (``plugin/pkg/admission/serviceaccount``).

On pod creation (not subresources, not updates):

1. a pod naming no service account gets ``default`` (``serviceAccountName``
   and the deprecated ``serviceAccount``, which v1 keeps equal);
2. the service account must exist: 403 ``service account ns/x was not
   found, retry after the service account is created``. The cache is asked
   first, then the store; for ``default``, which the service account
   controller creates just after its namespace, the store is asked up to
   ten times, 100-200 ms apart, as upstream does;
3. unless ``automountServiceAccountToken`` is false (the pod's setting wins
   over the account's), the projected volume ``kube-api-access-<5 random>``
   (a bound token at ``token``, valid 3607 s; ``ca.crt`` from the
   ``kube-root-ca.crt`` ConfigMap; the pod's ``namespace``) is added, and
   every container and init container without a mount at
   ``/var/run/secrets/kubernetes.io/serviceaccount`` mounts it there,
   read-only;
4. a pod without image pull secrets gets the account's;
5. with the account's ``kubernetes.io/enforce-mountable-secrets: "true"``
   annotation, every secret the pod mounts, reads in env or pulls with must
   be one the account lists (403 naming the first one that is not).

Mirror pods (the kubelet's static pods) are not changed; they may not name a
service account, reference secrets or project tokens (403).
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Iterator, Mapping
from typing import Any, Final

from kubeling.api import naming
from kubeling.apiserver.admission.errors import forbidden
from kubeling.apiserver.admission.interfaces import CREATE, AdmissionPlugin, Attributes
from kubeling.apiserver.admission.lookup import ObjectReader

__all__ = [
    "DEFAULT_API_TOKEN_MOUNT_PATH",
    "DEFAULT_SERVICE_ACCOUNT",
    "ENFORCE_MOUNTABLE_SECRETS_ANNOTATION",
    "NAME",
    "TOKEN_EXPIRATION_SECONDS",
    "VOLUME_PREFIX",
    "ServiceAccount",
    "token_volume_source",
]

NAME: Final = "ServiceAccount"
DEFAULT_SERVICE_ACCOUNT: Final = "default"
DEFAULT_API_TOKEN_MOUNT_PATH: Final = "/var/run/secrets/kubernetes.io/serviceaccount"
VOLUME_PREFIX: Final = "kube-api-access-"
ENFORCE_MOUNTABLE_SECRETS_ANNOTATION: Final = "kubernetes.io/enforce-mountable-secrets"
MIRROR_POD_ANNOTATION: Final = "kubernetes.io/config.mirror"
#: ``serviceaccount.WarnOnlyBoundTokenExpirationSeconds``: an hour and 7 seconds,
#: so that the API server can tell these tokens apart.
TOKEN_EXPIRATION_SECONDS: Final = 3607
#: Live lookups of the ``default`` account before giving up (its controller
#: creates it right after the namespace).
DEFAULT_ACCOUNT_ATTEMPTS: Final = 10

Obj = dict[str, Any]
Sleep = Callable[[float], Awaitable[None]]


def token_volume_source() -> Obj:
    """The projected volume source of the API access token (``TokenVolumeSource``)."""
    return {
        "sources": [
            {
                "serviceAccountToken": {
                    "expirationSeconds": TOKEN_EXPIRATION_SECONDS,
                    "path": "token",
                }
            },
            {
                "configMap": {
                    "name": "kube-root-ca.crt",
                    "items": [{"key": "ca.crt", "path": "ca.crt"}],
                }
            },
            {
                "downwardAPI": {
                    "items": [
                        {
                            "path": "namespace",
                            "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"},
                        }
                    ]
                }
            },
        ],
        "defaultMode": 0o644,
    }


def _dicts(value: Any) -> Iterator[Obj]:
    if isinstance(value, list):
        yield from (item for item in value if isinstance(item, dict))


def _should_automount(account: Mapping[str, Any], spec: Mapping[str, Any]) -> bool:
    """The pod's choice wins, then the account's; mounted by default."""
    for choice in (
        spec.get("automountServiceAccountToken"),
        account.get("automountServiceAccountToken"),
    ):
        if isinstance(choice, bool):
            return choice
    return True


def mount_token(spec: Obj, volume_name: Callable[[], str]) -> None:
    """Add the token volume to ``spec`` and mount it in every container that has
    nothing at the token path yet (``mountServiceAccountToken``)."""
    existing = next(
        (
            str(v.get("name"))
            for v in _dicts(spec.get("volumes"))
            if str(v.get("name") or "").startswith(VOLUME_PREFIX)
        ),
        None,
    )
    name = existing or volume_name()
    needs_volume = False
    for field in ("initContainers", "containers"):
        for container in _dicts(spec.get(field)):
            mounts = container.get("volumeMounts")
            if not isinstance(mounts, list):
                mounts = []
            if any(m.get("mountPath") == DEFAULT_API_TOKEN_MOUNT_PATH for m in _dicts(mounts)):
                continue
            container["volumeMounts"] = [
                *mounts,
                {"name": name, "readOnly": True, "mountPath": DEFAULT_API_TOKEN_MOUNT_PATH},
            ]
            needs_volume = True
    if existing is None and needs_volume:
        volumes = spec.get("volumes")
        spec["volumes"] = [
            *(volumes if isinstance(volumes, list) else []),
            {"name": name, "projected": token_volume_source()},
        ]


def _secret_refs(spec: Mapping[str, Any]) -> Iterator[str]:
    """Every secret name a pod refers to (a subset of ``VisitPodSecretNames``)."""
    for ref in _dicts(spec.get("imagePullSecrets")):
        yield str(ref.get("name") or "")
    for field in ("initContainers", "containers", "ephemeralContainers"):
        for container in _dicts(spec.get(field)):
            for source in _dicts(container.get("envFrom")):
                if isinstance(source.get("secretRef"), dict):
                    yield str(source["secretRef"].get("name") or "")
            for env in _dicts(container.get("env")):
                key_ref = (env.get("valueFrom") or {}).get("secretKeyRef")
                if isinstance(key_ref, dict):
                    yield str(key_ref.get("name") or "")
    for volume in _dicts(spec.get("volumes")):
        if isinstance(volume.get("secret"), dict):
            yield str(volume["secret"].get("secretName") or "")
        projected = volume.get("projected")
        if isinstance(projected, dict):
            for source in _dicts(projected.get("sources")):
                if isinstance(source.get("secret"), dict):
                    yield str(source["secret"].get("name") or "")


def _unmountable_secret(account: Mapping[str, Any], spec: Mapping[str, Any]) -> str | None:
    """Why the pod refers to a secret its account does not list (``limitSecretReferences``)."""
    account_name = (account.get("metadata") or {}).get("name", "")
    mountable = {str(s.get("name")) for s in _dicts(account.get("secrets"))}
    for volume in _dicts(spec.get("volumes")):
        secret = volume.get("secret")
        if isinstance(secret, dict) and secret.get("secretName") not in mountable:
            return (
                f'volume with secret.secretName="{secret.get("secretName")}" is not allowed '
                f"because service account {account_name} does not reference that secret"
            )
    for field, what in (("initContainers", "init container"), ("containers", "container")):
        for container in _dicts(spec.get(field)):
            for env in _dicts(container.get("env")):
                key_ref = (env.get("valueFrom") or {}).get("secretKeyRef")
                if isinstance(key_ref, dict) and key_ref.get("name") not in mountable:
                    return (
                        f"{what} {container.get('name')} with envVar {env.get('name')} "
                        f'referencing secret.secretName="{key_ref.get("name")}" is not allowed '
                        f"because service account {account_name} does not reference that secret"
                    )
    pullable = {str(s.get("name")) for s in _dicts(account.get("imagePullSecrets"))}
    for index, ref in enumerate(_dicts(spec.get("imagePullSecrets"))):
        if ref.get("name") not in pullable:
            return (
                f'imagePullSecrets[{index}].name="{ref.get("name")}" is not allowed because '
                f"service account {account_name} does not reference that imagePullSecret"
            )
    return None


def _enforces_mountable_secrets(account: Mapping[str, Any]) -> bool:
    annotations = (account.get("metadata") or {}).get("annotations") or {}
    return str(annotations.get(ENFORCE_MOUNTABLE_SECRETS_ANNOTATION, "")).lower() in (
        "true",
        "1",
        "t",
    )


class ServiceAccount(AdmissionPlugin):
    """Pods run as an existing service account, with its token mounted."""

    name = NAME
    operations = frozenset({CREATE})

    def __init__(
        self,
        service_accounts: ObjectReader,
        *,
        live_service_accounts: ObjectReader | None = None,
        sleep: Sleep = asyncio.sleep,
        generate_name: Callable[[str], str] = naming.generate_name,
    ) -> None:
        self._accounts = service_accounts
        self._live = live_service_accounts or service_accounts
        self._sleep = sleep
        self._generate_name = generate_name

    def handles(self, attributes: Attributes) -> bool:
        return (
            attributes.operation == CREATE
            and attributes.resource == "pods"
            and not attributes.group
            and not attributes.subresource
            and attributes.obj is not None
        )

    async def _account(self, namespace: str, name: str) -> Obj | None:
        """The account from the cache, else from the store (retried for ``default``)."""
        found = await self._accounts.get(namespace, name)
        if found is not None:
            return found
        attempts = DEFAULT_ACCOUNT_ATTEMPTS if name == DEFAULT_SERVICE_ACCOUNT else 1
        interval = random.uniform(0.1, 0.2)
        for attempt in range(attempts):
            if attempt:
                await self._sleep(interval)
            found = await self._live.get(namespace, name)
            if found is not None:
                return found
        return None

    async def _existing_account(self, attributes: Attributes, spec: Mapping[str, Any]) -> Obj:
        name = str(spec.get("serviceAccountName") or "")
        if not name:
            pod_name = ((attributes.obj or {}).get("metadata") or {}).get("name", "")
            raise forbidden(
                attributes,
                f"no service account specified for pod {attributes.namespace}/{pod_name}",
            )
        account = await self._account(attributes.namespace, name)
        if account is None:
            raise forbidden(
                attributes,
                f"service account {attributes.namespace}/{name} was not found, retry after the "
                "service account is created",
            )
        return account

    async def admit(self, attributes: Attributes) -> None:
        pod = attributes.obj
        assert pod is not None
        spec = pod.get("spec")
        if not isinstance(spec, dict) or _is_mirror(pod):
            return  # validation reports a missing spec; mirror pods are checked in validate
        if not spec.get("serviceAccountName"):
            spec["serviceAccountName"] = DEFAULT_SERVICE_ACCOUNT
            spec["serviceAccount"] = DEFAULT_SERVICE_ACCOUNT
        account = await self._existing_account(attributes, spec)
        if _should_automount(account, spec):
            mount_token(spec, lambda: self._generate_name(VOLUME_PREFIX))
        if not spec.get("imagePullSecrets") and account.get("imagePullSecrets"):
            spec["imagePullSecrets"] = [
                {"name": ref.get("name")} for ref in _dicts(account["imagePullSecrets"])
            ]

    async def validate(self, attributes: Attributes) -> None:
        pod = attributes.obj
        assert pod is not None
        spec = pod.get("spec")
        if not isinstance(spec, dict):
            return
        if _is_mirror(pod):
            _check_mirror_pod(attributes, spec)
            return
        account = await self._existing_account(attributes, spec)
        if _enforces_mountable_secrets(account):
            refused = _unmountable_secret(account, spec)
            if refused:
                raise forbidden(attributes, refused)


def _is_mirror(pod: Mapping[str, Any]) -> bool:
    return MIRROR_POD_ANNOTATION in ((pod.get("metadata") or {}).get("annotations") or {})


def _check_mirror_pod(attributes: Attributes, spec: Mapping[str, Any]) -> None:
    if spec.get("serviceAccountName"):
        raise forbidden(attributes, "a mirror pod may not reference service accounts")
    if any(True for _ in _secret_refs(spec)):
        raise forbidden(attributes, "a mirror pod may not reference secrets")
    for volume in _dicts(spec.get("volumes")):
        projected = volume.get("projected")
        if isinstance(projected, dict) and any(
            "serviceAccountToken" in source for source in _dicts(projected.get("sources"))
        ):
            raise forbidden(
                attributes, "a mirror pod may not use ServiceAccountToken volume projections"
            )
