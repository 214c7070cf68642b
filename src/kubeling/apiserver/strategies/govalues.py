"""Bad values that print as Go's ``%#v`` does, for the workload strategies' messages.

Kubernetes validates its *internal* Go types, and ``field.Invalid`` prints a
bad value that is neither a scalar nor a ``fmt.Stringer`` with ``%#v``. So
the messages users know by heart carry Go syntax, not JSON::

    spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: ...
    spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{...}, ...

``FieldError`` renders a value it cannot encode as JSON with ``str``; each
class here is such a value, holding the JSON it came from and printing it as
``%#v`` would print the matching Go value. Go sorts map keys and quotes
strings with ``strconv.Quote``; a nil map or slice prints as ``T(nil)``.

Whole pod templates and CRD version lists are not rendered this way: their
``%#v`` dumps are kilobytes of internal struct syntax, so those few messages
keep ``FieldError``'s JSON rendering of the value.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kubeling.api.goformat import go_quote

__all__ = ["GoValue", "go_int_or_string", "go_label_selector", "go_string_map"]


class GoValue:
    """A bad value printed verbatim (its ``%#v`` text), never as JSON."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"GoValue({self.text!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, GoValue) and other.text == self.text

    def __hash__(self) -> int:
        return hash(self.text)


def _string_map(value: object) -> str:
    if value is None:
        return "map[string]string(nil)"
    items = value if isinstance(value, Mapping) else {}
    body = ", ".join(f"{go_quote(str(k))}:{go_quote(str(items[k]))}" for k in sorted(items))
    return "map[string]string{" + body + "}"


def _string_slice(value: object) -> str:
    if not isinstance(value, list):
        return "[]string(nil)"
    return "[]string{" + ", ".join(go_quote(str(v)) for v in value) + "}"


def go_string_map(value: object) -> GoValue:
    """``map[string]string{"a":"1", "b":"2"}`` (``map[string]string(nil)`` for none).

    >>> str(go_string_map({"b": "2", "a": "1"})), str(go_string_map(None))
    ('map[string]string{"a":"1", "b":"2"}', 'map[string]string(nil)')
    """
    return GoValue(_string_map(value))


def go_label_selector(selector: object) -> GoValue | None:
    """A ``*metav1.LabelSelector`` as ``%#v`` prints it; ``None`` for a nil selector.

    >>> str(go_label_selector({"matchLabels": {"app": "web"}}))
    'v1.LabelSelector{MatchLabels:map[string]string{"app":"web"}, \
MatchExpressions:[]v1.LabelSelectorRequirement(nil)}'
    """
    if not isinstance(selector, Mapping):
        return None
    expressions = selector.get("matchExpressions")
    if isinstance(expressions, list):
        rendered = []
        for expression in expressions:
            exp = expression if isinstance(expression, Mapping) else {}
            rendered.append(
                "v1.LabelSelectorRequirement{"
                f"Key:{go_quote(str(exp.get('key', '')))}, "
                f"Operator:{go_quote(str(exp.get('operator', '')))}, "
                f"Values:{_string_slice(exp.get('values'))}}}"
            )
        expr_text = "[]v1.LabelSelectorRequirement{" + ", ".join(rendered) + "}"
    else:
        expr_text = "[]v1.LabelSelectorRequirement(nil)"
    labels_text = _string_map(selector.get("matchLabels"))
    return GoValue(f"v1.LabelSelector{{MatchLabels:{labels_text}, MatchExpressions:{expr_text}}}")


def go_int_or_string(value: Any) -> GoValue:
    """An ``intstr.IntOrString`` as ``%#v`` prints it (unset is the int 0).

    >>> str(go_int_or_string("25%"))
    'intstr.IntOrString{Type:1, IntVal:0, StrVal:"25%"}'
    """
    if isinstance(value, str):
        return GoValue(f"intstr.IntOrString{{Type:1, IntVal:0, StrVal:{go_quote(value)}}}")
    number = value if isinstance(value, int) and not isinstance(value, bool) else 0
    return GoValue(f'intstr.IntOrString{{Type:0, IntVal:{number}, StrVal:""}}')
