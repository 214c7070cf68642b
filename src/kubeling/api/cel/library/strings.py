"""The strings extension (cel-go ``ext.Strings``, version 2, as Kubernetes 1.32 has it).

All indices count characters (code points), not bytes. The functions:

``charAt``, ``indexOf``, ``lastIndexOf``, ``lowerAscii``, ``upperAscii``,
``replace``, ``split``, ``substring``, ``trim``, ``join``, ``format`` and
``strings.quote``.

>>> STRINGS.functions["substring"].find(["tacocat", 0, 4], member=True).impl("tacocat", 0, 4)
'taco'
>>> format_string("%s has %d items, %.2f%%", ["list", 3, 12.345])
'list has 3 items, 12.35%'
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any, Final

from kubeling.api.cel import types as t
from kubeling.api.cel.errors import EvalError
from kubeling.api.cel.functions import Library, member, overload
from kubeling.api.cel.library.standard import to_string
from kubeling.api.cel.values import Optional, Uint, type_name
from kubeling.api.goformat import go_quote

__all__ = ["STRINGS", "format_string", "go_trim_space"]

STRINGS: Final = Library()
_add = STRINGS.add

# unicode.IsSpace in Go: these, and nothing else.
_GO_SPACES: Final = frozenset(
    "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009"
    "\u200a\u2028\u2029\u202f\u205f\u3000"
)


def _out_of_range(index: int) -> EvalError:
    return EvalError(f"index out of range: {index}")


def _char_at(text: str, index: int) -> str:
    if not 0 <= index <= len(text):
        raise _out_of_range(index)
    return text[index : index + 1]


def _index_of(text: str, sub: str, offset: int | None = None) -> int:
    if offset is None:
        return text.find(sub)
    if sub == "":
        return offset
    if not 0 <= offset < len(text):
        raise _out_of_range(offset)
    return text.find(sub, offset)


def _last_index_of(text: str, sub: str, offset: int | None = None) -> int:
    if offset is None:
        return text.rfind(sub)
    if sub == "":
        return offset
    if not 0 <= offset < len(text):
        raise _out_of_range(offset)
    return text.rfind(sub, 0, offset + len(sub))


def _ascii_case(text: str, *, upper: bool) -> str:
    return "".join(
        (char.upper() if upper else char.lower()) if char.isascii() else char for char in text
    )


def _replace(text: str, old: str, new: str, limit: int = -1) -> str:
    if limit < 0:
        return _go_replace_all(text, old, new)
    if old == "":
        return _go_replace_all(text, old, new, limit)
    return text.replace(old, new, limit)


def _go_replace_all(text: str, old: str, new: str, limit: int = -1) -> str:
    """Go's ``strings.Replace``: an empty ``old`` matches between every character."""
    if old != "":
        return text.replace(old, new)
    pieces: list[str] = []
    count = 0
    for char in text:
        if limit < 0 or count < limit:
            pieces.append(new)
            count += 1
        pieces.append(char)
    if limit < 0 or count < limit:
        pieces.append(new)
    return "".join(pieces)


def _split(text: str, sep: str, limit: int = -1) -> list[str]:
    if limit == 0:
        return []
    if sep == "":
        chars = list(text)
        if 0 < limit < len(chars):
            return [*chars[: limit - 1], "".join(chars[limit - 1 :])]
        return chars
    if limit < 0:
        return text.split(sep)
    return text.split(sep, limit - 1)


def _substring(text: str, start: int, end: int | None = None) -> str:
    if end is None:
        end = len(text)
    if not 0 <= start <= len(text):
        raise _out_of_range(start)
    if not 0 <= end <= len(text):
        raise _out_of_range(end)
    if start > end:
        raise EvalError(f"invalid substring range. start: {start}, end: {end}")
    return text[start:end]


def go_trim_space(text: str) -> str:
    """Trim the characters Go's ``unicode.IsSpace`` calls space from both ends."""
    start, end = 0, len(text)
    while start < end and text[start] in _GO_SPACES:
        start += 1
    while end > start and text[end - 1] in _GO_SPACES:
        end -= 1
    return text[start:end]


def _join(items: list[Any], sep: str = "") -> str:
    if not all(isinstance(item, str) for item in items):
        raise EvalError("no such overload")
    return sep.join(items)


