"""The scale subresource of custom resources: replica paths, pure.

A CRD version may declare ``subresources.scale``::

    specReplicasPath: .spec.replicas        # required, under .spec
    statusReplicasPath: .status.replicas    # required, under .status
    labelSelectorPath: .status.selector     # optional, under .spec or .status

``/scale`` then shows the custom resource as an ``autoscaling/v1 Scale``
(``spec.replicas`` read from the first path, ``status.replicas`` from the
second, ``status.selector`` the string at the third) and writing a Scale sets
the first path. A path is a dot-separated list of keys after a leading dot,
read as apimachinery's ``unstructured.NestedInt64``/``NestedString`` read it,
with their error messages (``.spec.replicas accessor error: two is of the
type string, expected int64``). Every write of such a resource is checked
the same way: ``.spec.replicas: Invalid value: -1: should be a non-negative
integer``.

The CRD's own paths are validated with ``validate_scale_subresource``
(``should be a json path under .spec``...).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from kubeling.api.field import FieldError, FieldPath, invalid, required
from kubeling.api.goformat import go_value

__all__ = [
    "AccessorError",
    "ScalePaths",
    "nested_int64",
    "nested_string",
    "scale_from",
    "set_nested_int",
    "validate_scale_spec",
    "validate_scale_status",
    "validate_scale_subresource",
]

Obj = dict[str, Any]

MAX_INT32: Final = 2**31 - 1


class AccessorError(ValueError):
    """A path runs into a value of the wrong type (the Go accessor's error)."""


@dataclass(frozen=True, slots=True)
class ScalePaths:
    """``subresources.scale`` of one CRD version."""

    spec_replicas: str
    status_replicas: str
    label_selector: str = ""

    @classmethod
    def of(cls, subresources: Mapping[str, Any]) -> ScalePaths | None:
        """The paths declared in a version's ``subresources``, or None."""
        scale = subresources.get("scale")
        if not isinstance(scale, Mapping):
            return None
        return cls(
            str(scale.get("specReplicasPath") or ""),
            str(scale.get("statusReplicasPath") or ""),
            str(scale.get("labelSelectorPath") or ""),
        )


def _fields(path: str) -> list[str]:
    """``.spec.replicas`` → ``["spec", "replicas"]`` (the leading dot is optional)."""
    return path.removeprefix(".").split(".")


def _json_path(fields: list[str]) -> str:
    return "." + ".".join(fields)


def _go_v(value: Any) -> str:
    """Go's ``%v`` of a decoded JSON value."""
    if value is None:
        return "<nil>"
    if isinstance(value, dict):
        return "map[" + " ".join(f"{k}:{_go_v(v)}" for k, v in sorted(value.items())) + "]"
    if isinstance(value, list):
        return "[" + " ".join(_go_v(v) for v in value) + "]"
    return go_value(value)


def _go_type(value: Any) -> str:
    """Go's ``%T`` of a value decoded into ``map[string]interface{}``."""
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int64"
    if isinstance(value, float):
        return "float64"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return "map[string]interface {}"
    return "[]interface {}"


def _nested(obj: Mapping[str, Any], fields: list[str]) -> tuple[Any, bool]:
    """``NestedFieldNoCopy``: the value at ``fields`` and whether it is there."""
    value: Any = obj
    for index, key in enumerate(fields):
        if value is None:
            return None, False
        if not isinstance(value, dict):
            raise AccessorError(
                f"{_json_path(fields[: index + 1])} accessor error: {_go_v(value)} is of the "
                f"type {_go_type(value)}, expected map[string]interface{{}}"
            )
        if key not in value:
            return None, False
        value = value[key]
    return value, True


def nested_int64(obj: Mapping[str, Any], path: str) -> tuple[int, bool]:
    """The integer at ``path`` and whether it is there; AccessorError otherwise.

    >>> nested_int64({"spec": {"replicas": 3}}, ".spec.replicas")
    (3, True)
    >>> nested_int64({"spec": {}}, ".spec.replicas")
    (0, False)
    """
    fields = _fields(path)
    value, found = _nested(obj, fields)
    if not found:
        return 0, False
    if not isinstance(value, int) or isinstance(value, bool):
        raise AccessorError(
            f"{_json_path(fields)} accessor error: {_go_v(value)} is of the type "
            f"{_go_type(value)}, expected int64"
        )
    return value, True


def nested_string(obj: Mapping[str, Any], path: str) -> tuple[str, bool]:
    """The string at ``path`` and whether it is there; AccessorError otherwise."""
    fields = _fields(path)
    value, found = _nested(obj, fields)
    if not found:
        return "", False
    if not isinstance(value, str):
        raise AccessorError(
            f"{_json_path(fields)} accessor error: {_go_v(value)} is of the type "
            f"{_go_type(value)}, expected string"
        )
    return value, True


def set_nested_int(obj: Obj, path: str, value: int) -> None:
    """Set ``path`` to ``value``, making the maps on the way (``SetNestedField``)."""
    fields = _fields(path)
    here = obj
    for index, key in enumerate(fields[:-1]):
        child = here.get(key)
        if child is None:
            child = here[key] = {}
        elif not isinstance(child, dict):
            raise AccessorError(
                f"value cannot be set because {_json_path(fields[: index + 1])} is not a "
                "map[string]interface{}"
            )
        here = child
    here[fields[-1]] = value


def scale_from(obj: Mapping[str, Any], paths: ScalePaths) -> tuple[Obj, bool]:
    """The ``autoscaling/v1 Scale`` of ``obj``, and whether its spec replicas exist.

    Raises AccessorError when a path meets a value of the wrong type.
    """
    spec_replicas, found = nested_int64(obj, paths.spec_replicas)
    status_replicas, _ = nested_int64(obj, paths.status_replicas)
    selector = nested_string(obj, paths.label_selector)[0] if paths.label_selector else ""
    meta = obj.get("metadata")
    meta = meta if isinstance(meta, Mapping) else {}
    scale_meta = {
        k: meta[k]
        for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")
        if k in meta
    }
    # ScaleSpec.replicas is omitempty; ScaleStatus.replicas is not.
    spec: Obj = {"replicas": spec_replicas} if spec_replicas else {}
    status: Obj = {"replicas": status_replicas}
    if selector:
        status["selector"] = selector
    return {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": scale_meta,
        "spec": spec,
        "status": status,
    }, found


def _replicas_errors(obj: Mapping[str, Any], path: str) -> list[FieldError]:
    try:
        replicas, _ = nested_int64(obj, path)
    except AccessorError as err:
        return [invalid(path, 0, str(err))]
    if replicas < 0:
        return [invalid(path, replicas, "should be a non-negative integer")]
    if replicas > MAX_INT32:
        return [invalid(path, replicas, f"should be less than or equal to {MAX_INT32}")]
    return []


def validate_scale_spec(obj: Mapping[str, Any], paths: ScalePaths) -> list[FieldError]:
    """``ValidateScaleSpec``: the spec replicas are an int32 that is not negative."""
    return _replicas_errors(obj, paths.spec_replicas)


def validate_scale_status(obj: Mapping[str, Any], paths: ScalePaths) -> list[FieldError]:
    """``ValidateScaleStatus``: the status replicas likewise, the selector a string."""
    errs = _replicas_errors(obj, paths.status_replicas)
    if paths.label_selector:
        try:
            nested_string(obj, paths.label_selector)
        except AccessorError as err:
            errs.append(invalid(paths.label_selector, "", str(err)))
    return errs


def _simple_json_path(path: str, where: FieldPath) -> list[FieldError]:
    if not path.startswith("."):
        return [invalid(where, path, "must be a simple json path starting with .")]
    return []


def validate_scale_subresource(scale: Mapping[str, Any], where: FieldPath) -> list[FieldError]:
    """The CRD's ``subresources.scale`` (``where`` is that field's path).

    >>> [str(e) for e in validate_scale_subresource(
    ...     {"specReplicasPath": ".status.r", "statusReplicasPath": ".status.r"},
    ...     FieldPath("spec", "versions").index(0).child("subresources", "scale"))]
    ['spec.versions[0].subresources.scale.specReplicasPath: Invalid value: ".status.r": should be a json path under .spec']
    """  # noqa: E501 - a doctest shows the whole message
    errs: list[FieldError] = []
    for key, prefixes, under in (
        ("specReplicasPath", (".spec.",), ".spec"),
        ("statusReplicasPath", (".status.",), ".status"),
    ):
        path = scale.get(key)
        here = where.child(key)
        if not path:
            errs.append(required(here, ""))
        elif not isinstance(path, str):
            errs.append(invalid(here, path, "must be a simple json path starting with ."))
        elif problems := _simple_json_path(path, here):
            errs.extend(problems)
        elif not path.startswith(prefixes):
            errs.append(invalid(here, path, f"should be a json path under {under}"))
    selector = scale.get("labelSelectorPath")
    if selector:
        here = where.child("labelSelectorPath")
        if not isinstance(selector, str):
            errs.append(invalid(here, selector, "must be a simple json path starting with ."))
        elif problems := _simple_json_path(selector, here):
            errs.extend(problems)
        elif not selector.startswith((".spec.", ".status.")):
            errs.append(
                invalid(here, selector, "should be a json path under either .spec or .status")
            )
    return errs
