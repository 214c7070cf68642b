"""Regular expressions with RE2 meaning, run by Python's ``re``.

CEL's ``matches`` (and the Kubernetes ``find``/``findAll``) use RE2 syntax.
Python's ``re`` reads most RE2 patterns the same way; this module rewrites
the few places where the two disagree, and refuses what RE2 refuses:

- ``$`` without the ``m`` flag matches only at the very end in RE2, while
  Python's also matches before a final newline: it becomes ``\\Z``; RE2's
  ``\\z`` also becomes ``\\Z``;
- ``\\d``, ``\\w``, ``\\s`` and ``\\b`` are ASCII-only in RE2 (``re.ASCII``);
- POSIX classes such as ``[[:alpha:]]`` and ``\\Q...\\E`` quoting are expanded;
- backreferences and look-around are errors, as in RE2;
- Unicode classes (``\\pL``, ``\\p{Greek}``) are not supported here.

>>> bool(search("^[a-z]+$", "abc\\n")), bool(search("^[[:alpha:]]+$", "abc"))
(False, True)
"""

from __future__ import annotations

import functools
import re
from typing import Final

from kubeling.api.cel.errors import EvalError

__all__ = ["compile_re2", "search"]

_POSIX_CLASSES: Final = {
    "alnum": "0-9A-Za-z",
    "alpha": "A-Za-z",
    "ascii": "\\x00-\\x7F",
    "blank": "\\t ",
    "cntrl": "\\x00-\\x1F\\x7F",
    "digit": "0-9",
    "graph": "!-~",
    "lower": "a-z",
    "print": " -~",
    "punct": "!-/:-@[-`{-~",
    "space": "\\t\\n\\v\\f\\r ",
    "upper": "A-Z",
    "word": "0-9A-Za-z_",
    "xdigit": "0-9A-Fa-f",
}


def _error(detail: str) -> EvalError:
    return EvalError(f"error parsing regexp: {detail}")


def _translate(pattern: str) -> str:
    multiline = bool(re.match(r"\(\?[a-zA-Z]*m", pattern))
    out: list[str] = []
    pos = 0
    in_class = False
    while pos < len(pattern):
        char = pattern[pos]
        if char == "\\":
            escape = pattern[pos + 1 : pos + 2]
            if not escape:
                raise _error("trailing backslash at end of expression: ``")
            if escape == "Q":
                end = pattern.find("\\E", pos + 2)
                literal = pattern[pos + 2 :] if end < 0 else pattern[pos + 2 : end]
                out.append(re.escape(literal))
                pos = len(pattern) if end < 0 else end + 2
                continue
            if escape.isdigit() and escape != "0":
                raise _error(f"invalid escape sequence: `\\{escape}`")
            if escape in ("p", "P"):
                raise _error(f"invalid character class range: `\\{escape}`")
            if escape == "z" and not in_class:
                out.append("\\Z")
            elif escape == "Z":
                raise _error("invalid escape sequence: `\\Z`")
            else:
                out.append(char + escape)
            pos += 2
            continue
        if in_class:
            posix = re.match(r"\[:(\^?)([a-z]+):\]", pattern[pos:])
            if posix:
                negated, name = posix.groups()
                if name not in _POSIX_CLASSES:
                    raise _error(f"invalid character class range: `{posix.group()}`")
                if negated:
                    raise _error(f"invalid character class range: `{posix.group()}`")
                out.append(_POSIX_CLASSES[name])
                pos += len(posix.group())
                continue
            if char == "]":
                in_class = False
            out.append(char)
            pos += 1
            continue
        if char == "[":
            in_class = True
            out.append(char)
            pos += 1
            # a ']' right after '[' or '[^' is a literal member
            for lead in ("^", "]"):
                if pattern[pos : pos + 1] == lead:
                    out.append("\\]" if lead == "]" else lead)
                    pos += 1
            continue
        if char == "(" and pattern[pos + 1 : pos + 2] == "?":
            look = pattern[pos + 2 : pos + 4]
            if look[:1] in ("=", "!") or look in ("<=", "<!"):
                raise _error(f"invalid or unsupported Perl syntax: `(?{look[:1]}`")
        if char == "$" and not multiline:
            out.append("\\Z")
            pos += 1
            continue
        out.append(char)
        pos += 1
    return "".join(out)


@functools.lru_cache(maxsize=512)
def compile_re2(pattern: str) -> re.Pattern[str]:
    """The Python form of an RE2 pattern; ``EvalError`` if RE2 would refuse it."""
    try:
        return re.compile(_translate(pattern), re.ASCII)
    except re.error as err:
        raise _error(str(err)) from err


def search(pattern: str, text: str) -> re.Match[str] | None:
    """The first match of an RE2 pattern anywhere in ``text``."""
    return compile_re2(pattern).search(text)