_add("charAt", member("string_char_at_int", [t.STRING, t.INT], t.STRING, _char_at))
_add(
    "indexOf",
    member("string_index_of_string", [t.STRING, t.STRING], t.INT, _index_of),
    member("string_index_of_string_int", [t.STRING, t.STRING, t.INT], t.INT, _index_of),
)
_add(
    "lastIndexOf",
    member("string_last_index_of_string", [t.STRING, t.STRING], t.INT, _last_index_of),
    member("string_last_index_of_string_int", [t.STRING, t.STRING, t.INT], t.INT, _last_index_of),
)
_add(
    "lowerAscii",
    member("string_lower_ascii", [t.STRING], t.STRING, lambda s: _ascii_case(s, upper=False)),
)
_add(
    "upperAscii",
    member("string_upper_ascii", [t.STRING], t.STRING, lambda s: _ascii_case(s, upper=True)),
)
_add(
    "replace",
    member("string_replace_string_string", [t.STRING] * 3, t.STRING, _replace),
    member("string_replace_string_string_int", [*[t.STRING] * 3, t.INT], t.STRING, _replace),
)
_add(
    "split",
    member("string_split_string", [t.STRING, t.STRING], t.list_of(t.STRING), _split),
    member("string_split_string_int", [t.STRING, t.STRING, t.INT], t.list_of(t.STRING), _split),
)
_add(
    "substring",
    member("string_substring_int", [t.STRING, t.INT], t.STRING, _substring),
    member("string_substring_int_int", [t.STRING, t.INT, t.INT], t.STRING, _substring),
)
_add("trim", member("string_trim", [t.STRING], t.STRING, go_trim_space))
_add(
    "join",
    member("list_join", [t.list_of(t.STRING)], t.STRING, _join),
    member("list_join_string", [t.list_of(t.STRING), t.STRING], t.STRING, _join),
)
_add("strings.quote", overload("strings_quote", [t.STRING], t.STRING, go_quote))

# -- format -----------------------------------------------------------------

_CLAUSE: Final = re.compile(r"%(?:\.(\d+))?([sdfeEbxXo%])")


def _format_error(detail: str) -> EvalError:
    return EvalError(f"error during formatting: {detail}")


def _format_value(value: Any) -> str:
    """How ``%s`` shows a value, lists and maps included."""
    if value is None:
        return "null"
    if isinstance(value, str):
        return value
    if isinstance(value, float):
        return _format_double_s(value)
    if isinstance(value, list):
        return "[" + ", ".join(_format_nested(item) for item in value) + "]"
    if isinstance(value, dict):
        entries = sorted((_format_nested(key), _format_nested(item)) for key, item in value.items())
        return "{" + ", ".join(f"{key}: {item}" for key, item in entries) + "}"
    if isinstance(value, Optional):
        return f"optional({_format_nested(value.value)})" if value.has_value else "optional.none()"
    return to_string(value)


def _format_nested(value: Any) -> str:
    if isinstance(value, str):
        return go_quote(value)
    if isinstance(value, bytes):
        return go_quote(value.decode(errors="replace"))
    return _format_value(value)


def _format_double_s(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return to_string(value)


def _integer(value: Any, clause: str) -> int:
    if isinstance(value, Uint):
        return value.value
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, bool) and clause == "binary":
        return int(value)
    raise _format_error(
        f"{clause} clause can only be used on integers, was given {type_name(value)}"
    )


def _fixed(value: Any, precision: int, verb: str) -> str:
    if isinstance(value, int | Uint) and not isinstance(value, bool):
        value = float(value.value if isinstance(value, Uint) else value)
    if not isinstance(value, float):
        clause = "fixed-point" if verb == "f" else "scientific notation"
        raise _format_error(
            f"{clause} clause can only be used on doubles, was given {type_name(value)}"
        )
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return f"{value:.{precision}{verb}}"


def format_string(template: str, args: Sequence[Any]) -> str:
    """``template.format(args)``: printf-style clauses, one argument each."""
    out: list[str] = []
    pos = 0
    index = 0
    for clause in _CLAUSE.finditer(template):
        out.append(template[pos : clause.start()])
        pos = clause.end()
        precision, verb = clause.groups()
        if verb == "%":
            out.append("%")
            continue
        if index >= len(args):
            raise _format_error(f"index {index} out of range")
        value = args[index]
        index += 1
        if verb == "s":
            out.append(_format_value(value))
        elif verb == "d":
            out.append(str(_integer(value, "decimal")))
        elif verb in ("f", "e", "E"):
            out.append(_fixed(value, int(precision) if precision else 6, verb))
        elif verb == "b":
            out.append(format(_integer(value, "binary"), "b"))
        elif verb == "o":
            out.append(format(_integer(value, "octal"), "o"))
        else:
            out.append(_hex(value, upper=verb == "X"))
    out.append(template[pos:])
    if "%" in template[pos:].replace("%%", ""):
        raise _format_error("unrecognized formatting clause")
    return "".join(out)


def _hex(value: Any, *, upper: bool) -> str:
    if isinstance(value, str):
        text = value.encode().hex()
    elif isinstance(value, bytes):
        text = value.hex()
    else:
        text = format(_integer(value, "hexadecimal"), "x")
    return text.upper() if upper else text


_add(
    "format",
    member("string_format", [t.STRING, t.list_of(t.DYN)], t.STRING, format_string),
)
