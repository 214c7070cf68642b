"""Field selectors: ``metadata.name=web,status.phase!=Running`` and matching.

A field selector is a comma-separated AND of ``field=value``, ``field==value``
and ``field!=value`` terms, matched against a *flat* mapping of the object's
selectable fields (``{"metadata.name": "web", "status.phase": "Pending"}``),
which each resource's strategy builds. A field absent from the mapping has the
value ``""``, so ``spec.nodeName=`` selects unscheduled pods, as upstream.

Values may contain ``\\``, ``,`` and ``=`` only escaped with a backslash; the
field name cannot be escaped, and the first operator in a term splits it. The
terms are sorted as raw strings before parsing, which makes ``str()``
canonical: it re-escapes values and joins terms with commas, matching
apimachinery's ``fields.ParseSelector`` output.

Upstream has no ``Nothing`` field selector; ``nothing()`` here is the
interface's second sentinel, for callers that must select no object at all.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Final, Literal

__all__ = [
    "FieldSelectorParseError",
    "Selector",
    "Term",
    "escape_value",
    "everything",
    "nothing",
    "one_term_equal_selector",
    "parse",
    "selector_from_set",
    "unescape_value",
]


class FieldSelectorParseError(ValueError):
    """A field selector that cannot be parsed; ``str()`` is upstream's message."""


TermOperator = Literal["=", "!="]
TransformFunc = Callable[[str, str], tuple[str, str]]


@dataclass(frozen=True, slots=True)
class Term:
    """One ``field=value`` (``==`` is the same) or ``field!=value`` term."""

    field: str
    operator: TermOperator
    value: str

    def matches(self, fields: Mapping[str, str]) -> bool:
        """Compare the field's value (``""`` when absent) with this term's."""
        equal = fields.get(self.field, "") == self.value
        return equal if self.operator == "=" else not equal

    def __str__(self) -> str:
        return f"{self.field}{self.operator}{escape_value(self.value)}"


class Selector(abc.ABC):
    """A field selector; ``str()`` is its canonical query form."""

    __slots__ = ()

    @abc.abstractmethod
    def matches(self, fields: Mapping[str, str]) -> bool:
        """Whether an object with these selectable fields is selected."""

    @abc.abstractmethod
    def is_empty(self) -> bool:
        """True when the selector does not restrict anything (``everything()``)."""

    @abc.abstractmethod
    def terms(self) -> tuple[Term, ...] | None:
        """The ANDed terms, or ``None`` for ``nothing()``."""

    def requires_exact_match(self, field: str) -> str | None:
        """The value an ``=`` term pins ``field`` to, if any (for index lookups).

        >>> parse("metadata.name=web").requires_exact_match("metadata.name")
        'web'
        """
        for term in self.terms() or ():
            if term.field == field and term.operator == "=":
                return term.value
        return None

    def transform(self, fn: TransformFunc) -> Selector:
        """Rewrite each term's ``(field, value)``; a term mapped to ``("", "")`` is dropped.

        Resources use this to accept legacy field names and normalize values.
        """
        terms = self.terms()
        if terms is None:
            return self
        out: list[Term] = []
        for term in terms:
            name, value = fn(term.field, term.value)
            if name or value:
                out.append(Term(name, term.operator, value))
        return _AndSelector(out)

    @abc.abstractmethod
    def __str__(self) -> str: ...

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r})"


class _AndSelector(Selector):
    __slots__ = ("_terms",)

    def __init__(self, terms: Iterable[Term] = ()) -> None:
        self._terms = tuple(terms)

    def matches(self, fields: Mapping[str, str]) -> bool:
        return all(term.matches(fields) for term in self._terms)

    def is_empty(self) -> bool:
        return not self._terms

    def terms(self) -> tuple[Term, ...]:
        return self._terms

    def __str__(self) -> str:
        return ",".join(str(term) for term in self._terms)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _AndSelector) and self._terms == other._terms

    def __hash__(self) -> int:
        return hash(self._terms)


