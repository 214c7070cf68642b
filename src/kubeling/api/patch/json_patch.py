"""RFC 6902 JSON patch, as ``gopkg.in/evanphx/json-patch.v4`` applies it for the API server.

Kubernetes does not run a strict RFC 6902 implementation; it runs evanphx v4,
and clients depend on its leniencies, so this module reproduces them:

* Array indices follow Go's ``strconv.Atoi`` (``+1`` and ``01`` parse) and may
  be negative, counting from the end (``SupportNegativeIndices``). ``-``
  appends, for ``add`` only.
* ``replace`` of a missing *object member* succeeds and adds it (v4's object
  lookup never fails); ``replace`` of a missing array index fails.
* ``copy`` from a missing object member copies ``null``.
* ``add`` without ``value`` adds ``null``; ``test`` of a missing member
  against ``null`` succeeds.
* A path's first segment is ignored, so ``a/b`` acts like ``/b``; the empty
  path works only for ``replace`` and ``test`` (whole document).

Errors: a patch that is not an array of objects is a 400 (``DecodePatch``
fails); an operation that does not apply is a 422 (``Apply`` fails); more than
:data:`MAX_OPERATIONS` operations is a 413. Messages copy evanphx's wording.

One deliberate difference: ``test`` compares scalars by value and Go type,
where evanphx compares the raw JSON bytes (so ``1e2`` differs from ``100``
there); decoded JSON no longer has those bytes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from http import HTTPStatus

from kubeling.api.jsoncopy import copy_json
from kubeling.api.patch.errors import PatchError
from kubeling.api.patch.json_value import (
    JSON,
    JSONArray,
    JSONObject,
    json_equal,
    json_type_name,
)

__all__ = ["MAX_OPERATIONS", "apply_json_patch", "decode_json_patch"]

MAX_OPERATIONS = 10000
"""The API server's limit on operations in one JSON patch (``maxJSONPatchOperations``)."""

_MISSING = "missing value"
_INVALID_INDEX = "invalid index referenced"
_ATOI = re.compile(r"[+-]?[0-9]+")

Container = JSONObject | JSONArray


class _OpError(Exception):
    """An operation failure inside this module; surfaces as a 422 PatchError."""


def decode_json_patch(patch: JSON) -> list[JSONObject | None]:
    """Check a decoded JSON patch document is an array of operation objects (400 if not).

    >>> decode_json_patch([{"op": "remove", "path": "/a"}])
    [{'op': 'remove', 'path': '/a'}]
    """
    if patch is None:
        return []
    if not isinstance(patch, list):
        raise PatchError.bad_request(
            f"json: cannot unmarshal {json_type_name(patch)} into Go value of type jsonpatch.Patch"
        )
    operations: list[JSONObject | None] = []
    for item in patch:
        if item is not None and not isinstance(item, dict):
            raise PatchError.bad_request(
                f"json: cannot unmarshal {json_type_name(item)} into Go value of type "
                "jsonpatch.Operation"
            )
        operations.append(item)
    return operations


def apply_json_patch(document: JSON, patch: JSON) -> JSON:
    """Apply an RFC 6902 patch to a copy of ``document``.

    >>> apply_json_patch({"a": [1, 2]}, [{"op": "add", "path": "/a/-", "value": 3}])
    {'a': [1, 2, 3]}
    """
    operations = decode_json_patch(patch)
    if len(operations) > MAX_OPERATIONS:
        raise PatchError(
            f"The allowed maximum operations in a JSON patch is {MAX_OPERATIONS}, "
            f"got {len(operations)}",
            code=HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
        )
    result = copy_json(document)
    for operation in operations:
        op = operation or {}
        kind = op.get("op")
        handler = _HANDLERS.get(kind) if isinstance(kind, str) else None
        try:
            if handler is None:
                name = kind if isinstance(kind, str) else "unknown"
                raise _OpError(f"Unexpected kind: {name}")
            result = handler(result, op)
        except _OpError as err:
            raise PatchError.unprocessable(str(err)) from None
    return result


