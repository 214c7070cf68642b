"""The CEL lexer: expression text in, tokens out.

CEL's lexical rules (cel-spec ``langdef.md``), in the order they are tried:

- whitespace (space, tab, CR, LF, form feed) and ``//`` comments are skipped;
- numbers: ``12`` and ``0x1F`` are ``int``; the same with a ``u`` suffix is
  ``uint``; ``1.5``, ``1e3``, ``.5`` are ``double`` (``1.`` is the int ``1``
  followed by a dot);
- strings: ``"..."`` or ``'...'``, or tripled (``'''...'''``) to span lines;
  an ``r`` prefix makes them raw (no escapes), a ``b`` prefix makes bytes;
- identifiers ``[_a-zA-Z][_a-zA-Z0-9]*``; ``true``, ``false``, ``null`` and
  ``in`` are keywords, and a few more words are reserved for the future;
- operators and punctuation, longest first (``<=`` before ``<``).

Escapes in quoted literals: ``\\a \\b \\f \\n \\r \\t \\v \\\\ \\' \\" \\` \\?``, ``\\xHH``,
``\\uHHHH``, ``\\UHHHHHHHH`` and octal ``\\OOO``. In bytes literals ``\\x`` and octal
give raw bytes and everything else is UTF-8 encoded.

>>> [(t.kind.name, t.value) for t in tokenize("size(self) <= 3u")][:6]
[('IDENT', 'size'), ('LPAREN', None), ('IDENT', 'self'), ('RPAREN', None), ('LE', None), \
('UINT', 3)]
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from typing import Final

from kubeling.api.cel.source import Issue

__all__ = ["LITERAL_WORDS", "RESERVED", "LexError", "Token", "TokenKind", "tokenize"]


class TokenKind(enum.Enum):
    INT = enum.auto()
    UINT = enum.auto()
    DOUBLE = enum.auto()
    STRING = enum.auto()
    BYTES = enum.auto()
    IDENT = enum.auto()
    TRUE = enum.auto()
    FALSE = enum.auto()
    NULL = enum.auto()
    IN = enum.auto()
    LPAREN = enum.auto()
    RPAREN = enum.auto()
    LBRACKET = enum.auto()
    RBRACKET = enum.auto()
    LBRACE = enum.auto()
    RBRACE = enum.auto()
    DOT = enum.auto()
    COMMA = enum.auto()
    COLON = enum.auto()
    QUESTION = enum.auto()
    NOT = enum.auto()
    MINUS = enum.auto()
    PLUS = enum.auto()
    STAR = enum.auto()
    SLASH = enum.auto()
    PERCENT = enum.auto()
    EQ = enum.auto()
    NE = enum.auto()
    LT = enum.auto()
    LE = enum.auto()
    GT = enum.auto()
    GE = enum.auto()
    AND = enum.auto()
    OR = enum.auto()
    EOF = enum.auto()


#: The words that are literals or operators: ``true``, ``false``, ``null``, ``in``.
LITERAL_WORDS: Final = frozenset({"true", "false", "null", "in"})

#: Words CEL keeps for itself: an identifier may not be one of them.
RESERVED: Final = frozenset(
    {
        "as",
        "break",
        "const",
        "continue",
        "else",
        "for",
        "function",
        "if",
        "import",
        "let",
        "loop",
        "package",
        "namespace",
        "return",
        "var",
        "void",
        "while",
    }
)

_KEYWORDS: Final = {
    "true": TokenKind.TRUE,
    "false": TokenKind.FALSE,
    "null": TokenKind.NULL,
    "in": TokenKind.IN,
}

# Longest first, so that "<=" wins over "<".
_PUNCTUATION: Final = [
    ("==", TokenKind.EQ),
    ("!=", TokenKind.NE),
    ("<=", TokenKind.LE),
    (">=", TokenKind.GE),
    ("&&", TokenKind.AND),
    ("||", TokenKind.OR),
    ("<", TokenKind.LT),
    (">", TokenKind.GT),
    ("(", TokenKind.LPAREN),
    (")", TokenKind.RPAREN),
    ("[", TokenKind.LBRACKET),
    ("]", TokenKind.RBRACKET),
    ("{", TokenKind.LBRACE),
    ("}", TokenKind.RBRACE),
    (".", TokenKind.DOT),
    (",", TokenKind.COMMA),
    (":", TokenKind.COLON),
    ("?", TokenKind.QUESTION),
    ("!", TokenKind.NOT),
    ("-", TokenKind.MINUS),
    ("+", TokenKind.PLUS),
    ("*", TokenKind.STAR),
    ("/", TokenKind.SLASH),
    ("%", TokenKind.PERCENT),
]

_SPACE: Final = re.compile(r"(?:[ \t\r\n\f]+|//[^\n]*)+")
_IDENT: Final = re.compile(r"[_a-zA-Z][_a-zA-Z0-9]*")
_HEX: Final = re.compile(r"0[xX]([0-9a-fA-F]+)([uU]?)")
_DOUBLE: Final = re.compile(
    r"(?:[0-9]+\.[0-9]+(?:[eE][+-]?[0-9]+)?|[0-9]+[eE][+-]?[0-9]+|\.[0-9]+(?:[eE][+-]?[0-9]+)?)"
)
_DECIMAL: Final = re.compile(r"([0-9]+)([uU]?)")
_STRING_START: Final = re.compile(r"(?:[rR][bB]?|[bB][rR]?)?(?:'''|\"\"\"|'|\")")

_SIMPLE_ESCAPES: Final = {
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "v": "\v",
    "\\": "\\",
    "'": "'",
    '"': '"',
    "`": "`",
    "?": "?",
}


@dataclass(frozen=True)
class Token:
    """One token: its kind, where it starts, its text and (literals) its value."""

    kind: TokenKind
    offset: int
    text: str
    value: object = None


class LexError(Exception):
    """A character sequence that is no token; ``issue`` says where and why."""

    def __init__(self, issue: Issue) -> None:
        super().__init__(issue.message)
        self.issue = issue


def tokenize(text: str) -> list[Token]:
    """All tokens of ``text``, ending with an EOF token; raises ``LexError``."""
    tokens: list[Token] = []
    pos = 0
    while True:
        space = _SPACE.match(text, pos)
        if space:
            pos = space.end()
        if pos >= len(text):
            tokens.append(Token(TokenKind.EOF, pos, "<EOF>"))
            return tokens
        token = _next_token(text, pos)
        tokens.append(token)
        pos += len(token.text)


def _next_token(text: str, pos: int) -> Token:
    char = text[pos]
    string_start = _STRING_START.match(text, pos)
    if string_start:
        return _string_token(text, pos, string_start.group())
    if char.isdigit() or (char == "." and pos + 1 < len(text) and text[pos + 1].isdigit()):
        return _number_token(text, pos)
    ident = _IDENT.match(text, pos)
    if ident:
        word = ident.group()
        return Token(_KEYWORDS.get(word, TokenKind.IDENT), pos, word, word)
    for symbol, kind in _PUNCTUATION:
        if text.startswith(symbol, pos):
            return Token(kind, pos, symbol)
    raise LexError(Issue(pos, f"Syntax error: token recognition error at: '{char}'"))


def _number_token(text: str, pos: int) -> Token:
    hexa = _HEX.match(text, pos)
    if hexa:
        digits, unsigned = hexa.groups()
        kind = TokenKind.UINT if unsigned else TokenKind.INT
        return Token(kind, pos, hexa.group(), int(digits, 16))
    double = _DOUBLE.match(text, pos)
    if double:
        return Token(TokenKind.DOUBLE, pos, double.group(), float(double.group()))
    decimal = _DECIMAL.match(text, pos)
    assert decimal is not None  # the caller saw a digit
    digits, unsigned = decimal.groups()
    kind = TokenKind.UINT if unsigned else TokenKind.INT
    return Token(kind, pos, decimal.group(), int(digits))


def _string_token(text: str, pos: int, opener: str) -> Token:
    prefix = opener.rstrip("'\"").lower()
    quote = opener[len(prefix) :]
    raw, is_bytes = "r" in prefix, "b" in prefix
    body_start = pos + len(opener)
    end = _find_closing_quote(text, body_start, quote, raw=raw)
    if end < 0:
        fragment = text[pos:].split("\n", 1)[0] if len(quote) == 1 else text[pos:]
        raise LexError(Issue(pos, f"Syntax error: token recognition error at: '{fragment}'"))
    body = text[body_start:end]
    literal = text[pos : end + len(quote)]
    if raw:
        value: str | bytes = body.encode() if is_bytes else body
    else:
        value = _unescape(body, body_start, is_bytes=is_bytes)
    return Token(TokenKind.BYTES if is_bytes else TokenKind.STRING, pos, literal, value)


def _find_closing_quote(text: str, start: int, quote: str, *, raw: bool) -> int:
    """Index of the closing quote, or -1 (single-quoted strings stop at a newline).

    In a raw string a backslash is an ordinary character, so the first quote
    closes it (``r'\\'`` is the one-character string ``\\``).
    """
    pos = start
    while pos < len(text):
        if text.startswith(quote, pos):
            return pos
        char = text[pos]
        if char in "\r\n" and len(quote) == 1:
            return -1
        pos += 2 if char == "\\" and not raw else 1
    return -1


def _unescape(body: str, offset: int, *, is_bytes: bool) -> str | bytes:
    out = bytearray()
    pos = 0
    while pos < len(body):
        char = body[pos]
        if char != "\\":
            out += char.encode()
            pos += 1
            continue
        escape = body[pos + 1 : pos + 2]
        if escape in _SIMPLE_ESCAPES:
            out += _SIMPLE_ESCAPES[escape].encode()
            pos += 2
        elif escape in ("x", "X") and re.fullmatch(r"[0-9a-fA-F]{2}", body[pos + 2 : pos + 4]):
            code = int(body[pos + 2 : pos + 4], 16)
            out += bytes([code]) if is_bytes else chr(code).encode()
            pos += 4
        elif escape == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", body[pos + 2 : pos + 6]):
            out += _code_point(int(body[pos + 2 : pos + 6], 16), offset + pos)
            pos += 6
        elif escape == "U" and re.fullmatch(r"[0-9a-fA-F]{8}", body[pos + 2 : pos + 10]):
            out += _code_point(int(body[pos + 2 : pos + 10], 16), offset + pos)
            pos += 10
        elif re.fullmatch(r"[0-3][0-7][0-7]", body[pos + 1 : pos + 4]):
            code = int(body[pos + 1 : pos + 4], 8)
            out += bytes([code]) if is_bytes else chr(code).encode()
            pos += 4
        else:
            raise LexError(
                Issue(offset + pos, f"Syntax error: token recognition error at: '\\{escape}'")
            )
    if is_bytes:
        return bytes(out)
    return out.decode()


def _code_point(code: int, offset: int) -> bytes:
    if 0xD800 <= code <= 0xDFFF or code > 0x10FFFF:
        raise LexError(Issue(offset, "Syntax error: invalid unicode code point"))
    return chr(code).encode()
