"""Service account tokens: issued for TokenRequest, verified for TokenReview and bearer auth.

A token is an RS256 JWT (``auth.jwt``) signed with the cluster's service
account key, with the claims Kubernetes 1.32 writes for a bound token
(``pkg/serviceaccount/claims.go``)::

    {"aud": ["https://kubernetes.default.svc.cluster.local"], "exp": 1700003600,
     "iat": 1700000000, "iss": "https://kubernetes.default.svc.cluster.local",
     "jti": "<uuid>", "nbf": 1700000000, "sub": "system:serviceaccount:default:builder",
     "kubernetes.io": {"namespace": "default",
                       "serviceaccount": {"name": "builder", "uid": "<uid>"},
                       "pod": {"name": "web", "uid": "<uid>"},
                       "node": {"name": "node-1", "uid": "<uid>"},
                       "warnafter": 1700003607}}

``pod``/``secret``/``node`` appear when the token is bound to that object (a
pod-bound token also names the pod's node); ``warnafter`` only on the
kubelet's extended projected tokens.

:meth:`ServiceAccountTokens.verify` is what Kubernetes' service account
authenticator does (``pkg/serviceaccount/jwt.go`` and ``claims.go``), in its
order:

1. A token that is not a compact JWS whose (unverified) ``iss`` is ours is not
   ours at all: ``None``, and the caller tries other authenticators.
2. Otherwise every failure raises :class:`InvalidTokenError` with Kubernetes'
   message: a ``kid`` we do not have, a bad signature, audiences that do not
   intersect the requested ones (the API server's by default), ``nbf``/``exp``
   /``iat`` outside the time allowed (60 s leeway, go-jose's), and then the
   service account, and the pod, secret or node the token is bound to, must
   still exist with the uid the token names and not have been deleted more
   than the leeway ago.
3. A valid token authenticates ``system:serviceaccount:<ns>:<name>`` in the
   groups ``system:serviceaccounts`` and ``system:serviceaccounts:<ns>``, with
   ``extra`` naming the credential (``JTI=<jti>``) and the bound pod and node.

``ServiceAccountTokens`` is thereby one of the API server's token
authenticators (``apiserver.authn.interface.TokenAuthenticator``): bearer
tokens of requests and TokenReviews go through ``verify``.

Objects are read through an injected :class:`ObjectLookup`, and time through
an injected clock, so the logic is tested without a server or real time.
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from cryptography.hazmat.primitives.asymmetric import rsa

from kubeling.api.authentication.serviceaccount import group_names, username
from kubeling.api.authentication.user import CREDENTIAL_ID_KEY, UserInfo
from kubeling.api.goformat import go_quote
from kubeling.api.uids import new_uid
from kubeling.apiserver.auth import jwt
from kubeling.apiserver.authn.interface import Authenticated, AuthenticationError
from kubeling.pki import DEFAULT_CLUSTER_DOMAIN

__all__ = [
    "CREDENTIAL_ID_KEY",
    "DEFAULT_ISSUER",
    "EXPIRATION_EXTENSION_SECONDS",
    "LEEWAY_SECONDS",
    "LOOKUP_PLURALS",
    "NODE_NAME_KEY",
    "NODE_UID_KEY",
    "POD_NAME_KEY",
    "POD_UID_KEY",
    "WARN_ONLY_BOUND_TOKEN_EXPIRATION_SECONDS",
    "Authenticated",
    "Binding",
    "InvalidTokenError",
    "ObjectLookup",
    "ObjectRef",
    "ServiceAccountTokens",
    "group_names",
    "token_claims",
    "username",
]

DEFAULT_ISSUER = f"https://kubernetes.default.svc.{DEFAULT_CLUSTER_DOMAIN}"
"""The issuer kubeadm configures: the ``kubernetes`` Service's name in the cluster domain."""

WARN_ONLY_BOUND_TOKEN_EXPIRATION_SECONDS = 60 * 60 + 7
"""The lifetime the kubelet asks for projected tokens; extended, with a ``warnafter``."""

EXPIRATION_EXTENSION_SECONDS = 24 * 365 * 60 * 60
"""How long such a token really lives (one year), for clients that do not yet refresh."""

LEEWAY_SECONDS = 60
"""go-jose's ``jwt.DefaultLeeway``: clock skew allowed on nbf, exp and iat."""

POD_NAME_KEY = "authentication.kubernetes.io/pod-name"
POD_UID_KEY = "authentication.kubernetes.io/pod-uid"
NODE_NAME_KEY = "authentication.kubernetes.io/node-name"
NODE_UID_KEY = "authentication.kubernetes.io/node-uid"

