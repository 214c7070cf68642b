"""Field paths and field-level validation errors (apimachinery's ``util/validation/field``).

A validator never raises on the first problem: it returns *every* ``FieldError``
it finds, each tagged with the path of the offending field, and the caller turns
the whole list into one 422 ``Invalid`` status (``errors.invalid``). Each error
becomes one ``details.causes`` entry whose ``reason`` is the error type
(``FieldValueRequired``...), whose ``field`` is the path string and whose
``message`` is the error *body* (everything after ``"<path>: "``).

The body format is part of the API: kubectl prints it verbatim and users grep
for it. It follows Kubernetes 1.32: ints, floats and bools print bare, strings
print Go-quoted, and anything else (lists, maps) prints as compact JSON;
``Required``, ``Forbidden``, ``TooLong`` and ``Internal`` never show the value.

``FieldPath`` is immutable; ``child``/``index``/``key`` return new paths, so a
validator can hand its path to helpers without fear of aliasing.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

from kubeling.api.goformat import go_json, go_quote, go_value

__all__ = [
    "OMIT_VALUE",
    "FieldError",
    "FieldErrorType",
    "FieldPath",
    "aggregate_message",
    "dedupe",
    "duplicate",
    "forbidden",
    "internal_error",
    "invalid",
    "not_found",
    "not_supported",
    "required",
    "too_long",
    "too_many",
    "type_invalid",
]


class FieldPath:
    """The path from an object's root to one field.

    >>> str(FieldPath("spec").child("containers").index(0).child("env").key("FOO"))
    'spec.containers[0].env[FOO]'
    """

    __slots__ = ("_parts",)

    def __init__(self, name: str, *more_names: str) -> None:
        self._parts: tuple[tuple[str, bool], ...] = tuple(
            (part, False) for part in (name, *more_names)
        )

    @classmethod
    def _from_parts(cls, parts: tuple[tuple[str, bool], ...]) -> FieldPath:
        path = cls.__new__(cls)
        path._parts = parts
        return path

    def child(self, name: str, *more_names: str) -> FieldPath:
        """``spec`` → ``spec.replicas``."""
        return self._from_parts(self._parts + tuple((n, False) for n in (name, *more_names)))

    def index(self, index: int) -> FieldPath:
        """``spec.containers`` → ``spec.containers[0]``."""
        return self._from_parts((*self._parts, (str(index), True)))

    def key(self, key: str) -> FieldPath:
        """``metadata.labels`` → ``metadata.labels[app]`` (the key is not quoted)."""
        return self._from_parts((*self._parts, (key, True)))

    def __str__(self) -> str:
        out: list[str] = []
        for position, (text, subscript) in enumerate(self._parts):
            # As upstream, an empty name renders as an (empty) subscript.
            if subscript or not text:
                out.append(f"[{text}]")
            else:
                out.append(f".{text}" if position else text)
        return "".join(out)

    def __repr__(self) -> str:
        return f"FieldPath({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FieldPath) and self._parts == other._parts

    def __hash__(self) -> int:
        return hash(self._parts)


class FieldErrorType(enum.StrEnum):
    """Why a field is invalid; the value is the wire ``StatusCause.reason``."""

    NOT_FOUND = "FieldValueNotFound"
    REQUIRED = "FieldValueRequired"
    DUPLICATE = "FieldValueDuplicate"
    INVALID = "FieldValueInvalid"
    NOT_SUPPORTED = "FieldValueNotSupported"
    FORBIDDEN = "FieldValueForbidden"
    TOO_LONG = "FieldValueTooLong"
    TOO_MANY = "FieldValueTooMany"
    INTERNAL = "InternalError"
    TYPE_INVALID = "FieldValueTypeInvalid"

    @property
    def label(self) -> str:
        """The human text that starts an error body, e.g. ``Required value``."""
        return _LABELS[self]


_LABELS: Final = {
    FieldErrorType.NOT_FOUND: "Not found",
    FieldErrorType.REQUIRED: "Required value",
    FieldErrorType.DUPLICATE: "Duplicate value",
    FieldErrorType.INVALID: "Invalid value",
    FieldErrorType.NOT_SUPPORTED: "Unsupported value",
    FieldErrorType.FORBIDDEN: "Forbidden",
    FieldErrorType.TOO_LONG: "Too long",
    FieldErrorType.TOO_MANY: "Too many",
    FieldErrorType.INTERNAL: "Internal error",
    FieldErrorType.TYPE_INVALID: "Invalid value",
}

# Types whose body never shows the bad value.
_VALUELESS: Final = frozenset(
    {
        FieldErrorType.REQUIRED,
        FieldErrorType.FORBIDDEN,
        FieldErrorType.TOO_LONG,
        FieldErrorType.INTERNAL,
    }
)


class _OmitValue:
    """Sentinel: the error has a value but its body must not print it."""

    def __repr__(self) -> str:
        return "OMIT_VALUE"


OMIT_VALUE: Final = _OmitValue()


def _render_value(value: object) -> str:
    if isinstance(value, bool | int | float):
        return go_value(value)
    if isinstance(value, str):
        return go_quote(value)
    if value is None:
        return "null"
    try:
        return go_json(value)
    except (TypeError, ValueError):
        return str(value)


@dataclass(frozen=True, slots=True)
class FieldError:
    """One field-level validation failure.

    >>> str(invalid(FieldPath("spec", "replicas"), -1, "must be greater than or equal to 0"))
    'spec.replicas: Invalid value: -1: must be greater than or equal to 0'
    """

    type: FieldErrorType
    field: str
    bad_value: object = ""
    detail: str = ""

    def body(self) -> str:
        """The message without the ``<path>: `` prefix (the wire cause message)."""
        if self.type in _VALUELESS or self.bad_value is OMIT_VALUE:
            text = self.type.label
        else:
            text = f"{self.type.label}: {_render_value(self.bad_value)}"
        if self.detail:
            text += f": {self.detail}"
        return text

    def __str__(self) -> str:
        return f"{self.field}: {self.body()}"


def _path(path: FieldPath | str) -> str:
    return str(path)


def required(path: FieldPath | str, detail: str = "") -> FieldError:
    """``metadata.name: Required value: name or generateName is required``."""
    return FieldError(FieldErrorType.REQUIRED, _path(path), "", detail)


def invalid(path: FieldPath | str, value: object, detail: str) -> FieldError:
    """``spec.replicas: Invalid value: -1: must be greater than or equal to 0``."""
    return FieldError(FieldErrorType.INVALID, _path(path), value, detail)


def type_invalid(path: FieldPath | str, value: object, detail: str) -> FieldError:
    """Like ``invalid`` but for a value of the wrong JSON type."""
    return FieldError(FieldErrorType.TYPE_INVALID, _path(path), value, detail)


def not_found(path: FieldPath | str, value: object) -> FieldError:
    """``spec.x: Not found: "y"``."""
    return FieldError(FieldErrorType.NOT_FOUND, _path(path), value)


def duplicate(path: FieldPath | str, value: object) -> FieldError:
    """``spec.ports[1].name: Duplicate value: "http"``."""
    return FieldError(FieldErrorType.DUPLICATE, _path(path), value)


def not_supported(path: FieldPath | str, value: object, valid: Sequence[str]) -> FieldError:
    """``spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", ...``."""
    detail = ""
    if valid:
        detail = "supported values: " + ", ".join(go_quote(v) for v in valid)
    return FieldError(FieldErrorType.NOT_SUPPORTED, _path(path), value, detail)


