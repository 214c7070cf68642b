"""Bootstrap tokens: format, the Secret kubeadm stores, and Kubernetes' rules for trusting it."""

from __future__ import annotations

import base64
import datetime
from typing import Any

import pytest

from kubeling.api.bootstraptoken import (
    InvalidTokenError,
    check_token_secret,
    generate_token,
    parse_token,
    token_secret,
)

NOW = datetime.datetime(2026, 11, 27, 8, 0, 0, tzinfo=datetime.UTC)
TOKEN = "abcdef.0123456789abcdef"


def decoded(secret: dict[str, Any]) -> dict[str, str]:
    return {k: base64.b64decode(v).decode() for k, v in secret["data"].items()}


def test_generated_tokens_parse_and_differ() -> None:
    tokens = {generate_token() for _ in range(20)}
    assert len(tokens) == 20
    for token in tokens:
        token_id, secret = parse_token(token)
        assert len(token_id) == 6
        assert len(secret) == 16


@pytest.mark.parametrize(
    "token",
    [
        "",
        "abcdef0123456789abcdef",
        "ABCDEF.0123456789abcdef",
        "abcde.0123456789abcdef",
        "abcdef.0123456789abcde!",
    ],
)
def test_malformed_tokens_are_refused_with_kubeadms_message(token: str) -> None:
    with pytest.raises(InvalidTokenError, match=r"was not of the form"):
        parse_token(token)


def test_the_secret_is_kubeadms() -> None:
    secret = token_secret(TOKEN, ttl=datetime.timedelta(hours=24), now=NOW, description="join")
    assert secret["metadata"] == {"name": "bootstrap-token-abcdef", "namespace": "kube-system"}
    assert secret["type"] == "bootstrap.kubernetes.io/token"
    assert decoded(secret) == {
        "token-id": "abcdef",
        "token-secret": "0123456789abcdef",
        "description": "join",
        "expiration": "2026-11-28T08:00:00Z",
        "usage-bootstrap-signing": "true",
        "usage-bootstrap-authentication": "true",
        "auth-extra-groups": "system:bootstrappers:kubeadm:default-node-token",
    }


def test_a_token_without_ttl_never_expires() -> None:
    secret = token_secret(TOKEN, ttl=None, now=NOW, usages=["authentication"], groups=[])
    assert decoded(secret) == {
        "token-id": "abcdef",
        "token-secret": "0123456789abcdef",
        "usage-bootstrap-authentication": "true",
    }
    later = NOW + datetime.timedelta(days=3650)
    assert check_token_secret(secret, TOKEN, now=later) == (
        "system:bootstrap:abcdef",
        ("system:bootstrappers",),
    )


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"usages": ["signing", "bogus"]}, "invalid bootstrap token usage string: bogus"),
        ({"groups": ["system:masters"]}, 'bootstrap group "system:masters" is invalid'),
    ],
)
def test_bad_usages_and_groups_are_refused(options: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidTokenError, match=message):
        token_secret(TOKEN, ttl=None, now=NOW, **options)


def test_a_good_token_authenticates_as_its_bootstrap_user() -> None:
    secret = token_secret(TOKEN, ttl=datetime.timedelta(hours=1), now=NOW)
    assert check_token_secret(secret, TOKEN, now=NOW) == (
        "system:bootstrap:abcdef",
        ("system:bootstrappers", "system:bootstrappers:kubeadm:default-node-token"),
    )


def _with(secret: dict[str, Any], **data: str) -> dict[str, Any]:
    encoded = {k.replace("_", "-"): base64.b64encode(v.encode()).decode() for k, v in data.items()}
    return {**secret, "data": {**secret["data"], **encoded}}


GOOD = token_secret(TOKEN, ttl=datetime.timedelta(hours=1), now=NOW)


@pytest.mark.parametrize(
    ("secret", "token", "now", "reason"),
    [
        (GOOD, "abcdef.ffffffffffffffff", NOW, "secret does not match"),
        (_with(GOOD, token_id="zzzzzz"), TOKEN, NOW, "id does not match"),
        (GOOD, TOKEN, NOW + datetime.timedelta(hours=1), "has expired"),
        (_with(GOOD, expiration="tomorrow"), TOKEN, NOW, "has expired"),
        (_with(GOOD, usage_bootstrap_authentication="false"), TOKEN, NOW, "authentication"),
        ({**GOOD, "type": "Opaque"}, TOKEN, NOW, "not of type bootstrap.kubernetes.io/token"),
        (
            {**GOOD, "metadata": {**GOOD["metadata"], "deletionTimestamp": "x"}},
            TOKEN,
            NOW,
            "being deleted",
        ),
        (_with(GOOD, auth_extra_groups="system:nodes"), TOKEN, NOW, "is invalid"),
    ],
)
def test_a_secret_that_does_not_vouch_for_the_token_is_refused(
    secret: dict[str, Any], token: str, now: datetime.datetime, reason: str
) -> None:
    with pytest.raises(InvalidTokenError, match=reason):
        check_token_secret(secret, token, now=now)