_PRIVATE = "kubernetes.io"
_INVALIDATED = "service account token has been invalidated"


class InvalidTokenError(AuthenticationError):
    """A token of ours that does not authenticate; ``str()`` is Kubernetes' reason."""


LOOKUP_PLURALS = {
    "ServiceAccount": "serviceaccounts",
    "Pod": "pods",
    "Secret": "secrets",
    "Node": "nodes",
}
"""The core/v1 kinds tokens name, and their resources."""


class ObjectLookup(Protocol):
    """Reads a live object: ``kind`` is one of :data:`LOOKUP_PLURALS`.

    Returns None when the object does not exist (``namespace`` is ``""`` for
    nodes). Other failures raise.
    """

    async def __call__(self, kind: str, namespace: str, name: str) -> Mapping[str, Any] | None: ...


@dataclass(frozen=True, slots=True)
class ObjectRef:
    """A name and uid, as a token's private claims record an object."""

    name: str
    uid: str = ""

    def claim(self) -> dict[str, str]:
        """The ``{"name", "uid"}`` claim, empty fields left out as Go's omitempty does."""
        return {key: value for key, value in (("name", self.name), ("uid", self.uid)) if value}


@dataclass(frozen=True, slots=True)
class Binding:
    """The objects a token is bound to: a pod (and its node), a secret, or a node."""

    pod: ObjectRef | None = None
    secret: ObjectRef | None = None
    node: ObjectRef | None = None

    def __post_init__(self) -> None:
        if self.secret is not None and (self.pod is not None or self.node is not None):
            raise ValueError("a token can only be bound to one object type")


def token_claims(
    *,
    issuer: str,
    namespace: str,
    service_account: ObjectRef,
    audiences: Sequence[str],
    now: int,
    expiration_seconds: int,
    jti: str,
    binding: Binding = Binding(),
    warn_after_seconds: int = 0,
) -> dict[str, Any]:
    """The claims of a bound token issued at ``now`` (Unix seconds), as Kubernetes writes them.

    >>> claims = token_claims(issuer="https://i", namespace="ns", audiences=["a"],
    ...     service_account=ObjectRef("sa", "u1"), now=100, expiration_seconds=600, jti="j")
    >>> claims["sub"], claims["exp"]
    ('system:serviceaccount:ns:sa', 700)
    >>> claims["kubernetes.io"]
    {'serviceaccount': {'name': 'sa', 'uid': 'u1'}, 'namespace': 'ns'}
    """
    private: dict[str, Any] = {"serviceaccount": service_account.claim()}
    if namespace:
        private["namespace"] = namespace
    if binding.pod is not None:
        private["pod"] = binding.pod.claim()
        if binding.node is not None:
            private["node"] = binding.node.claim()
    elif binding.secret is not None:
        private["secret"] = binding.secret.claim()
    elif binding.node is not None:
        private["node"] = binding.node.claim()
    if warn_after_seconds:
        private["warnafter"] = now + warn_after_seconds
    claims: dict[str, Any] = {
        "iss": issuer,
        "sub": username(namespace, service_account.name),
        "iat": now,
        "nbf": now,
        "exp": now + expiration_seconds,
        _PRIVATE: private,
    }
    if audiences:
        claims["aud"] = list(audiences)
    if jti:
        claims["jti"] = jti
    return claims


def _new_jti() -> str:
    return new_uid()