def _pointer(op: JSONObject, field: str) -> str | None:
    value = op.get(field)
    return value if isinstance(value, str) else None


def _unescape(token: str) -> str:
    """Decode one RFC 6901 reference token: ``~1`` is ``/``, then ``~0`` is ``~``."""
    return token.replace("~1", "/").replace("~0", "~")


def _atoi(token: str) -> int:
    if not _ATOI.fullmatch(token):
        raise _OpError(f'strconv.Atoi: parsing "{token}": invalid syntax')
    return int(token)


def _array_get(array: JSONArray, token: str) -> JSON:
    index = _atoi(token)
    if index < 0:
        if index < -len(array):
            raise _OpError(f"Unable to access invalid index: {index}: {_INVALID_INDEX}")
        index += len(array)
    if index >= len(array):
        raise _OpError(f"Unable to access invalid index: {index}: {_INVALID_INDEX}")
    return array[index]


def _get(container: Container, token: str) -> JSON:
    """Read a member; a missing object member reads as ``null``, like v4."""
    if isinstance(container, dict):
        return container.get(token)
    return _array_get(container, token)


def _add(container: Container, token: str, value: JSON) -> None:
    if isinstance(container, dict):
        container[token] = value
        return
    if token == "-":
        container.append(value)
        return
    try:
        index = _atoi(token)
    except _OpError as err:
        raise _OpError(f"value was not a proper array index: '{token}': {err}") from None
    size = len(container) + 1
    if index >= size or index < -size:
        raise _OpError(f"Unable to access invalid index: {index}: {_INVALID_INDEX}")
    if index < 0:
        index += size
    container.insert(index, value)


def _remove(container: Container, token: str) -> None:
    if isinstance(container, dict):
        if token not in container:
            raise _OpError(f"Unable to remove nonexistent key: {token}: {_MISSING}")
        del container[token]
        return
    index = _atoi(token)
    if index >= len(container) or index < -len(container):
        raise _OpError(f"Unable to access invalid index: {index}: {_INVALID_INDEX}")
    del container[index]


def _set(container: Container, token: str, value: JSON) -> None:
    if isinstance(container, dict):
        container[token] = value
        return
    index = _atoi(token)
    container[index + len(container) if index < 0 else index] = value


def _find(document: JSON, path: str) -> tuple[Container, str] | None:
    """Walk to the container holding the last token of ``path``, or ``None``.

    >>> _find({"a": {"b/c": 1}}, "/a/b~1c")
    ({'b/c': 1}, 'b/c')
    """
    tokens = path.split("/")
    if len(tokens) < 2 or not isinstance(document, dict | list):
        return None
    current: Container = document
    for token in tokens[1:-1]:
        try:
            child = _get(current, _unescape(token))
        except _OpError:
            return None
        if not isinstance(child, dict | list):
            return None
        current = child
    return current, _unescape(tokens[-1])


def _op_add(document: JSON, op: JSONObject) -> JSON:
    path = _pointer(op, "path")
    if path is None:
        raise _OpError(f"add operation failed to decode path: {_MISSING}")
    found = _find(document, path)
    if found is None:
        raise _OpError(f'add operation does not apply: doc is missing path: "{path}": {_MISSING}')
    try:
        _add(*found, op.get("value"))
    except _OpError as err:
        raise _OpError(f"error in add for path: '{path}': {err}") from None
    return document


def _op_remove(document: JSON, op: JSONObject) -> JSON:
    path = _pointer(op, "path")
    if path is None:
        raise _OpError(f"remove operation failed to decode path: {_MISSING}")
    found = _find(document, path)
    if found is None:
        raise _OpError(
            f'remove operation does not apply: doc is missing path: "{path}": {_MISSING}'
        )
    try:
        _remove(*found)
    except _OpError as err:
        raise _OpError(f"error in remove for path: '{path}': {err}") from None
    return document


