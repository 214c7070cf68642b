"""Key validation, prefix ranges and continue tokens, shared by every backend.

Continue tokens use Kubernetes' own format (base64 of
``{"v":"meta.k8s.io/v1","rv":<revision>,"start":"<key after prefix>"}``), so
the API server can hand them to clients unchanged.
"""

from __future__ import annotations

import base64
import binascii
import json
import re

from kubeling.storage.errors import InvalidContinueError, InvalidKeyError, ValueTooLargeError
from kubeling.storage.interface import MAX_KEY_BYTES, MAX_VALUE_BYTES

__all__ = [
    "check_key",
    "check_value",
    "decode_continue",
    "encode_continue",
    "list_start",
    "prefix_end",
]

_TOKEN_VERSION = "meta.k8s.io/v1"
#: A control character: C0 or DEL (one regex search, not a call per character: every read
#: and write checks its key).
_CONTROL = re.compile("[\x00-\x1f\x7f]")


def check_key(key: str) -> None:
    """Raise InvalidKeyError unless ``key`` is a valid store key.

    >>> check_key("/registry/pods/default/web")
    """
    if not isinstance(key, str) or not key.startswith("/"):
        raise InvalidKeyError(f"key must be a string starting with '/': {key!r}")
    if _CONTROL.search(key):
        raise InvalidKeyError(f"key contains a control character: {key!r}")
    try:
        size = len(key.encode("utf-8"))
    except UnicodeEncodeError as err:
        raise InvalidKeyError(f"key is not valid unicode: {key!r}") from err
    if size > MAX_KEY_BYTES:
        raise InvalidKeyError(f"key of {size} bytes exceeds the limit of {MAX_KEY_BYTES}")


def check_value(value: bytes) -> None:
    """Raise ValueTooLargeError (or TypeError) unless ``value`` can be stored."""
    if not isinstance(value, bytes | bytearray | memoryview):
        raise TypeError(f"value must be bytes, not {type(value).__name__}")
    if len(value) > MAX_VALUE_BYTES:
        raise ValueTooLargeError(len(value), MAX_VALUE_BYTES)


def list_start(prefix: str, revision: int, continue_token: str | None) -> tuple[int, str]:
    """The (revision, first key) a list reads from: the request's, or its token's.

    Checks the prefix; a token and a revision together are a caller's error.
    """
    check_key(prefix)
    if continue_token is None:
        return revision, prefix
    if revision:
        raise ValueError("revision must be 0 when a continue token is given")
    return decode_continue(continue_token, prefix)


def prefix_end(prefix: str) -> bytes:
    """The first byte string after every key that starts with ``prefix``.

    >>> prefix_end("/a/")
    b'/a0'
    """
    raw = bytearray(prefix.encode("utf-8"))
    while raw:
        if raw[-1] < 0xFF:
            raw[-1] += 1
            return bytes(raw)
        raw.pop()
    return b"\x00"  # etcd's "to the end of the keyspace"


def encode_continue(revision: int, next_key: str, prefix: str) -> str:
    """A continue token for the page starting at ``next_key`` read at ``revision``."""
    body = {"v": _TOKEN_VERSION, "rv": revision, "start": next_key[len(prefix) :]}
    raw = json.dumps(body, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_continue(token: str, prefix: str) -> tuple[int, str]:
    """The (revision, first key) a continue token stands for.

    Raises InvalidContinueError for anything this module did not produce.
    """
    try:
        padded = token + "=" * (-len(token) % 4)
        body = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, binascii.Error, UnicodeError) as err:
        raise InvalidContinueError(f"continue key is not valid: {err}") from err
    if not isinstance(body, dict) or body.get("v") != _TOKEN_VERSION:
        raise InvalidContinueError("continue key is not valid: unknown token version")
    revision, start = body.get("rv"), body.get("start")
    if not isinstance(revision, int) or isinstance(revision, bool) or revision <= 0:
        raise InvalidContinueError("continue key is not valid: bad resourceVersion")
    if not isinstance(start, str):
        raise InvalidContinueError("continue key is not valid: invalid start key")
    key = prefix + start
    try:
        check_key(key)
    except InvalidKeyError as err:
        raise InvalidContinueError(f"continue key is not valid: {err}") from err
    return revision, key
