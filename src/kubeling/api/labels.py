"""Label selectors: the ``labelSelector`` query syntax, ``metav1.LabelSelector`` and matching.

A ``Selector`` is an interface with two shared sentinels: ``everything()``
(matches every label set; the empty selector) and ``nothing()`` (matches none;
what a *nil* ``LabelSelector`` means). Parsed selectors are ANDs of
``Requirement``s, kept sorted by key so that ``str()`` is canonical: the same
string the Go apiserver would print (``a in (x,y),!b,c=d``).

The parser is a port of apimachinery's hand-written lexer and recursive
descent, because clients see its error text verbatim (``unable to parse
requirement: ...``, ``found ',', expected: identifier``). Its quirks are kept:
``in``/``notin`` are keywords only in operator position, ``x in ()`` means the
value set ``{""}``, ``a=`` matches an empty value, a NUL byte ends the input,
and key/value errors name the field paths ``<nil>``, ``key`` and
``values[0][key]`` exactly as upstream's nil-path ``field.Path`` prints them.

Errors from parsing and from building requirements are ``SelectorParseError``;
``validate_label_selector`` instead returns the ``FieldError`` list an object
validator merges into its 422 (``spec.selector.matchExpressions[0].values:
Required value: ...``).
"""

from __future__ import annotations

import abc
import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from kubeling.api import field
from kubeling.api.field import FieldError, FieldPath, aggregate_message, dedupe
from kubeling.api.goformat import go_quote
from kubeling.api.naming import is_qualified_name, is_valid_label_value

__all__ = [
    "Operator",
    "Requirement",
    "Selector",
    "SelectorParseError",
    "everything",
    "label_selector_as_selector",
    "new_requirement",
    "nothing",
    "parse",
    "selector_from_set",
    "validate_label_selector",
    "validate_labels",
    "validated_selector_from_set",
]


class Operator(enum.StrEnum):
    """``selection.Operator``: how a requirement relates a key to its values."""

    DOES_NOT_EXIST = "!"
    EQUALS = "="
    DOUBLE_EQUALS = "=="
    IN = "in"
    NOT_EQUALS = "!="
    NOT_IN = "notin"
    EXISTS = "exists"
    GREATER_THAN = "gt"
    LESS_THAN = "lt"


_BINARY_OPERATORS: Final = (
    Operator.IN,
    Operator.NOT_IN,
    Operator.EQUALS,
    Operator.DOUBLE_EQUALS,
    Operator.NOT_EQUALS,
    Operator.GREATER_THAN,
    Operator.LESS_THAN,
)
_VALID_OPERATORS: Final = (*_BINARY_OPERATORS, Operator.EXISTS, Operator.DOES_NOT_EXIST)


