"""The CEL parser: tokens in, an AST out (recursive descent).

CEL's grammar (cel-spec ``langdef.md``), loosest binding first::

    Expr           = ConditionalOr ["?" ConditionalOr ":" Expr]
    ConditionalOr  = ConditionalAnd {"||" ConditionalAnd}
    ConditionalAnd = Relation {"&&" Relation}
    Relation       = Addition {("<" | "<=" | ">=" | ">" | "==" | "!=" | "in") Addition}
    Addition       = Multiplication {("+" | "-") Multiplication}
    Multiplication = Unary {("*" | "/" | "%") Unary}
    Unary          = Member | "!" {"!"} Member | "-" {"-"} Member
    Member         = Primary {"." ["?"] IDENT ["(" [ExprList] ")"] | "[" ["?"] Expr "]"}
    Primary        = ["."] IDENT ["(" [ExprList] ")"] | "(" Expr ")"
                   | "[" [ListElements] [","] "]" | "{" [MapEntries] [","] "}" | Literal

Each grammar rule is one method below. Every node records the offset of
the token that makes it (the operator of a binary expression, the ``.`` of
a selection, the ``(`` of a call), which is where cel-go reports errors on
it. Macros (``has``, ``all``, ``exists``, ``exists_one``, ``map``,
``filter``) are expanded as they are parsed (see ``macros``).

Syntax errors are reported in cel-go's words (``Syntax error: mismatched
input ')' expecting <EOF>``). The wording of cel-go's ANTLR parser is
followed for the common cases; for unusual inputs only the position is
guaranteed to match.

>>> parse("self.a + 1").function
'_+_'
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from kubeling.api.cel.ast import (
    Call,
    Expr,
    Ident,
    ListExpr,
    Literal,
    MapEntry,
    MapExpr,
    Select,
)
from kubeling.api.cel.errors import CompileError
from kubeling.api.cel.lexer import RESERVED, LexError, Token, TokenKind, tokenize
from kubeling.api.cel.macros import MacroError, expand_global, expand_member
from kubeling.api.cel.source import Issues, Source
from kubeling.api.cel.values import INT64_MAX, INT64_MIN, UINT64_MAX, Uint

__all__ = ["MAX_DEPTH", "parse"]

#: Nesting of expressions (in parentheses, arguments, list elements...) deeper
#: than this is refused, as cel-go does.
MAX_DEPTH: Final = 250

_EXPR_START: Final = (
    "{'[', '{', '(', '.', '-', '!', 'true', 'false', 'null', NUM_FLOAT, NUM_INT, "
    "NUM_UINT, STRING, BYTES, IDENTIFIER}"
)

_RELATIONS: Final = {
    TokenKind.LT: "_<_",
    TokenKind.LE: "_<=_",
    TokenKind.GT: "_>_",
    TokenKind.GE: "_>=_",
    TokenKind.EQ: "_==_",
    TokenKind.NE: "_!=_",
    TokenKind.IN: "@in",
}
_ADDITIONS: Final = {TokenKind.PLUS: "_+_", TokenKind.MINUS: "_-_"}
_MULTIPLICATIONS: Final = {TokenKind.STAR: "_*_", TokenKind.SLASH: "_/_", TokenKind.PERCENT: "_%_"}


class _SyntaxError(Exception):
    def __init__(self, offset: int, message: str) -> None:
        super().__init__(message)
        self.offset = offset
        self.message = message


def parse(text: str, source: Source | None = None) -> Expr:
    """The AST of ``text``; raises ``CompileError`` with cel-go's messages."""
    source = source or Source(text)
    issues = Issues(source)
    try:
        tokens = tokenize(text)
    except LexError as err:
        issues.report(err.issue.offset, err.issue.message)
        raise CompileError(issues) from None
    parser = _Parser(tokens)
    try:
        expr = parser.expression()
        parser.expect_end()
    except _SyntaxError as err:
        issues.report(err.offset, err.message)
        raise CompileError(issues) from None
    except MacroError as err:
        issues.report(err.offset, err.message)
        raise CompileError(issues) from None
    return expr


