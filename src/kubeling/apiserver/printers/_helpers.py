"""Field access and the small formatting rules the printers share.

Objects arrive as stored JSON (already defaulted), so every accessor here is
forgiving: a missing or ``null`` field reads as the Go zero value, the way the
internal Go struct would have it after decoding.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from kubeling.api.labels import SelectorParseError, label_selector_as_selector
from kubeling.api.quantity import QuantityParseError, parse_quantity

NONE: Final = "<none>"
UNSET: Final = "<unset>"


def mapping(obj: Mapping[str, Any] | None, *path: str) -> Mapping[str, Any]:
    """The mapping at ``path`` (``{}`` when missing, null or not a mapping)."""
    current: Any = obj
    for key in path:
        if not isinstance(current, Mapping):
            return {}
        current = current.get(key)
    return current if isinstance(current, Mapping) else {}


def items(obj: Mapping[str, Any] | None, key: str) -> list[Any]:
    """The list under ``key`` (``[]`` when missing or null)."""
    value = (obj or {}).get(key)
    return list(value) if isinstance(value, list) else []


def maps(obj: Mapping[str, Any] | None, key: str) -> list[Mapping[str, Any]]:
    """The mappings in the list under ``key``, skipping anything else."""
    return [item for item in items(obj, key) if isinstance(item, Mapping)]


def text(obj: Mapping[str, Any] | None, key: str, default: str = "") -> str:
    """The string under ``key``, or ``default``."""
    value = (obj or {}).get(key)
    return value if isinstance(value, str) else default


def integer(obj: Mapping[str, Any] | None, key: str, default: int = 0) -> int:
    """The integer under ``key``, or ``default`` (booleans are not integers)."""
    value = (obj or {}).get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return default
    return int(value)


def has(obj: Mapping[str, Any] | None, key: str) -> bool:
    """Whether ``key`` holds a non-null value (a Go pointer that is not nil)."""
    return (obj or {}).get(key) is not None


def name(obj: Mapping[str, Any]) -> str:
    """``metadata.name``."""
    return text(mapping(obj, "metadata"), "name")


def creation_timestamp(obj: Mapping[str, Any]) -> object:
    """``metadata.creationTimestamp`` as stored."""
    return mapping(obj, "metadata").get("creationTimestamp")


def deleting(obj: Mapping[str, Any]) -> bool:
    """Whether ``metadata.deletionTimestamp`` is set."""
    return has(mapping(obj, "metadata"), "deletionTimestamp")


def format_labels(labels: Mapping[str, Any] | None) -> str:
    """``labels.FormatLabels``: sorted ``k=v`` joined by commas, ``<none>`` when empty.

    >>> format_labels({"b": "2", "a": "1"}), format_labels({})
    ('a=1,b=2', '<none>')
    """
    if not labels:
        return NONE
    return ",".join(f"{key}={labels[key]}" for key in sorted(labels))


def label_selector_string(selector: Mapping[str, Any] | None) -> str:
    """``LabelSelectorAsSelector(s).String()``; raises ``SelectorParseError``."""
    return str(label_selector_as_selector(selector))


def format_label_selector(selector: Mapping[str, Any] | None) -> str:
    """``metav1.FormatLabelSelector``: ``<none>`` when empty, ``<error>`` when invalid.

    >>> format_label_selector({"matchLabels": {"app": "web"}}), format_label_selector({})
    ('app=web', '<none>')
    """
    try:
        rendered = label_selector_string(selector)
    except SelectorParseError:
        return "<error>"
    return rendered or NONE


def quantity_string(value: object) -> str:
    """``resource.Quantity.String()`` of a stored quantity: canonical form, ``0`` when unset.

    >>> quantity_string("1024Mi"), quantity_string(None)
    ('1Gi', '0')
    """
    if value is None:
        return "0"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float):
        value = str(value)
    if not isinstance(value, str):
        return str(value)
    try:
        return str(parse_quantity(value))
    except QuantityParseError:
        return value


def int_or_string(value: object) -> str:
    """``intstr.IntOrString.String()``."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return str(value)
    return str(value) if value is not None else ""


def layout_container_cells(containers: Sequence[Mapping[str, Any]]) -> tuple[str, str]:
    """Container names and images, each joined by commas (the wide CONTAINERS/IMAGES)."""
    names = ",".join(text(container, "name") for container in containers)
    images = ",".join(text(container, "image") for container in containers)
    return names, images


def template_containers(obj: Mapping[str, Any], *template_path: str) -> list[Mapping[str, Any]]:
    """The containers of the pod template at ``template_path`` (e.g. ``spec``, ``template``)."""
    return maps(mapping(obj, *template_path, "spec"), "containers")


def list_with_more(values: Sequence[str], total: int, limit: int, *, empty: str) -> str:
    """``a,b,c + N more...`` once more than ``limit`` values exist; ``empty`` when none."""
    shown = ",".join(values[:limit])
    if total > limit:
        return f"{shown} + {total - limit} more..."
    return shown or empty


def condition_true(conditions: Sequence[Mapping[str, Any]], condition_type: str) -> bool:
    """Whether the first condition of ``condition_type`` has status ``True``."""
    for condition in conditions:
        if condition.get("type") == condition_type:
            return condition.get("status") == "True"
    return False