def forbidden(path: FieldPath | str, detail: str) -> FieldError:
    """``spec.x: Forbidden: <detail>``."""
    return FieldError(FieldErrorType.FORBIDDEN, _path(path), "", detail)


def too_long(path: FieldPath | str, max_length: int) -> FieldError:
    """``metadata.annotations: Too long: may not be more than 262144 bytes``."""
    if max_length >= 0:
        unit = "byte" if max_length == 1 else "bytes"
        detail = f"may not be more than {max_length} {unit}"
    else:
        detail = "value is too long"
    return FieldError(FieldErrorType.TOO_LONG, _path(path), "<value omitted>", detail)


def too_many(path: FieldPath | str, actual: int, maximum: int) -> FieldError:
    """``spec.x: Too many: 5: must have at most 4 items`` (a negative count is omitted)."""
    if maximum >= 0:
        detail = f"must have at most {maximum} {'item' if maximum == 1 else 'items'}"
    else:
        detail = "has too many items"
    value: object = actual if actual >= 0 else OMIT_VALUE
    return FieldError(FieldErrorType.TOO_MANY, _path(path), value, detail)


def internal_error(path: FieldPath | str, error: BaseException | str) -> FieldError:
    """``spec: Internal error: <error>``."""
    return FieldError(FieldErrorType.INTERNAL, _path(path), None, str(error))


def dedupe(errors: Iterable[FieldError]) -> list[FieldError]:
    """Drop errors whose full message repeats an earlier one (``ErrorList.ToAggregate``)."""
    seen: set[str] = set()
    unique: list[FieldError] = []
    for error in errors:
        message = str(error)
        if message not in seen:
            seen.add(message)
            unique.append(error)
    return unique


def aggregate_message(messages: Iterable[str]) -> str:
    """Join error messages as ``utilerrors.Aggregate`` does.

    >>> aggregate_message(["a: x"]), aggregate_message(["a: x", "b: y", "a: x"])
    ('a: x', '[a: x, b: y]')
    """
    unique = list(dict.fromkeys(messages))
    if not unique:
        return ""
    if len(unique) == 1:
        return unique[0]
    return "[" + ", ".join(unique) + "]"
