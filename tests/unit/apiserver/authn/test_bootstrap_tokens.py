"""Bootstrap tokens: every rule of Kubernetes' bootstrap token authenticator."""

from __future__ import annotations

import base64
import datetime
from typing import Any

import pytest

from kubeling.api.authentication.user import UserInfo
from kubeling.apiserver.authn.bootstrap_tokens import BootstrapTokens
from tests.unit.apiserver.tokens._support import NOW, FakeClock, FakeObjects

TOKEN = "abcdef.0123456789abcdef"
AUDIENCES = ["https://kubernetes.default.svc.cluster.local"]


def _secret(objects: FakeObjects, **data: str) -> dict[str, Any]:
    """The Secret for TOKEN, with ``data`` replacing or adding keys (None removes)."""
    values = {
        "token-id": "abcdef",
        "token-secret": "0123456789abcdef",
        "usage-bootstrap-authentication": "true",
        **data,
    }
    return objects.put(
        "Secret",
        "kube-system",
        "bootstrap-token-abcdef",
        "secret-uid",
        type="bootstrap.kubernetes.io/token",
        data={key: base64.b64encode(value.encode()).decode() for key, value in values.items()},
    )


@pytest.fixture
def objects() -> FakeObjects:
    return FakeObjects()


@pytest.fixture
def tokens(objects: FakeObjects) -> BootstrapTokens:
    return BootstrapTokens(objects, clock=FakeClock())


async def _user(tokens: BootstrapTokens, token: str = TOKEN) -> UserInfo | None:
    authenticated = await tokens.verify(token, audiences=AUDIENCES)
    return authenticated.user if authenticated is not None else None


async def test_a_valid_token(tokens: BootstrapTokens, objects: FakeObjects) -> None:
    """system:bootstrap:<id> in system:bootstrappers, read from kube-system."""
    _secret(objects)
    assert await _user(tokens) == UserInfo(
        "system:bootstrap:abcdef", groups=("system:bootstrappers",)
    )
    assert objects.asked == [("Secret", "kube-system", "bootstrap-token-abcdef")]


async def test_extra_groups_sorted_and_unique(
    tokens: BootstrapTokens, objects: FakeObjects
) -> None:
    """auth-extra-groups join system:bootstrappers, sorted, once each."""
    _secret(
        objects,
        **{
            "auth-extra-groups": "system:bootstrappers:worker,system:bootstrappers:kubeadm:"
            "default-node-token,system:bootstrappers:worker"
        },
    )
    user = await _user(tokens)
    assert user is not None
    assert user.groups == (
        "system:bootstrappers",
        "system:bootstrappers:kubeadm:default-node-token",
        "system:bootstrappers:worker",
    )


async def test_expiration(tokens: BootstrapTokens, objects: FakeObjects) -> None:
    """Valid until its RFC 3339 expiration (exclusive); then no longer recognised."""
    _secret(objects, expiration="2027-01-15T08:00:01Z")  # NOW is 2027-01-15T08:00:00Z
    assert await _user(tokens) is not None
    _secret(objects, expiration="2027-01-15T10:00:00+02:00")  # the same moment as NOW
    assert await _user(tokens) is None
    _secret(objects, expiration="2027-01-15T09:00:00.5+01:00")
    assert await _user(tokens) is not None


@pytest.mark.parametrize(
    "expiration",
    ["tomorrow", "2099-01-01", "2099-01-01 00:00:00Z", "20990101T000000Z", "2099-13-01T00:00:00Z"],
)
async def test_unparseable_expiration_counts_as_expired(
    tokens: BootstrapTokens, objects: FakeObjects, expiration: str
) -> None:
    """Anything but RFC 3339 is treated as expired, as Kubernetes does."""
    _secret(objects, expiration=expiration)
    assert await _user(tokens) is None


@pytest.mark.parametrize(
    "data",
    [
        {"token-secret": "0123456789abcdeX"},
        {"token-id": "abcdeg"},
        {"usage-bootstrap-authentication": "false"},
        {"usage-bootstrap-authentication": "True"},
        {"auth-extra-groups": "system:masters"},
        {"auth-extra-groups": "system:bootstrappers:ok,system:bootstrappers:bad-"},
    ],
)
async def test_secret_contents_refuse(
    tokens: BootstrapTokens, objects: FakeObjects, data: dict[str, str]
) -> None:
    """Another secret, another id, no authentication usage, a bad extra group: not recognised."""
    _secret(objects, **data)
    assert await _user(tokens) is None


async def test_missing_usage_refuses(tokens: BootstrapTokens, objects: FakeObjects) -> None:
    """Without usage-bootstrap-authentication the token is only for signing."""
    secret = _secret(objects)
    del secret["data"]["usage-bootstrap-authentication"]
    assert await _user(tokens) is None


@pytest.mark.parametrize(
    "change",
    [
        {"type": "Opaque"},
        {"data": {}},
        {
            "metadata": {
                "name": "bootstrap-token-abcdef",
                "deletionTimestamp": "2027-01-01T00:00:00Z",
            }
        },
    ],
)
async def test_secret_kind_refuses(
    tokens: BootstrapTokens, objects: FakeObjects, change: dict[str, Any]
) -> None:
    """Another type, no data, or a Secret being deleted: not recognised."""
    _secret(objects).update(change)
    assert await _user(tokens) is None


async def test_no_secret(tokens: BootstrapTokens) -> None:
    """No bootstrap-token-<id> Secret: not recognised."""
    assert await _user(tokens) is None


@pytest.mark.parametrize(
    "token",
    [
        "abcdef0123456789abcdef",
        "ABCDEF.0123456789abcdef",
        "abcde.0123456789abcdef",
        "abcdef.0123456789abcde",
        "abcdef.0123456789abcdef.x",
        "",
    ],
)
async def test_malformed_tokens_are_not_looked_up(
    tokens: BootstrapTokens, objects: FakeObjects, token: str
) -> None:
    """Only [a-z0-9]{6}.[a-z0-9]{16} is a bootstrap token; nothing else reads a Secret."""
    _secret(objects)
    assert await _user(tokens, token) is None
    assert objects.asked == []


def test_clock_is_the_fixture_time() -> None:
    """The expiration tests above rely on NOW being 2027-01-15T08:00:00Z."""
    assert datetime.datetime.fromtimestamp(NOW, datetime.UTC).isoformat() == (
        "2027-01-15T08:00:00+00:00"
    )