class ServiceAccountTokens:
    """Issues and verifies the cluster's service account tokens with one signing key.

    ``api_audiences`` are the API server's own audiences (Kubernetes'
    ``--api-audiences``), by default just the issuer: a token requested with no
    audience gets them, and a review that names none checks against them.
    """

    def __init__(
        self,
        *,
        signing_key: rsa.RSAPrivateKey,
        lookup: ObjectLookup,
        issuer: str = DEFAULT_ISSUER,
        api_audiences: Sequence[str] = (),
        clock: Callable[[], float] = time.time,
        new_jti: Callable[[], str] = _new_jti,
    ) -> None:
        self.issuer = issuer
        self.api_audiences: tuple[str, ...] = tuple(api_audiences) or (issuer,)
        self.public_key = signing_key.public_key()
        self.key_id = jwt.key_id(self.public_key)
        self._signing_key = signing_key
        self._lookup = lookup
        self._clock = clock
        self._new_jti = new_jti

    def now(self) -> float:
        """The current time on this issuer's clock (Unix seconds)."""
        return self._clock()

    # -- issuing ---------------------------------------------------------------

    def issue(
        self,
        *,
        namespace: str,
        service_account: ObjectRef,
        audiences: Sequence[str],
        expiration_seconds: int,
        binding: Binding = Binding(),
        warn_after_seconds: int = 0,
        now: float | None = None,
    ) -> str:
        """A signed token for the service account, valid ``expiration_seconds`` from ``now``."""
        issued_at = int(self._clock() if now is None else now)
        claims = token_claims(
            issuer=self.issuer,
            namespace=namespace,
            service_account=service_account,
            audiences=audiences,
            now=issued_at,
            expiration_seconds=expiration_seconds,
            jti=self._new_jti(),
            binding=binding,
            warn_after_seconds=warn_after_seconds,
        )
        return jwt.sign(claims, self._signing_key, kid=self.key_id)

    # -- verifying -------------------------------------------------------------

    async def verify(self, token: str, *, audiences: Sequence[str] = ()) -> Authenticated | None:
        """Authenticate ``token`` for ``audiences`` (default: the API server's): the
        service account token authenticator of the API server's chain.

        None if the token is not one of ours; :class:`InvalidTokenError` if it
        is ours and not valid (see the module notes for every check).
        """
        # Kubernetes first reads the unverified issuer: a token that does not even
        # parse, or names another issuer, is some other authenticator's.
        try:
            signed = jwt.parse(token)
        except jwt.MalformedTokenError:
            return None
        if signed.claims.get("iss") != self.issuer:
            return None
        if signed.key_id and signed.key_id != self.key_id:
            raise InvalidTokenError("invalid signature, no keys found")
        try:
            jwt.verify_signature(signed, self.public_key)
        except jwt.SignatureError as err:
            raise InvalidTokenError(str(err)) from err
        claims = _Claims.read(signed.claims)
        if claims.issuer != self.issuer:
            raise InvalidTokenError(f"token issuer {go_quote(claims.issuer)} is invalid")

        token_audiences = claims.audiences or self.api_audiences
        requested = tuple(audiences) or self.api_audiences
        accepted = tuple(a for a in token_audiences if a in requested)
        if not accepted:
            raise InvalidTokenError(
                f"token audiences {_go_list(token_audiences)} is invalid for the target "
                f"audiences {_go_list(requested)}"
            )
        now = self._clock()
        self._check_times(claims, now)
        user = await self._validate_objects(claims, now)
        return Authenticated(user=user, audiences=accepted)

    @staticmethod
    def _check_times(claims: _Claims, now: float) -> None:
        # go-jose's order: nbf, then exp, then iat; each with the leeway.
        if claims.not_before is not None and now + LEEWAY_SECONDS < claims.not_before:
            raise InvalidTokenError("service account token is not valid yet")
        if claims.expiry is not None and now - LEEWAY_SECONDS > claims.expiry:
            raise InvalidTokenError("service account token has expired")
        if claims.issued_at is not None and now + LEEWAY_SECONDS < claims.issued_at:
            raise InvalidTokenError("service account token is issued in the future")

    async def _validate_objects(self, claims: _Claims, now: float) -> UserInfo:
        """The bound-object checks of Kubernetes' validator, and the user they yield."""
        namespace, sa_ref = claims.namespace, claims.service_account
        # Objects deleted before now minus the leeway no longer vouch for a token.
        deleted_before = now - LEEWAY_SECONDS
        sa = await self._lookup("ServiceAccount", namespace, sa_ref.name)
        if sa is None:
            raise InvalidTokenError(f"serviceaccounts {go_quote(sa_ref.name)} not found")
        if _uid(sa) != sa_ref.uid:
            raise InvalidTokenError(
                f"service account UID ({_uid(sa)}) does not match claim ({sa_ref.uid})"
            )
        if _deleted_before(sa, deleted_before):
            raise InvalidTokenError(f"service account {namespace}/{sa_ref.name} has been deleted")

        if claims.secret is not None:
            secret = await self._lookup("Secret", namespace, claims.secret.name)
            if secret is None:
                raise InvalidTokenError(_INVALIDATED)
            if _uid(secret) != claims.secret.uid:
                raise InvalidTokenError(
                    f"secret UID ({_uid(secret)}) does not match service account secret ref "
                    f"claim ({claims.secret.uid})"
                )
            if _deleted_before(secret, deleted_before):
                raise InvalidTokenError(_INVALIDATED)

        extra: dict[str, tuple[str, ...]] = {}
        if claims.pod is not None:
            pod = await self._lookup("Pod", namespace, claims.pod.name)
            if pod is None:
                raise InvalidTokenError(_INVALIDATED)
            if _uid(pod) != claims.pod.uid:
                raise InvalidTokenError(
                    f"pod UID ({_uid(pod)}) does not match service account pod ref claim "
                    f"({claims.pod.uid})"
                )
            if _deleted_before(pod, deleted_before):
                raise InvalidTokenError(_INVALIDATED)
            if claims.pod.name and claims.pod.uid:
                extra[POD_NAME_KEY] = (claims.pod.name,)
                extra[POD_UID_KEY] = (claims.pod.uid,)

        if claims.node is not None and claims.pod is None:
            # A token bound to the node itself: the node must still be that node.
            node = await self._lookup("Node", "", claims.node.name)
            if node is None:
                raise InvalidTokenError(_INVALIDATED)
            if _uid(node) != claims.node.uid:
                raise InvalidTokenError(
                    f"node UID ({_uid(node)}) does not match service account node ref claim "
                    f"({claims.node.uid})"
                )
            if _deleted_before(node, deleted_before):
                raise InvalidTokenError(_INVALIDATED)
        if claims.jti:
            extra[CREDENTIAL_ID_KEY] = (f"JTI={claims.jti}",)
        if claims.node is not None and claims.node.name:
            # For a pod-bound token the node is only reported, as it was at issue.
            extra[NODE_NAME_KEY] = (claims.node.name,)
            if claims.node.uid:
                extra[NODE_UID_KEY] = (claims.node.uid,)
        return UserInfo(
            name=username(namespace, sa_ref.name),
            uid=sa_ref.uid,
            groups=group_names(namespace),
            extra=dict(sorted(extra.items())),
        )


