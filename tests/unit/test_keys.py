"""Key validation, prefix ranges and continue tokens."""

from __future__ import annotations

import base64
import json

import pytest

from kubeling.storage.errors import InvalidContinueError, InvalidKeyError, ValueTooLargeError
from kubeling.storage.interface import MAX_KEY_BYTES, MAX_VALUE_BYTES
from kubeling.storage.keys import (
    check_key,
    check_value,
    decode_continue,
    encode_continue,
    prefix_end,
)


@pytest.mark.parametrize(
    "key", ["/", "/registry/pods/default/web", "/a/ü/日本", "/" + "a" * (MAX_KEY_BYTES - 1)]
)
def test_valid_keys_pass(key: str) -> None:
    """Keys that start with a slash, within the size limit, are accepted."""
    check_key(key)


@pytest.mark.parametrize(
    "key",
    ["", "registry/pods", "/a\x00b", "/a\nb", "/a\x7f", "/" + "a" * MAX_KEY_BYTES, "/\ud800"],
)
def test_invalid_keys_raise(key: str) -> None:
    """Empty, relative, control-character, oversize and non-unicode keys are refused."""
    with pytest.raises(InvalidKeyError):
        check_key(key)


def test_value_limit_is_exact() -> None:
    """A value of exactly MAX_VALUE_BYTES passes; one byte more is ValueTooLargeError."""
    check_value(b"x" * MAX_VALUE_BYTES)
    with pytest.raises(ValueTooLargeError) as info:
        check_value(b"x" * (MAX_VALUE_BYTES + 1))
    assert info.value.size == MAX_VALUE_BYTES + 1


def test_value_must_be_bytes() -> None:
    """A str value is a programming error, not silently encoded."""
    with pytest.raises(TypeError):
        check_value("text")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("prefix", "end"), [("/a/", b"/a0"), ("/a\xff", b"/a\xc3\xc0"), ("/", b"0")]
)
def test_prefix_end(prefix: str, end: bytes) -> None:
    """prefix_end is the first byte string above every key with the prefix."""
    assert prefix_end(prefix) == end
    assert (prefix + "zzz").encode() < end


def test_continue_token_round_trip_and_kubernetes_format() -> None:
    """A token decodes to its revision and key, and is Kubernetes' JSON shape."""
    token = encode_continue(42, "/registry/pods/ns/b", "/registry/pods/")
    assert decode_continue(token, "/registry/pods/") == (42, "/registry/pods/ns/b")
    body = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    assert body == {"v": "meta.k8s.io/v1", "rv": 42, "start": "ns/b"}


@pytest.mark.parametrize(
    "token",
    [
        "not base64 !!",
        base64.urlsafe_b64encode(b"[1,2]").decode(),
        base64.urlsafe_b64encode(b'{"v":"other","rv":1,"start":""}').decode(),
        base64.urlsafe_b64encode(b'{"v":"meta.k8s.io/v1","rv":0,"start":""}').decode(),
        base64.urlsafe_b64encode(b'{"v":"meta.k8s.io/v1","rv":true,"start":""}').decode(),
        base64.urlsafe_b64encode(b'{"v":"meta.k8s.io/v1","rv":3,"start":5}').decode(),
        base64.urlsafe_b64encode(b'{"v":"meta.k8s.io/v1","rv":3,"start":"a\\u0000"}').decode(),
    ],
)
def test_foreign_continue_tokens_are_refused(token: str) -> None:
    """Anything this module did not produce is InvalidContinueError."""
    with pytest.raises(InvalidContinueError):
        decode_continue(token, "/registry/pods/")
