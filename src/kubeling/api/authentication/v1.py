"""authentication.k8s.io/v1: TokenRequest, TokenReview and SelfSubjectReview.

None of these kinds is stored. TokenRequest is the ``serviceaccounts/token``
subresource (``kubectl create token``); TokenReview and SelfSubjectReview
(``kubectl auth whoami``) are create-only and answered in ``status``.

Field numbers come from ``k8s.io/api/authentication/v1/generated.proto``:
``TokenRequestSpec.expirationSeconds`` is 4 and ``boundObjectRef`` 3, and
``TokenReviewStatus.audiences`` is 4 after ``error`` 3. ``UserInfo.extra`` is
``map[string]ExtraValue`` in Go: a map of string lists in JSON, and in
protobuf a map whose values are ExtraValue messages with ``items`` = 1.
"""

from __future__ import annotations

from kubeling.api.schema import (
    BOOL,
    INT64,
    STRING,
    TIME,
    TYPE_META_TERSE,
    Field,
    Kinds,
    ListOf,
    MapOf,
    Object,
    Ref,
)

__all__ = [
    "BoundObjectReference",
    "SelfSubjectReview",
    "SelfSubjectReviewStatus",
    "TokenRequest",
    "TokenRequestSpec",
    "TokenRequestStatus",
    "TokenReview",
    "TokenReviewSpec",
    "TokenReviewStatus",
    "UserInfo",
]

GROUP = "authentication.k8s.io"
VERSION = "v1"

_KINDS = Kinds("io.k8s.api.authentication.v1.", GROUP, VERSION, TYPE_META_TERSE)
_METADATA = Field(
    "metadata",
    1,
    Ref("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"),
    "Standard object's metadata.",
)


BoundObjectReference = Object(
    "io.k8s.api.authentication.v1.BoundObjectReference",
    "An object a token is bound to.",
    [
        Field("kind", 1, STRING, "Kind of the referent, e.g. Pod or Secret."),
        Field("apiVersion", 2, STRING, "API version of the referent."),
        Field("name", 3, STRING, "Name of the referent."),
        Field("uid", 4, STRING, "UID of the referent."),
    ],
)

TokenRequestSpec = Object(
    "io.k8s.api.authentication.v1.TokenRequestSpec",
    "Client-provided parameters of a token request.",
    [
        Field(
            "audiences",
            1,
            ListOf(STRING),
            "Intended audiences of the token.",
            required=True,
            list_type="atomic",
        ),
        Field(
            "boundObjectRef",
            3,
            BoundObjectReference,
            "Object the token is bound to; the token dies with it.",
        ),
        Field("expirationSeconds", 4, INT64, "Requested validity of the token in seconds."),
    ],
)

TokenRequestStatus = Object(
    "io.k8s.api.authentication.v1.TokenRequestStatus",
    "The result of a token request.",
    [
        Field("token", 1, STRING, "The opaque bearer token.", required=True),
        Field(
            "expirationTimestamp",
            2,
            TIME,
            "When the returned token expires.",
            required=True,
        ),
    ],
)

TokenRequest = _KINDS.kind(
    "TokenRequest",
    "Requests a token for a service account.",
    [
        _METADATA,
        Field("spec", 2, TokenRequestSpec, "The request being evaluated.", required=True),
        Field("status", 3, TokenRequestStatus, "The issued token."),
    ],
)

UserInfo = Object(
    "io.k8s.api.authentication.v1.UserInfo",
    "What the authenticator knows about a user.",
    [
        Field("username", 1, STRING, "Name that uniquely identifies the user among active users."),
        Field("uid", 2, STRING, "Identifies the user across time."),
        Field("groups", 3, ListOf(STRING), "Groups the user belongs to.", list_type="atomic"),
        Field("extra", 4, MapOf(ListOf(STRING)), "Additional information from the authenticator."),
    ],
)

TokenReviewSpec = Object(
    "io.k8s.api.authentication.v1.TokenReviewSpec",
    "A token authentication request.",
    [
        Field("token", 1, STRING, "The opaque bearer token."),
        Field(
            "audiences",
            2,
            ListOf(STRING),
            "Audiences the resource server identifies as; default: the apiserver's.",
            list_type="atomic",
        ),
    ],
)

TokenReviewStatus = Object(
    "io.k8s.api.authentication.v1.TokenReviewStatus",
    "The result of a token authentication request.",
    [
        Field("authenticated", 1, BOOL, "Whether the token belongs to a known user."),
        Field("user", 2, UserInfo, "The user the token belongs to."),
        Field("error", 3, STRING, "Why the token could not be checked."),
        Field(
            "audiences",
            4,
            ListOf(STRING),
            "Audiences compatible with both the review and the token.",
            list_type="atomic",
        ),
    ],
)

TokenReview = _KINDS.kind(
    "TokenReview",
    "Authenticates a token to a known user.",
    [
        _METADATA,
        Field("spec", 2, TokenReviewSpec, "The request being evaluated.", required=True),
        Field("status", 3, TokenReviewStatus, "Whether the token can be authenticated."),
    ],
)

SelfSubjectReviewStatus = Object(
    "io.k8s.api.authentication.v1.SelfSubjectReviewStatus",
    "What the apiserver knows about the requesting user.",
    [Field("userInfo", 1, UserInfo, "Attributes of the requesting user.")],
)

SelfSubjectReview = _KINDS.kind(
    "SelfSubjectReview",
    "The user information the apiserver has about the requesting user.",
    [
        _METADATA,
        Field("status", 2, SelfSubjectReviewStatus, "Filled in by the server."),
    ],
)