def _shown(token: Token) -> str:
    return "'<EOF>'" if token.kind is TokenKind.EOF else f"'{token.text}'"


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.pos = 0
        self.depth = 0
        self._ids = 0

    # -- helpers ----------------------------------------------------------

    def next_id(self) -> int:
        self._ids += 1
        return self._ids

    @property
    def peek(self) -> Token:
        return self.tokens[self.pos]

    def advance(self) -> Token:
        token = self.tokens[self.pos]
        if token.kind is not TokenKind.EOF:
            self.pos += 1
        return token

    def accept(self, kind: TokenKind) -> Token | None:
        if self.peek.kind is kind:
            return self.advance()
        return None

    def expect(self, kind: TokenKind, shown: str) -> Token:
        token = self.accept(kind)
        if token is None:
            raise _SyntaxError(
                self.peek.offset,
                f"Syntax error: mismatched input {_shown(self.peek)} expecting {shown}",
            )
        return token

    def expect_end(self) -> None:
        if self.peek.kind is not TokenKind.EOF:
            raise _SyntaxError(
                self.peek.offset,
                f"Syntax error: mismatched input {_shown(self.peek)} expecting <EOF>",
            )

    def _nested(self, rule: Callable[[], Expr]) -> Expr:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _SyntaxError(
                self.peek.offset, f"expression recursion limit exceeded: {MAX_DEPTH}"
            )
        try:
            return rule()
        finally:
            self.depth -= 1

    def _binary_chain(self, operators: dict[TokenKind, str], operand: Callable[[], Expr]) -> Expr:
        left = operand()
        while self.peek.kind in operators:
            op = self.advance()
            right = operand()
            left = Call(self.next_id(), op.offset, operators[op.kind], [left, right])
        return left

    # -- grammar rules ----------------------------------------------------

    def expression(self) -> Expr:
        return self._nested(self._conditional)

    def _conditional(self) -> Expr:
        condition = self._or()
        question = self.accept(TokenKind.QUESTION)
        if question is None:
            return condition
        truthy = self._or()
        self.expect(TokenKind.COLON, "':'")
        falsy = self.expression()
        return Call(self.next_id(), question.offset, "_?_:_", [condition, truthy, falsy])

    def _or(self) -> Expr:
        return self._binary_chain({TokenKind.OR: "_||_"}, self._and)

    def _and(self) -> Expr:
        return self._binary_chain({TokenKind.AND: "_&&_"}, self._relation)

    def _relation(self) -> Expr:
        return self._binary_chain(_RELATIONS, self._addition)

    def _addition(self) -> Expr:
        return self._binary_chain(_ADDITIONS, self._multiplication)

    def _multiplication(self) -> Expr:
        return self._binary_chain(_MULTIPLICATIONS, self._unary)

    def _unary(self) -> Expr:
        token = self.peek
        if token.kind is TokenKind.NOT:
            ops = []
            while self.peek.kind is TokenKind.NOT:
                ops.append(self.advance())
            return self._wrap_unary(ops, "!_", self._member())
        if token.kind is TokenKind.MINUS:
            ops = []
            while self.peek.kind is TokenKind.MINUS:
                ops.append(self.advance())
            number = self.peek
            if number.kind in (TokenKind.INT, TokenKind.DOUBLE):
                # "-5" is the literal -5 (so that -9223372036854775808 is an int)
                self.advance()
                literal = self._number(number, negative=True, offset=ops[-1].offset)
                return self._wrap_unary(ops[:-1], "-_", self._member_suffixes(literal))
            return self._wrap_unary(ops, "-_", self._member())
        return self._member()

    def _wrap_unary(self, ops: list[Token], function: str, operand: Expr) -> Expr:
        for op in reversed(ops):
            operand = Call(self.next_id(), op.offset, function, [operand])
        return operand

    def _member(self) -> Expr:
        return self._member_suffixes(self._primary())

    def _member_suffixes(self, expr: Expr) -> Expr:
        while True:
            dot = self.accept(TokenKind.DOT)
            if dot is not None:
                optional = self.accept(TokenKind.QUESTION) is not None
                # cel-go refuses reserved words as identifiers, not as field or method
                # names: ``object.metadata.namespace`` is fine.
                name = self._identifier("IDENTIFIER", reserved_ok=True)
                if not optional and self.peek.kind is TokenKind.LPAREN:
                    open_paren = self.advance()
                    args = self._arguments()
                    expr = self._member_call(name.text, expr, args, open_paren.offset)
                else:
                    expr = Select(self.next_id(), dot.offset, expr, name.text, optional=optional)
                continue
            bracket = self.accept(TokenKind.LBRACKET)
            if bracket is not None:
                optional = self.accept(TokenKind.QUESTION) is not None
                index = self.expression()
                self.expect(TokenKind.RBRACKET, "']'")
                function = "_[?_]" if optional else "_[_]"
                expr = Call(self.next_id(), bracket.offset, function, [expr, index])
                continue
            return expr

    def _member_call(self, name: str, target: Expr, args: list[Expr], offset: int) -> Expr:
        expanded = expand_member(name, target, args, offset, self.next_id)
        if expanded is not None:
            return expanded
        return Call(self.next_id(), offset, name, args, target=target)

    def _arguments(self) -> list[Expr]:
        """The arguments of a call, after its ``(``, up to and with its ``)``."""
        args: list[Expr] = []
        if self.accept(TokenKind.RPAREN):
            return args
        while True:
            args.append(self.expression())
            if self.accept(TokenKind.RPAREN):
                return args
            self.expect(TokenKind.COMMA, "{')', ','}")

    def _identifier(self, expected: str, *, reserved_ok: bool = False) -> Token:
        token = self.peek
        if token.kind is not TokenKind.IDENT:
            raise _SyntaxError(
                token.offset,
                f"Syntax error: mismatched input {_shown(token)} expecting {expected}",
            )
        if token.text in RESERVED and not reserved_ok:
            raise _SyntaxError(token.offset, f"reserved identifier: {token.text}")
        return self.advance()

    def _primary(self) -> Expr:
        token = self.peek
        kind = token.kind
        if kind is TokenKind.DOT or kind is TokenKind.IDENT:
            self.accept(TokenKind.DOT)
            name = self._identifier("IDENTIFIER")
            open_paren = self.accept(TokenKind.LPAREN)
            if open_paren is None:
                return Ident(self.next_id(), name.offset, name.text)
            args = self._arguments()
            expanded = expand_global(name.text, args, open_paren.offset, self.next_id)
            if expanded is not None:
                return expanded
            return Call(self.next_id(), open_paren.offset, name.text, args)
        if kind is TokenKind.LPAREN:
            self.advance()
            inner = self.expression()
            self.expect(TokenKind.RPAREN, "')'")
            return inner
        if kind is TokenKind.LBRACKET:
            return self._list()
        if kind is TokenKind.LBRACE:
            return self._map()
        self.advance()
        if kind in (TokenKind.INT, TokenKind.DOUBLE):
            return self._number(token, negative=False, offset=token.offset)
        if kind is TokenKind.UINT:
            assert isinstance(token.value, int)
            if token.value > UINT64_MAX:
                raise _SyntaxError(token.offset, "invalid uint literal")
            return Literal(self.next_id(), token.offset, Uint(token.value))
        simple: dict[TokenKind, object] = {
            TokenKind.STRING: token.value,
            TokenKind.BYTES: token.value,
            TokenKind.TRUE: True,
            TokenKind.FALSE: False,
            TokenKind.NULL: None,
        }
        if kind in simple:
            return Literal(self.next_id(), token.offset, simple[kind])
        raise _SyntaxError(
            token.offset, f"Syntax error: mismatched input {_shown(token)} expecting {_EXPR_START}"
        )

    def _number(self, token: Token, *, negative: bool, offset: int) -> Literal:
        value = token.value
        if token.kind is TokenKind.DOUBLE:
            assert isinstance(value, float)
            return Literal(self.next_id(), offset, -value if negative else value)
        assert isinstance(value, int)
        number = -value if negative else value
        if not INT64_MIN <= number <= INT64_MAX:
            raise _SyntaxError(offset, "invalid int literal")
        return Literal(self.next_id(), offset, number)

    def _list(self) -> Expr:
        open_bracket = self.advance()
        elements: list[Expr] = []
        optional: set[int] = set()
        while self.peek.kind is not TokenKind.RBRACKET:
            if self.accept(TokenKind.QUESTION):
                optional.add(len(elements))
            elements.append(self.expression())
            if not self.accept(TokenKind.COMMA):
                break
        self.expect(TokenKind.RBRACKET, "{']', ','}")
        return ListExpr(self.next_id(), open_bracket.offset, elements, frozenset(optional))

    def _map(self) -> Expr:
        open_brace = self.advance()
        entries: list[MapEntry] = []
        while self.peek.kind is not TokenKind.RBRACE:
            optional = self.accept(TokenKind.QUESTION) is not None
            key = self.expression()
            colon = self.expect(TokenKind.COLON, "':'")
            value = self.expression()
            entries.append(MapEntry(colon.offset, key, value, optional))
            if not self.accept(TokenKind.COMMA):
                break
        self.expect(TokenKind.RBRACE, "{'}', ','}")
        return MapExpr(self.next_id(), open_brace.offset, entries)
