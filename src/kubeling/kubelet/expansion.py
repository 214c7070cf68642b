"""``$(VAR)`` expansion in env values, command and args, as Kubernetes does it.

The rules (Kubernetes' ``third_party/forked/golang/expansion``):

1. ``$(NAME)`` is replaced by ``NAME``'s value when the mapping knows it, and left as written
   (``$(NAME)``) when it does not;
2. ``$$`` is an escaped ``$``: ``$$(NAME)`` gives ``$(NAME)``, unexpanded;
3. a ``$`` followed by anything else, or a ``$(`` never closed, is left as it is.

>>> expand("$(GREETING), $(WHO)! $$(NOT) $(MISSING) $x $(open", {"GREETING": "hello", "WHO": "you"})
'hello, you! $(NOT) $(MISSING) $x $(open'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

__all__ = ["expand", "expand_all"]


def expand(text: str, *contexts: Mapping[str, str]) -> str:
    """``text`` with its ``$(VAR)`` references replaced from the first context that has them."""
    out: list[str] = []
    checkpoint = 0
    cursor = 0
    while cursor < len(text):
        if text[cursor] == "$" and cursor + 1 < len(text):
            out.append(text[checkpoint:cursor])
            read, is_var, advance = _read_variable(text, cursor + 1)
            out.append(_lookup(read, contexts) if is_var else read)
            cursor += advance
            checkpoint = cursor + 1
        cursor += 1
    out.append(text[checkpoint:])
    return "".join(out)


def _read_variable(text: str, start: int) -> tuple[str, bool, int]:
    """What follows a ``$`` at ``start``: (text or name, whether it is a name, chars used)."""
    first = text[start]
    if first == "$":
        return "$", False, 1
    if first == "(":
        end = text.find(")", start + 1)
        if end >= 0:
            return text[start + 1 : end], True, end - start + 1
        return "$(", False, 1
    return "$" + first, False, 1


def _lookup(name: str, contexts: Sequence[Mapping[str, str]]) -> str:
    for context in contexts:
        if name in context:
            return context[name]
    return f"$({name})"


def expand_all(values: Sequence[str], *contexts: Mapping[str, str]) -> list[str]:
    """:func:`expand` each of ``values`` (a container's command or args)."""
    return [expand(value, *contexts) for value in values]
