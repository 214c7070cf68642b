"""Go's ``fmt`` renderings that leak into Kubernetes messages.

apimachinery builds its messages with ``%q`` and ``%v``, so the exact bytes a
client sees depend on Go's quoting rules (``strconv.Quote``), Go's float
formatting and ``encoding/json``'s HTML-safe escaping. Python's ``repr`` and
``json.dumps`` differ from each in small ways (single quotes, ``2.0`` instead
of ``2``, no ``\\u003c``), so every message that embeds a user value goes
through these functions instead.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

__all__ = ["go_json", "go_label_selector", "go_quote", "go_value"]

_SHORT_ESCAPES = {
    "\a": "\\a",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\v": "\\v",
    '"': '\\"',
    "\\": "\\\\",
}


def go_quote(text: str) -> str:
    """Quote ``text`` as Go's ``%q`` / ``strconv.Quote`` does.

    >>> go_quote('say "hi"\\n')
    '"say \\\\"hi\\\\"\\\\n"'
    """
    out = ['"']
    for char in text:
        escaped = _SHORT_ESCAPES.get(char)
        if escaped is not None:
            out.append(escaped)
        elif char == " " or char.isprintable():
            out.append(char)
        elif ord(char) < 0x80:
            out.append(f"\\x{ord(char):02x}")
        elif ord(char) <= 0xFFFF:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(f"\\U{ord(char):08x}")
    out.append('"')
    return "".join(out)


def _go_float(number: float) -> str:
    """Format a float as Go's ``%v`` does: shortest digits, exponent below 1e-4 or from 1e21."""
    if math.isnan(number):
        return "NaN"
    if math.isinf(number):
        return "+Inf" if number > 0 else "-Inf"
    if number == 0:
        return "-0" if math.copysign(1.0, number) < 0 else "0"
    exact = Decimal(repr(number)).normalize()
    sign, digit_tuple, exponent = exact.as_tuple()
    assert isinstance(exponent, int)
    digits = "".join(str(d) for d in digit_tuple)
    sci_exponent = len(digits) - 1 + exponent
    prefix = "-" if sign else ""
    if -4 <= sci_exponent < 21:
        return prefix + format(abs(exact), "f")
    mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
    exp_sign = "-" if sci_exponent < 0 else "+"
    return f"{prefix}{mantissa}e{exp_sign}{abs(sci_exponent):02d}"


def go_json(value: Any, *, sort_keys: bool = True) -> str:
    """Marshal ``value`` as Go's ``encoding/json`` does: compact, HTML-safe.

    Go sorts the keys of maps; a struct keeps its fields' declaration order,
    which ``sort_keys=False`` keeps from the dicts' insertion order.

    >>> go_json({"b": ["<x>"], "a": 1})
    '{"a":1,"b":["\\\\u003cx\\\\u003e"]}'
    """
    text = json.dumps(value, separators=(",", ":"), sort_keys=sort_keys, ensure_ascii=False)
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def go_value(value: object) -> str:
    """Render a scalar as Go's ``%v`` does.

    >>> go_value(True), go_value(-1), go_value(2.0)
    ('true', '-1', '2')
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _go_float(value)
    return str(value)


def go_label_selector(selector: Mapping[str, Any] | None) -> str:
    """A metav1.LabelSelector as its generated ``String()`` prints it (``%v`` in messages).

    >>> go_label_selector({"matchLabels": {"a": "b"}})[:50]
    '&LabelSelector{MatchLabels:map[string]string{a: b,'
    >>> go_label_selector(None)
    'nil'
    """
    if selector is None:
        return "nil"
    match_labels = selector.get("matchLabels") or {}
    rendered_labels = "".join(f"{k}: {match_labels[k]}," for k in sorted(match_labels))
    expressions = "".join(
        f"LabelSelectorRequirement{{Key:{e.get('key', '')},Operator:{e.get('operator', '')},"
        f"Values:[{' '.join(str(v) for v in e.get('values') or [])}],}},"
        for e in selector.get("matchExpressions") or ()
        if isinstance(e, Mapping)
    )
    return (
        f"&LabelSelector{{MatchLabels:map[string]string{{{rendered_labels}}},"
        f"MatchExpressions:[]LabelSelectorRequirement{{{expressions}}},}}"
    )