# -- reading claims -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Claims:
    """The claims Kubernetes' validator reads, type-checked as Go's decoder would."""

    issuer: str
    audiences: tuple[str, ...]
    jti: str
    expiry: float | None
    not_before: float | None
    issued_at: float | None
    namespace: str
    service_account: ObjectRef
    pod: ObjectRef | None
    secret: ObjectRef | None
    node: ObjectRef | None

    @classmethod
    def read(cls, claims: Mapping[str, Any]) -> _Claims:
        private = claims.get(_PRIVATE)
        if private is None:
            private = {}
        if not isinstance(private, dict):
            raise _type_error(private, "privateClaims.kubernetes.io", "kubernetes")
        return cls(
            issuer=_string(claims, "iss", "Claims.iss"),
            audiences=_audiences(claims.get("aud")),
            jti=_string(claims, "jti", "Claims.jti"),
            expiry=_numeric_date(claims.get("exp")),
            not_before=_numeric_date(claims.get("nbf")),
            issued_at=_numeric_date(claims.get("iat")),
            namespace=_string(private, "namespace", "kubernetes.namespace"),
            service_account=_ref(private.get("serviceaccount"), "serviceaccount") or ObjectRef(""),
            pod=_ref(private.get("pod"), "pod"),
            secret=_ref(private.get("secret"), "secret"),
            node=_ref(private.get("node"), "node"),
        )


def _json_type(value: object) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _type_error(value: object, where: str, go_type: str) -> InvalidTokenError:
    return InvalidTokenError(
        f"json: cannot unmarshal {_json_type(value)} into Go struct field {where} of type {go_type}"
    )


def _string(obj: Mapping[str, Any], key: str, where: str) -> str:
    value = obj.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise _type_error(value, where, "string")
    return value


def _numeric_date(value: object) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidTokenError("go-jose/go-jose/jwt: expected number for numeric date value")
    return float(int(value))


def _audiences(value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return tuple(value)
    raise InvalidTokenError(
        "go-jose/go-jose/jwt: expected string or array value to unmarshal to Audience"
    )


def _ref(value: object, name: str) -> ObjectRef | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise _type_error(value, f"kubernetes.{name}", "serviceaccount.ref")
    return ObjectRef(
        name=_string(value, "name", "ref.name"),
        uid=_string(value, "uid", "ref.uid"),
    )


def _uid(obj: Mapping[str, Any]) -> str:
    meta = obj.get("metadata") or {}
    return str(meta.get("uid") or "")


def _deleted_before(obj: Mapping[str, Any], moment: float) -> bool:
    """True if the object's deletionTimestamp is set and earlier than ``moment``."""
    meta = obj.get("metadata") or {}
    stamp = meta.get("deletionTimestamp")
    if not isinstance(stamp, str) or not stamp:
        return False
    try:
        deleted = datetime.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return False
    return deleted.timestamp() < moment


def _go_list(items: Sequence[str]) -> str:
    """A string slice as Go's ``%q`` prints it.

    >>> _go_list(["a", "b c"])
    '["a" "b c"]'
    """
    return "[" + " ".join(go_quote(item) for item in items) + "]"