class SelectorParseError(ValueError):
    """A label selector that cannot be parsed or built; ``str()`` is upstream's message.

    ``field_errors`` holds the individual errors when the failure came from
    requirement validation (empty otherwise).
    """

    def __init__(self, message: str, field_errors: Sequence[FieldError] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.field_errors = tuple(field_errors)


def _parse_int64(text: str) -> int | None:
    """Go's ``strconv.ParseInt(text, 10, 64)``: ASCII digits, optional sign, in range."""
    digits = text[1:] if text[:1] in ("+", "-") else text
    if not digits or not digits.isascii() or not digits.isdigit():
        return None
    number = int(text)
    return number if -(2**63) <= number < 2**63 else None


def _key_error(key: str, path: FieldPath | None) -> FieldError | None:
    errs = is_qualified_name(key)
    if not errs:
        return None
    return field.invalid("<nil>" if path is None else path, key, "; ".join(errs))


def _value_error(key: str, value: str, path: FieldPath) -> FieldError | None:
    errs = is_valid_label_value(value)
    if not errs:
        return None
    return field.invalid(path.key(key), value, "; ".join(errs))


def _child(path: FieldPath | None, name: str) -> FieldPath:
    return FieldPath(name) if path is None else path.child(name)


@dataclass(frozen=True, slots=True)
class Requirement:
    """One ``key <operator> values`` term; build it with ``new_requirement``.

    >>> str(new_requirement("env", Operator.IN, ["prod", "dev"]))
    'env in (dev,prod)'
    """

    key: str
    operator: Operator
    values: tuple[str, ...]

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Whether a label set satisfies this requirement.

        ``in``/``=``/``==`` need the key present with a listed value; ``notin``
        and ``!=`` also match when the key is absent; ``gt``/``lt`` need the
        key present with an integer value.
        """
        op = self.operator
        if op in (Operator.IN, Operator.EQUALS, Operator.DOUBLE_EQUALS):
            return self.key in labels and labels[self.key] in self.values
        if op in (Operator.NOT_IN, Operator.NOT_EQUALS):
            return self.key not in labels or labels[self.key] not in self.values
        if op is Operator.EXISTS:
            return self.key in labels
        if op is Operator.DOES_NOT_EXIST:
            return self.key not in labels
        if op in (Operator.GREATER_THAN, Operator.LESS_THAN):
            if self.key not in labels or len(self.values) != 1:
                return False
            have = _parse_int64(labels[self.key])
            want = _parse_int64(self.values[0])
            if have is None or want is None:
                return False
            return have > want if op is Operator.GREATER_THAN else have < want
        return False

    def __str__(self) -> str:
        op = self.operator
        if op is Operator.EXISTS:
            return self.key
        if op is Operator.DOES_NOT_EXIST:
            return "!" + self.key
        values = ",".join(sorted(self.values))
        if op in (Operator.IN, Operator.NOT_IN):
            return f"{self.key} {op.value} ({values})"
        symbol = {Operator.GREATER_THAN: ">", Operator.LESS_THAN: "<"}.get(op, op.value)
        return f"{self.key}{symbol}{values}"


def new_requirement(
    key: str,
    operator: Operator | str,
    values: Sequence[str],
    *,
    path: FieldPath | None = None,
) -> Requirement:
    """Build a validated requirement, raising ``SelectorParseError`` listing every problem.

    Rules: (1) the operator is one of ``Operator``; (2) ``in``/``notin`` need at
    least one value; (3) ``=``, ``==`` and ``!=`` need exactly one; (4)
    ``exists`` and ``!`` need none; (5) ``gt``/``lt`` need exactly one, an
    integer; (6) the key is a qualified name; (7) every value is a valid label
    value.

    >>> str(new_requirement("tier", "!=", ["db"]))
    'tier!=db'
    """
    errs: list[FieldError] = []
    key_error = _key_error(key, _child(path, "key"))
    if key_error is not None:
        errs.append(key_error)
    values_path = _child(path, "values")
    # Upstream shows a nil slice as JSON null; an empty value list only arrives that way.
    shown: object = list(values) if values else None
    valid_op = operator if isinstance(operator, Operator) else _operator_or_none(operator)
    if valid_op in (Operator.IN, Operator.NOT_IN):
        if not values:
            detail = "for 'in', 'notin' operators, values set can't be empty"
            errs.append(field.invalid(values_path, shown, detail))
    elif valid_op in (Operator.EQUALS, Operator.DOUBLE_EQUALS, Operator.NOT_EQUALS):
        if len(values) != 1:
            detail = "exact-match compatibility requires one single value"
            errs.append(field.invalid(values_path, shown, detail))
    elif valid_op in (Operator.EXISTS, Operator.DOES_NOT_EXIST):
        if values:
            detail = "values set must be empty for exists and does not exist"
            errs.append(field.invalid(values_path, shown, detail))
    elif valid_op in (Operator.GREATER_THAN, Operator.LESS_THAN):
        if len(values) != 1:
            detail = "for 'Gt', 'Lt' operators, exactly one value is required"
            errs.append(field.invalid(values_path, shown, detail))
        for i, value in enumerate(values):
            if _parse_int64(value) is None:
                detail = "for 'Gt', 'Lt' operators, the value must be an integer"
                errs.append(field.invalid(values_path.index(i), value, detail))
    else:
        errs.append(field.not_supported(_child(path, "operator"), str(operator), _VALID_OPERATORS))
    for i, value in enumerate(values):
        value_error = _value_error(key, value, values_path.index(i))
        if value_error is not None:
            errs.append(value_error)
    if errs:
        raise SelectorParseError(aggregate_message(str(e) for e in dedupe(errs)), errs)
    assert valid_op is not None
    return Requirement(key, valid_op, tuple(values))


def _operator_or_none(text: str) -> Operator | None:
    try:
        return Operator(text)
    except ValueError:
        return None


class Selector(abc.ABC):
    """A label selector: ``matches`` a label set; ``str()`` is the canonical query form."""

    __slots__ = ()

    @abc.abstractmethod
    def matches(self, labels: Mapping[str, str]) -> bool:
        """Whether the label set is selected."""

    @abc.abstractmethod
    def is_empty(self) -> bool:
        """True when the selector does not restrict anything (``everything()``)."""

    @abc.abstractmethod
    def requirements(self) -> tuple[Requirement, ...] | None:
        """The ANDed requirements, or ``None`` for ``nothing()`` (nothing is selectable)."""

    @abc.abstractmethod
    def add(self, *requirements: Requirement) -> Selector:
        """A new selector with more requirements ANDed in."""

    def requires_exact_match(self, key: str) -> str | None:
        """The single value the selector pins ``key`` to, if any (for index lookups)."""
        for requirement in self.requirements() or ():
            if requirement.key == key:
                exact = (Operator.EQUALS, Operator.DOUBLE_EQUALS, Operator.IN)
                if requirement.operator in exact and len(requirement.values) == 1:
                    return requirement.values[0]
                return None
        return None

    @abc.abstractmethod
    def __str__(self) -> str: ...

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r})"


class _AndSelector(Selector):
    """Requirements ANDed together, sorted by key (upstream's ``internalSelector``)."""

    __slots__ = ("_requirements",)

    def __init__(self, requirements: Iterable[Requirement] = ()) -> None:
        self._requirements = tuple(sorted(requirements, key=lambda r: r.key))

    def matches(self, labels: Mapping[str, str]) -> bool:
        return all(r.matches(labels) for r in self._requirements)

    def is_empty(self) -> bool:
        return not self._requirements

    def requirements(self) -> tuple[Requirement, ...]:
        return self._requirements

    def add(self, *requirements: Requirement) -> Selector:
        return _AndSelector((*self._requirements, *requirements))

    def __str__(self) -> str:
        return ",".join(str(r) for r in self._requirements)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _AndSelector) and self._requirements == other._requirements

    def __hash__(self) -> int:
        return hash(self._requirements)


class _NothingSelector(Selector):
    """Matches no label set; prints as ``""`` like upstream."""

    __slots__ = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        return False

    def is_empty(self) -> bool:
        return False

    def requirements(self) -> None:
        return None

    def add(self, *requirements: Requirement) -> Selector:
        return self

    def __str__(self) -> str:
        return ""


_EVERYTHING: Final[Selector] = _AndSelector()
_NOTHING: Final[Selector] = _NothingSelector()


def everything() -> Selector:
    """The selector that matches every label set (its string is ``""``)."""
    return _EVERYTHING


def nothing() -> Selector:
    """The selector that matches no label set."""
    return _NOTHING


# -- the query-string parser ------------------------------------------------------------


class _Token(enum.Enum):
    ERROR = enum.auto()
    END = enum.auto()
    CLOSE_PAREN = enum.auto()
    COMMA = enum.auto()
    DOES_NOT_EXIST = enum.auto()
    DOUBLE_EQUALS = enum.auto()
    EQUALS = enum.auto()
    GREATER_THAN = enum.auto()
    IDENTIFIER = enum.auto()
    IN = enum.auto()
    LESS_THAN = enum.auto()
    NOT_EQUALS = enum.auto()
    NOT_IN = enum.auto()
    OPEN_PAREN = enum.auto()


_LITERALS: Final = {
    ")": _Token.CLOSE_PAREN,
    ",": _Token.COMMA,
    "!": _Token.DOES_NOT_EXIST,
    "==": _Token.DOUBLE_EQUALS,
    "=": _Token.EQUALS,
    ">": _Token.GREATER_THAN,
    "in": _Token.IN,
    "<": _Token.LESS_THAN,
    "!=": _Token.NOT_EQUALS,
    "notin": _Token.NOT_IN,
    "(": _Token.OPEN_PAREN,
}
_WHITESPACE: Final = frozenset(" \t\r\n")
_SPECIAL: Final = frozenset("=!(),><")
_END: Final = "\0"


class _Lexer:
    """Splits a selector into tokens; a NUL (as the end of input) stops it."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._pos = 0

    def _read(self) -> str:
        if self._pos < len(self._text):
            char = self._text[self._pos]
            self._pos += 1
            return char
        return _END

    def _unread(self) -> None:
        self._pos -= 1

    def tokens(self) -> list[tuple[_Token, str]]:
        out: list[tuple[_Token, str]] = []
        while True:
            token = self._lex()
            out.append(token)
            if token[0] is _Token.END:
                return out

    def _lex(self) -> tuple[_Token, str]:
        char = self._read()
        while char in _WHITESPACE:
            char = self._read()
        if char == _END:
            return _Token.END, ""
        self._unread()
        if char in _SPECIAL:
            return self._special()
        return self._identifier()

    def _identifier(self) -> tuple[_Token, str]:
        buffer: list[str] = []
        while True:
            char = self._read()
            if char == _END:
                break
            if char in _SPECIAL or char in _WHITESPACE:
                self._unread()
                break
            buffer.append(char)
        text = "".join(buffer)
        return _LITERALS.get(text, _Token.IDENTIFIER), text

    def _special(self) -> tuple[_Token, str]:
        # Longest run of special characters that still forms a known operator.
        buffer = ""
        last: tuple[_Token, str] | None = None
        while True:
            char = self._read()
            if char == _END:
                break
            if char not in _SPECIAL:
                self._unread()
                break
            buffer += char
            if buffer in _LITERALS:
                last = (_LITERALS[buffer], buffer)
            elif last is not None:
                self._unread()
                break
        if last is None:
            return _Token.ERROR, f"error expected: keyword found '{buffer}'"
        return last


class _Parser:
    """Recursive descent over the token list, with upstream's error messages."""

    def __init__(self, text: str, path: FieldPath | None) -> None:
        self._items = _Lexer(text).tokens()
        self._pos = 0
        self._path = path

    def _peek(self, *, values: bool) -> tuple[_Token, str]:
        return self._as_context(self._items[self._pos], values=values)

    def _next(self, *, values: bool) -> tuple[_Token, str]:
        self._pos += 1
        return self._as_context(self._items[self._pos - 1], values=values)

    @staticmethod
    def _as_context(item: tuple[_Token, str], *, values: bool) -> tuple[_Token, str]:
        # "in" and "notin" are ordinary identifiers wherever a key or value may appear.
        token, literal = item
        if values and token in (_Token.IN, _Token.NOT_IN):
            return _Token.IDENTIFIER, literal
        return token, literal

    def parse(self) -> list[Requirement]:
        requirements: list[Requirement] = []
        while True:
            token, literal = self._peek(values=True)
            if token in (_Token.IDENTIFIER, _Token.DOES_NOT_EXIST):
                try:
                    requirements.append(self._requirement())
                except SelectorParseError as err:
                    raise SelectorParseError(
                        f"unable to parse requirement: {err.message}", err.field_errors
                    ) from None
                token, literal = self._next(values=True)
                if token is _Token.END:
                    return requirements
                if token is _Token.COMMA:
                    token, literal = self._peek(values=True)
                    if token not in (_Token.IDENTIFIER, _Token.DOES_NOT_EXIST):
                        raise SelectorParseError(
                            f"found '{literal}', expected: identifier after ','"
                        )
                else:
                    raise SelectorParseError(f"found '{literal}', expected: ',' or 'end of string'")
            elif token is _Token.END:
                return requirements
            else:
                raise SelectorParseError(
                    f"found '{literal}', expected: !, identifier, or 'end of string'"
                )

    def _requirement(self) -> Requirement:
        key, operator = self._key_and_inferred_operator()
        if operator is not None:
            return new_requirement(key, operator, [], path=self._path)
        operator = self._operator()
        if operator in (Operator.IN, Operator.NOT_IN):
            values = self._value_set()
        else:
            values = self._exact_value()
        return new_requirement(key, operator, sorted(values), path=self._path)

    def _key_and_inferred_operator(self) -> tuple[str, Operator | None]:
        operator: Operator | None = None
        token, literal = self._next(values=True)
        if token is _Token.DOES_NOT_EXIST:
            operator = Operator.DOES_NOT_EXIST
            token, literal = self._next(values=True)
        if token is not _Token.IDENTIFIER:
            raise SelectorParseError(f"found '{literal}', expected: identifier")
        key_error = _key_error(literal, self._path)
        if key_error is not None:
            raise SelectorParseError(str(key_error), [key_error])
        at_end = self._peek(values=True)[0] in (_Token.END, _Token.COMMA)
        if at_end and operator is None:
            operator = Operator.EXISTS
        return literal, operator

    def _operator(self) -> Operator:
        token, literal = self._next(values=False)
        operators = {
            _Token.IN: Operator.IN,
            _Token.EQUALS: Operator.EQUALS,
            _Token.DOUBLE_EQUALS: Operator.DOUBLE_EQUALS,
            _Token.GREATER_THAN: Operator.GREATER_THAN,
            _Token.LESS_THAN: Operator.LESS_THAN,
            _Token.NOT_IN: Operator.NOT_IN,
            _Token.NOT_EQUALS: Operator.NOT_EQUALS,
        }
        if token not in operators:
            expected = ", ".join(op.value for op in _BINARY_OPERATORS)
            raise SelectorParseError(f"found '{literal}', expected: {expected}")
        return operators[token]

    def _value_set(self) -> set[str]:
        token, literal = self._next(values=True)
        if token is not _Token.OPEN_PAREN:
            raise SelectorParseError(f"found '{literal}' expected: '('")
        token, literal = self._peek(values=True)
        if token in (_Token.IDENTIFIER, _Token.COMMA):
            values = self._identifier_list()
            if self._next(values=True)[0] is not _Token.CLOSE_PAREN:
                raise SelectorParseError(f"found '{literal}', expected: ')'")
            return values
        if token is _Token.CLOSE_PAREN:
            self._next(values=True)
            return {""}
        raise SelectorParseError(f"found '{literal}', expected: ',', ')' or identifier")

    def _identifier_list(self) -> set[str]:
        values: set[str] = set()
        while True:
            token, literal = self._next(values=True)
            if token is _Token.IDENTIFIER:
                values.add(literal)
                following, following_literal = self._peek(values=True)
                if following is _Token.COMMA:
                    continue
                if following is _Token.CLOSE_PAREN:
                    return values
                raise SelectorParseError(f"found '{following_literal}', expected: ',' or ')'")
            if token is _Token.COMMA:
                # Empty entries ("(,a", "a,,b", "a,)") stand for the empty value.
                if not values:
                    values.add("")
                following = self._peek(values=True)[0]
                if following is _Token.CLOSE_PAREN:
                    values.add("")
                    return values
                if following is _Token.COMMA:
                    self._next(values=True)
                    values.add("")
            else:
                raise SelectorParseError(f"found '{literal}', expected: ',', or identifier")

    def _exact_value(self) -> set[str]:
        if self._peek(values=True)[0] in (_Token.END, _Token.COMMA):
            return {""}
        token, literal = self._next(values=True)
        if token is _Token.IDENTIFIER:
            return {literal}
        raise SelectorParseError(f"found '{literal}', expected: identifier")


def parse(text: str, *, path: FieldPath | None = None) -> Selector:
    """Parse the ``labelSelector`` query syntax.

    ``""`` gives ``everything()``; requirements are ANDed and sorted by key.

    >>> str(parse("tier in (web, db), !canary,env=prod"))
    '!canary,env=prod,tier in (db,web)'
    """
    return _AndSelector(_Parser(text, path).parse())


def selector_from_set(labels: Mapping[str, str] | None) -> Selector:
    """``key=value`` for each entry, unvalidated; empty or ``None`` gives ``everything()``.

    >>> str(selector_from_set({"b": "2", "a": "1"}))
    'a=1,b=2'
    """
    if not labels:
        return _EVERYTHING
    return _AndSelector(Requirement(k, Operator.EQUALS, (v,)) for k, v in labels.items())


def validated_selector_from_set(labels: Mapping[str, str] | None) -> Selector:
    """Like ``selector_from_set`` but raising ``SelectorParseError`` on an invalid entry."""
    if not labels:
        return _EVERYTHING
    return _AndSelector(new_requirement(k, Operator.EQUALS, [v]) for k, v in labels.items())


_LABEL_SELECTOR_OPERATORS: Final = {
    "In": Operator.IN,
    "NotIn": Operator.NOT_IN,
    "Exists": Operator.EXISTS,
    "DoesNotExist": Operator.DOES_NOT_EXIST,
}


def label_selector_as_selector(selector: Mapping[str, Any] | None) -> Selector:
    """Convert a ``metav1.LabelSelector`` (as decoded JSON) to a ``Selector``.

    ``None`` selects nothing; ``{}`` selects everything.

    >>> str(label_selector_as_selector({"matchLabels": {"app": "web"},
    ...     "matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["db"]}]}))
    'app=web,tier notin (db)'
    """
    if selector is None:
        return _NOTHING
    match_labels: Mapping[str, str] = selector.get("matchLabels") or {}
    expressions: Sequence[Mapping[str, Any]] = selector.get("matchExpressions") or []
    if not match_labels and not expressions:
        return _EVERYTHING
    requirements = [new_requirement(k, Operator.EQUALS, [v]) for k, v in match_labels.items()]
    for expression in expressions:
        raw_operator = str(expression.get("operator", ""))
        operator = _LABEL_SELECTOR_OPERATORS.get(raw_operator)
        if operator is None:
            raise SelectorParseError(
                f"{go_quote(raw_operator)} is not a valid label selector operator"
            )
        values = list(expression.get("values") or [])
        requirements.append(new_requirement(str(expression.get("key", "")), operator, values))
    return _AndSelector(requirements)


def validate_labels(labels: Mapping[str, str], path: FieldPath) -> list[FieldError]:
    """Every invalid key and value of a label map, all reported at ``path`` itself.

    >>> [str(e)[:46] for e in validate_labels({"a": "-x"}, FieldPath("metadata", "labels"))]
    ['metadata.labels: Invalid value: "-x": a valid ']
    """
    errs: list[FieldError] = []
    for key in sorted(labels):
        errs.extend(field.invalid(path, key, msg) for msg in is_qualified_name(key))
        value = labels[key]
        errs.extend(field.invalid(path, value, msg) for msg in is_valid_label_value(value))
    return errs


def validate_label_selector(
    selector: Mapping[str, Any] | None,
    path: FieldPath,
    *,
    allow_invalid_label_value: bool = False,
    allow_unknown_operator: bool = False,
) -> list[FieldError]:
    """All field errors of a ``metav1.LabelSelector`` (upstream's ``ValidateLabelSelector``).

    Rules: (1) ``matchLabels`` keys and values are valid; for each
    ``matchExpressions[i]``: (2) ``In``/``NotIn`` need values; (3)
    ``Exists``/``DoesNotExist`` forbid them; (4) any other operator is invalid
    unless ``allow_unknown_operator``; (5) the key is a qualified name; (6)
    every value is a valid label value unless ``allow_invalid_label_value``.
    """
    if selector is None:
        return []
    errs = validate_labels(selector.get("matchLabels") or {}, path.child("matchLabels"))
    for i, expression in enumerate(selector.get("matchExpressions") or []):
        here = path.child("matchExpressions").index(i)
        operator = expression.get("operator", "")
        values: list[str] = list(expression.get("values") or [])
        if operator in ("In", "NotIn"):
            if not values:
                detail = "must be specified when `operator` is 'In' or 'NotIn'"
                errs.append(field.required(here.child("values"), detail))
        elif operator in ("Exists", "DoesNotExist"):
            if values:
                detail = "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"
                errs.append(field.forbidden(here.child("values"), detail))
        elif not allow_unknown_operator:
            errs.append(
                field.invalid(here.child("operator"), operator, "not a valid selector operator")
            )
        key = str(expression.get("key", ""))
        errs.extend(field.invalid(here.child("key"), key, msg) for msg in is_qualified_name(key))
        if not allow_invalid_label_value:
            for j, value in enumerate(values):
                errs.extend(
                    field.invalid(here.child("values").index(j), value, msg)
                    for msg in is_valid_label_value(value)
                )
    return errs