def _op_replace(document: JSON, op: JSONObject) -> JSON:
    path = _pointer(op, "path")
    if path is None:
        raise _OpError(f"replace operation failed to decode path: {_MISSING}")
    value = op.get("value")
    if path == "":
        if not isinstance(value, dict | list):
            raise _OpError("replace operation value must be object or array")
        return value
    found = _find(document, path)
    if found is None:
        raise _OpError(f"replace operation does not apply: doc is missing path: {path}: {_MISSING}")
    container, token = found
    try:
        _get(container, token)
    except _OpError:
        raise _OpError(
            f"replace operation does not apply: doc is missing key: {path}: {_MISSING}"
        ) from None
    _set(container, token, value)
    return document


def _op_move(document: JSON, op: JSONObject) -> JSON:
    source = _pointer(op, "from")
    if source is None:
        raise _OpError(
            f"move operation failed to decode from: operation, missing from field: {_MISSING}"
        )
    found = _find(document, source)
    if found is None:
        raise _OpError(
            f"move operation does not apply: doc is missing from path: {source}: {_MISSING}"
        )
    container, token = found
    try:
        value = _get(container, token)
        _remove(container, token)
    except _OpError as err:
        raise _OpError(f"error in move for path: '{token}': {err}") from None
    path = _pointer(op, "path")
    if path is None:
        raise _OpError(
            f"move operation failed to decode path: operation missing path field: {_MISSING}"
        )
    target = _find(document, path)
    if target is None:
        raise _OpError(
            f"move operation does not apply: doc is missing destination path: {path}: {_MISSING}"
        )
    try:
        _add(*target, value)
    except _OpError as err:
        raise _OpError(f"error in move for path: '{path}': {err}") from None
    return document


def _op_copy(document: JSON, op: JSONObject) -> JSON:
    source = _pointer(op, "from")
    if source is None:
        raise _OpError(
            f"copy operation failed to decode from: operation, missing from field: {_MISSING}"
        )
    found = _find(document, source)
    if found is None:
        raise _OpError(
            f"copy operation does not apply: doc is missing from path: {source}: {_MISSING}"
        )
    try:
        value = _get(*found)
    except _OpError as err:
        raise _OpError(f"error in copy for from: '{source}': {err}") from None
    path = _pointer(op, "path")
    if path is None:
        raise _OpError(f"copy operation failed to decode path: {_MISSING}")
    target = _find(document, path)
    if target is None:
        raise _OpError(
            f"copy operation does not apply: doc is missing destination path: {path}: {_MISSING}"
        )
    try:
        _add(*target, copy_json(value))
    except _OpError as err:
        raise _OpError(f"error while adding value during copy: {err}") from None
    return document


def _op_test(document: JSON, op: JSONObject) -> JSON:
    path = _pointer(op, "path")
    if path is None:
        raise _OpError(
            f"test operation failed to decode path: operation missing path field: {_MISSING}"
        )
    failed = _OpError(f"testing value {path} failed: test failed")
    if path == "":
        if not json_equal(document, op.get("value")):
            raise failed
        return document
    found = _find(document, path)
    if found is None:
        raise _OpError(f"test operation does not apply: is missing path: {path}: {_MISSING}")
    try:
        actual = _get(*found)
    except _OpError as err:
        raise _OpError(f"error in test for path: '{path}': {err}") from None
    if actual is None:
        if op.get("value") is not None:
            raise failed
    elif "value" not in op or not json_equal(actual, op["value"]):
        raise failed
    return document


_HANDLERS: dict[str, Callable[[JSON, JSONObject], JSON]] = {
    "add": _op_add,
    "remove": _op_remove,
    "replace": _op_replace,
    "move": _op_move,
    "copy": _op_copy,
    "test": _op_test,
}
