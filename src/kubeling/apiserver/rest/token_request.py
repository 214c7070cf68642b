"""``POST serviceaccounts/<name>/token``: issue a TokenRequest (``kubectl create token``).

Kubernetes' ``TokenREST.Create`` (``pkg/registry/core/serviceaccount/storage/
token.go``), step by step:

1. The body is an ``authentication.k8s.io/v1`` TokenRequest (JSON, YAML or
   protobuf), checked as any written body is; ``spec.expirationSeconds``
   defaults to 3600. Its namespace, if set, must be the URL's (400); its name,
   if set, the service account's (422).
2. The service account must exist (404). ``spec.audiences`` defaults to the
   API server's audiences; name, namespace and ``creationTimestamp`` are filled.
3. ``expirationSeconds`` must be at least 600 and at most 2^32 (422, with
   Kubernetes' messages and an empty object name, as Kubernetes reports it).
4. ``spec.boundObjectRef`` names a Pod (running as this service account; its
   node is recorded too), a Secret or a Node of core/v1. It must exist (404),
   and a uid given must be its uid (409 Conflict); any other kind is a 400.
5. A lifetime above the server's maximum (none by default) is shortened, with
   a Warning. A pod-bound token asking for exactly 3607 s for the API server's
   audiences (the kubelet's projected token) lives a year but carries
   ``warnafter`` (Kubernetes' ``--service-account-extend-token-expiration``).
6. The answer, 201 Created, is the request with ``status.token`` and
   ``status.expirationTimestamp`` (now plus the granted seconds). Nothing is
   stored.
"""

from __future__ import annotations

import copy
import datetime
from collections.abc import Sequence
from typing import Any

from kubeling.api import errors, naming
from kubeling.api.authentication.v1 import TokenRequest
from kubeling.api.field import invalid
from kubeling.api.goformat import go_quote
from kubeling.api.schema import GroupVersionKind
from kubeling.apiserver.auth.serviceaccount_tokens import (
    EXPIRATION_EXTENSION_SECONDS,
    LOOKUP_PLURALS,
    WARN_ONLY_BOUND_TOKEN_EXPIRATION_SECONDS,
    Binding,
    ObjectLookup,
    ObjectRef,
    ServiceAccountTokens,
)
from kubeling.apiserver.rest import objects
from kubeling.apiserver.rest.decoding import check_fields, check_kind
from kubeling.apiserver.rest.options import WriteOptions
from kubeling.apiserver.warnings import add_warning

__all__ = [
    "DEFAULT_EXPIRATION_SECONDS",
    "MAX_EXPIRATION_SECONDS",
    "MIN_EXPIRATION_SECONDS",
    "TokenRequests",
]

Obj = dict[str, Any]

DEFAULT_EXPIRATION_SECONDS = 60 * 60
MIN_EXPIRATION_SECONDS = 10 * 60
MAX_EXPIRATION_SECONDS = 1 << 32

_GVK = GroupVersionKind("authentication.k8s.io", "v1", "TokenRequest")
_GROUP_KIND = "TokenRequest.authentication.k8s.io"