class _NothingSelector(Selector):
    __slots__ = ()

    def matches(self, fields: Mapping[str, str]) -> bool:
        return False

    def is_empty(self) -> bool:
        return False

    def terms(self) -> None:
        return None

    def __str__(self) -> str:
        return ""


_EVERYTHING: Final[Selector] = _AndSelector()
_NOTHING: Final[Selector] = _NothingSelector()


def everything() -> Selector:
    """The selector that matches every object (its string is ``""``)."""
    return _EVERYTHING


def nothing() -> Selector:
    """The selector that matches no object."""
    return _NOTHING


def escape_value(value: str) -> str:
    r"""Escape ``\``, ``,`` and ``=`` for use in a field selector value.

    >>> escape_value("a,b=c")
    'a\\,b\\=c'
    """
    return value.replace("\\", "\\\\").replace(",", "\\,").replace("=", "\\=")


def unescape_value(value: str) -> str:
    r"""Undo ``escape_value``; a bare ``,``/``=`` or an unknown escape is an error.

    >>> unescape_value("a\\,b")
    'a,b'
    """
    if not any(char in value for char in "\\,="):
        return value
    out: list[str] = []
    escaped = False
    for char in value:
        if escaped:
            if char not in "\\,=":
                raise FieldSelectorParseError(
                    f"invalid field selector: invalid escape sequence: \\{char}"
                )
            out.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char in ",=":
            # Upstream formats the rune with %v, which prints its code point.
            raise FieldSelectorParseError(
                f"invalid field selector: unescaped character in value: {ord(char)}"
            )
        else:
            out.append(char)
    if escaped:
        raise FieldSelectorParseError("invalid field selector: invalid escape sequence: \\")
    return "".join(out)


def _split_terms(text: str) -> list[str]:
    """Split on commas not preceded by an escaping backslash (escapes kept)."""
    if not text:
        return []
    terms: list[str] = []
    start = 0
    escaped = False
    for i, char in enumerate(text):
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == ",":
            terms.append(text[start:i])
            start = i + 1
    terms.append(text[start:])
    return terms


# "==" is tried before "=" so that it does not leave "=" at the start of the value.
_OPERATORS: Final[tuple[tuple[str, TermOperator], ...]] = (("!=", "!="), ("==", "="), ("=", "="))


def _split_term(term: str) -> tuple[str, TermOperator, str] | None:
    for i in range(len(term)):
        for text, operator in _OPERATORS:
            if term.startswith(text, i):
                return term[:i], operator, term[i + len(text) :]
    return None


def parse(text: str) -> Selector:
    """Parse a ``fieldSelector`` query string.

    >>> str(parse("status.phase!=Running,metadata.name==web"))
    'metadata.name=web,status.phase!=Running'
    """
    terms: list[Term] = []
    for part in sorted(_split_terms(text)):
        if not part:
            continue
        split = _split_term(part)
        if split is None:
            raise FieldSelectorParseError(f"invalid selector: '{text}'; can't understand '{part}'")
        name, operator, raw_value = split
        terms.append(Term(name, operator, unescape_value(raw_value)))
    # A term with an empty field and value (a bare "=") selects everything, as upstream.
    return _AndSelector(term for term in terms if term.field or term.value)


def one_term_equal_selector(field: str, value: str) -> Selector:
    """The selector ``field=value``."""
    return _AndSelector([Term(field, "=", value)])


def selector_from_set(fields: Mapping[str, str] | None) -> Selector:
    """``field=value`` for each entry; ``None`` gives ``everything()``.

    >>> str(selector_from_set({"metadata.name": "web"}))
    'metadata.name=web'
    """
    if fields is None:
        return _EVERYTHING
    return _AndSelector(Term(name, "=", value) for name, value in sorted(fields.items()))
