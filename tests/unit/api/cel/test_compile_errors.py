"""Compile errors: the messages, positions and caret lines Kubernetes shows for a bad rule."""

from __future__ import annotations

import pytest

from kubeling.api.cel import CompileError, Environment, types

SPEC = types.object_type(
    "selfType.spec",
    {"replicas": types.INT, "name": types.STRING, "tags": types.list_of(types.STRING)},
)
ENV = Environment({"self": SPEC, "n": types.INT, "d": types.DYN})

CASES = [
    (
        "self.replica > 1",
        "ERROR: <input>:1:5: undefined field 'replica'\n | self.replica > 1\n | ....^",
    ),
    (
        "slef.replicas > 1",
        "ERROR: <input>:1:1: undeclared reference to 'slef' (in container '')\n"
        " | slef.replicas > 1\n | ^",
    ),
    (
        "self.replicas + 'x' == 1",
        "ERROR: <input>:1:15: found no matching overload for '_+_' applied to '(int, string)'\n"
        " | self.replicas + 'x' == 1\n | ..............^",
    ),
    (
        "self.name.startsWith(1)",
        "ERROR: <input>:1:21: found no matching overload for 'startsWith' applied to "
        "'string.(int)'\n | self.name.startsWith(1)\n | ....................^",
    ),
    (
        "self.replicas == 1u",
        "ERROR: <input>:1:15: found no matching overload for '_==_' applied to '(int, uint)'\n"
        " | self.replicas == 1u\n | ..............^",
    ),
    (
        "self.replicas + 1.0 > 2.0",
        "ERROR: <input>:1:15: found no matching overload for '_+_' applied to '(int, double)'\n"
        " | self.replicas + 1.0 > 2.0\n | ..............^",
    ),
    (
        "self == 1",
        "ERROR: <input>:1:6: found no matching overload for '_==_' applied to "
        "'(selfType.spec, int)'\n | self == 1\n | .....^",
    ),
    (
        "n.foo",
        "ERROR: <input>:1:2: type 'int' does not support field selection\n | n.foo\n | .^",
    ),
    (
        "[1, 'a'].size() > 0",
        "ERROR: <input>:1:5: expected type 'int' but found 'string'\n"
        " | [1, 'a'].size() > 0\n | ....^",
    ),
    (
        "{'a': 1, 'b': true}.size() > 0",
        "ERROR: <input>:1:15: expected type 'int' but found 'bool'\n"
        " | {'a': 1, 'b': true}.size() > 0\n | ..............^",
    ),
    (
        "n.all(x, x > 0)",
        "ERROR: <input>:1:1: expression of type 'int' cannot be range of a comprehension "
        "(must be list, map, or dynamic)\n | n.all(x, x > 0)\n | ^",
    ),
    (
        "self.tags.all(x, x)",
        "ERROR: <input>:1:14: found no matching overload for '_&&_' applied to "
        "'(bool, string)'\n | self.tags.all(x, x)\n | .............^",
    ),
    (
        "self.tags.all(x.y, true)",
        "ERROR: <input>:1:16: argument must be a simple name\n"
        " | self.tags.all(x.y, true)\n | ...............^",
    ),
    ("has(self)", "ERROR: <input>:1:5: invalid argument to has() macro\n | has(self)\n | ....^"),
    (
        "self.replicas >",
        "ERROR: <input>:1:16: Syntax error: mismatched input '<EOF>' expecting {'[', '{', '(', "
        "'.', '-', '!', 'true', 'false', 'null', NUM_FLOAT, NUM_INT, NUM_UINT, STRING, BYTES, "
        "IDENTIFIER}\n | self.replicas >\n | ...............^",
    ),
    (
        "self.name == 'a' 'b'",
        "ERROR: <input>:1:18: Syntax error: mismatched input ''b'' expecting <EOF>\n"
        " | self.name == 'a' 'b'\n | .................^",
    ),
    (
        "n == #",
        "ERROR: <input>:1:6: Syntax error: token recognition error at: '#'\n | n == #\n | .....^",
    ),
    ("var > 1", "ERROR: <input>:1:1: reserved identifier: var\n | var > 1\n | ^"),
    (
        "n == 9223372036854775808",
        "ERROR: <input>:1:6: invalid int literal\n | n == 9223372036854775808\n | .....^",
    ),
    (
        "duration('5 minutes') > duration('1m')",
        "ERROR: <input>:1:10: invalid duration argument\n"
        " | duration('5 minutes') > duration('1m')\n | .........^",
    ),
    (
        "self.name.matches('[a-z')",
        "ERROR: <input>:1:19: invalid matches argument\n"
        " | self.name.matches('[a-z')\n | ..................^",
    ),
    (
        "size(self) > 0",
        "ERROR: <input>:1:5: found no matching overload for 'size' applied to '(selfType.spec)'\n"
        " | size(self) > 0\n | ....^",
    ),
    (
        "unknownFn(n)",
        "ERROR: <input>:1:10: undeclared reference to 'unknownFn' (in container '')\n"
        " | unknownFn(n)\n | .........^",
    ),
    (
        # the column counts characters, and wide ones get wide dots
        "'é' == n",
        "ERROR: <input>:1:5: found no matching overload for '_==_' applied to '(string, int)'\n"
        " | 'é' == n\n | .\uff0e..^",
    ),
    (
        # two problems on two lines, reported in source order
        "self.nope ||\n  self.alsoNope",
        "ERROR: <input>:1:5: undefined field 'nope'\n | self.nope ||\n | ....^\n"
        "ERROR: <input>:2:7: undefined field 'alsoNope'\n |   self.alsoNope\n | ......^",
    ),
]


@pytest.mark.parametrize(("expression", "message"), CASES, ids=[c[0] for c in CASES])
def test_compile_error(expression: str, message: str) -> None:
    """The expression does not compile, and the message is cel-go's, caret and all."""
    with pytest.raises(CompileError) as caught:
        ENV.compile(expression)
    assert str(caught.value) == message


@pytest.mark.parametrize(
    "expression",
    [
        "'%s has %d tags'.format([self.name, size(self.tags)]) != ''",
        "[dyn(1), dyn('a')].size() == 2",
        "d.anything.goes + 1 > 0",
        "self.tags.exists(t, t == 'x') || self.replicas in [1, 2]",
        "optional.of(self.replicas).orValue(0) >= 0",
    ],
)
def test_compiles(expression: str) -> None:
    """Expressions Kubernetes accepts compile here too (format's lists may mix types)."""
    assert ENV.compile(expression).result_type in (types.BOOL,)


def test_result_type_and_references() -> None:
    """A program knows its result type and which variables it reads."""
    env = Environment({"self": types.INT, "oldSelf": types.INT})
    program = env.compile("self >= oldSelf ? 'grew' : 'shrank'")
    assert program.result_type == types.STRING
    assert program.references("oldSelf")
    assert not env.compile("self > 0").references("oldSelf")


def test_deep_nesting_is_an_error_not_a_crash() -> None:
    """Nesting past the parser's limit is a compile error (no Python RecursionError)."""
    with pytest.raises(CompileError) as caught:
        ENV.compile("(" * 400 + "1" + ")" * 400 + " == 1")
    assert "recursion" in str(caught.value)