class TokenRequests:
    """The ``token`` subresource of ServiceAccounts.

    ``max_expiration_seconds`` is Kubernetes' ``--service-account-max-token-
    expiration`` (0: no maximum, the default); ``extend_expiration`` its
    ``--service-account-extend-token-expiration`` (on by default).
    """

    def __init__(
        self,
        tokens: ServiceAccountTokens,
        lookup: ObjectLookup,
        *,
        max_expiration_seconds: int = 0,
        extend_expiration: bool = True,
    ) -> None:
        self.tokens = tokens
        self._lookup = lookup
        self.max_expiration_seconds = max_expiration_seconds
        self.extend_expiration = extend_expiration

    async def create(
        self,
        namespace: str,
        name: str,
        body: Any,
        options: WriteOptions,
        *,
        duplicates: Sequence[str] = (),
    ) -> Obj:
        """Issue a token for ``namespace/name`` as ``body`` asks; the TokenRequest answered."""
        request = self._decode(body, options, duplicates)
        meta: Obj = request["metadata"]
        spec: Obj = request["spec"]
        if meta.get("namespace") and meta["namespace"] != namespace:
            raise errors.bad_request(
                "the namespace of the provided object does not match the namespace sent on "
                "the request"
            )
        if meta.get("name") and meta["name"] != name:
            raise errors.invalid(
                _GROUP_KIND,
                name,
                [
                    invalid(
                        "metadata.name",
                        meta["name"],
                        "must match the service account name if specified",
                    )
                ],
            )
        service_account = await self._get("ServiceAccount", namespace, name)
        if not spec.get("audiences"):
            spec["audiences"] = list(self.tokens.api_audiences)
        meta["name"] = name
        meta["namespace"] = namespace
        now = self.tokens.now()
        meta["creationTimestamp"] = _rfc3339(now)
        request.pop("status", None)

        expiration = spec["expirationSeconds"]
        self._validate(expiration)
        binding = await self._bind(namespace, name, spec.get("boundObjectRef"))

        if 0 < self.max_expiration_seconds < expiration:
            add_warning(
                f"requested expiration of {expiration} seconds shortened to "
                f"{self.max_expiration_seconds} seconds"
            )
            expiration = spec["expirationSeconds"] = self.max_expiration_seconds
        lifetime, warn_after = expiration, 0
        if (
            self.extend_expiration
            and binding.pod is not None
            and expiration == WARN_ONLY_BOUND_TOKEN_EXPIRATION_SECONDS
            and set(spec["audiences"]) <= set(self.tokens.api_audiences)
        ):
            lifetime, warn_after = EXPIRATION_EXTENSION_SECONDS, expiration

        token = self.tokens.issue(
            namespace=namespace,
            service_account=ObjectRef(name, _uid(service_account)),
            audiences=spec["audiences"],
            expiration_seconds=lifetime,
            binding=binding,
            warn_after_seconds=warn_after,
            now=now,
        )
        return {
            "kind": _GVK.kind,
            "apiVersion": _GVK.api_version,
            "metadata": meta,
            "spec": {
                "audiences": spec["audiences"],
                "expirationSeconds": expiration,
                "boundObjectRef": spec.get("boundObjectRef"),
            },
            "status": {"token": token, "expirationTimestamp": _rfc3339(now + expiration)},
        }

    # -- steps -----------------------------------------------------------------

    @staticmethod
    def _decode(body: Any, options: WriteOptions, duplicates: Sequence[str]) -> Obj:
        """The body as a TokenRequest: kind, field types and unknown fields checked, defaulted."""
        if not isinstance(body, dict):
            raise errors.bad_request("the request body must be a JSON object")
        check_kind(body, _GVK)
        request = copy.deepcopy(body)
        check_fields(request, type=TokenRequest, gvk=_GVK, options=options, duplicates=duplicates)
        if request.get("metadata") is None:
            request["metadata"] = {}
        if request.get("spec") is None:
            request["spec"] = {}
        spec = request["spec"]
        if spec.get("expirationSeconds") is None:
            spec["expirationSeconds"] = DEFAULT_EXPIRATION_SECONDS
        return request

    @staticmethod
    def _validate(expiration: int) -> None:
        """``ValidateTokenRequest``: the lifetime's bounds (422, reported for name "")."""
        problems = []
        if expiration < MIN_EXPIRATION_SECONDS:
            problems.append(
                invalid(
                    "spec.expirationSeconds",
                    expiration,
                    "may not specify a duration less than 10 minutes",
                )
            )
        if expiration > MAX_EXPIRATION_SECONDS:
            problems.append(
                invalid(
                    "spec.expirationSeconds",
                    expiration,
                    "may not specify a duration larger than 2^32 seconds",
                )
            )
        if problems:
            raise errors.invalid(_GROUP_KIND, "", problems)

    async def _bind(self, namespace: str, name: str, ref: Any) -> Binding:
        """The objects ``boundObjectRef`` binds the token to, checked as Kubernetes does."""
        if not isinstance(ref, dict):
            return Binding()
        group, version = _parse_api_version(str(ref.get("apiVersion") or ""))
        kind = str(ref.get("kind") or "")
        ref_name, ref_uid = str(ref.get("name") or ""), str(ref.get("uid") or "")
        if group or kind not in ("Pod", "Node", "Secret"):
            raise errors.bad_request(
                f"cannot bind token to object of type {group}/{version}, Kind={kind}"
            )
        target = await self._get(kind, "" if kind == "Node" else namespace, ref_name)
        uid = _uid(target)
        if ref_uid and ref_uid != uid:
            raise errors.conflict(
                kind,
                ref_name,
                f"the UID in the bound object reference ({ref_uid}) does not match the UID in "
                "record. The object might have been deleted and then recreated",
            )
        if kind == "Secret":
            return Binding(secret=ObjectRef(ref_name, uid))
        if kind == "Node":
            return Binding(node=ObjectRef(ref_name, uid))
        pod_spec = target.get("spec") or {}
        if pod_spec.get("serviceAccountName") != name:
            raise errors.bad_request(
                f"cannot bind token for serviceaccount {go_quote(name)} to pod running with "
                "different serviceaccount name."
            )
        node = None
        node_name = str(pod_spec.get("nodeName") or "")
        if node_name:
            # The node is recorded with its uid when it exists, by name alone when not.
            node_obj = await self._lookup("Node", "", node_name)
            node = ObjectRef(node_name, _uid(node_obj) if node_obj is not None else "")
        return Binding(pod=ObjectRef(ref_name, uid), node=node)

    async def _get(self, kind: str, namespace: str, name: str) -> Obj:
        """The live object, or the 400/404 Kubernetes' registry answers for its name."""
        if not name:
            raise errors.bad_request("Name parameter required.")
        problems = naming.path_segment_name(name, prefix=False)
        if problems:
            raise errors.bad_request(
                f"Name parameter invalid: {go_quote(name)}: {';'.join(problems)}"
            )
        obj = await self._lookup(kind, namespace, name)
        if obj is None:
            raise errors.not_found(LOOKUP_PLURALS[kind], name)
        return dict(obj)


def _parse_api_version(api_version: str) -> tuple[str, str]:
    """``schema.ParseGroupVersion``, with its error read as no group (as Kubernetes does).

    >>> _parse_api_version("v1"), _parse_api_version("apps/v1"), _parse_api_version("a/b/c")
    (('', 'v1'), ('apps', 'v1'), ('', ''))
    """
    if api_version in ("", "/"):
        return "", ""
    slashes = api_version.count("/")
    if slashes == 0:
        return "", api_version
    if slashes == 1:
        group, version = api_version.split("/")
        return group, version
    return "", ""


def _uid(obj: Any) -> str:
    meta = obj.get("metadata") if isinstance(obj, dict) else None
    return str((meta or {}).get("uid") or "")


def _rfc3339(seconds: float) -> str:
    return objects.now_rfc3339(datetime.datetime.fromtimestamp(seconds, datetime.UTC))
