"""Label selector parsing, matching, canonical strings, LabelSelector conversion."""

from __future__ import annotations

from typing import Any

import pytest

from kubeling.api import labels
from kubeling.api.field import FieldPath
from kubeling.api.labels import Operator, SelectorParseError

LABEL_VALUE_MSG = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or "
    "'my_value',  or '12345', regex used for validation is "
    "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
)
NAME_PART_MSG = (
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end "
    "with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used "
    "for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
)


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("", ""),
        ("x=a", "x=a"),
        ("x==a", "x==a"),
        ("x!=a", "x!=a"),
        ("x", "x"),
        ("!x", "!x"),
        ("x>1", "x>1"),
        ("x<5", "x<5"),
        ("x in (b,a)", "x in (a,b)"),
        ("x notin (a)", "x notin (a)"),
        ("x in ()", "x in ()"),
        ("x in (a,,b)", "x in (,a,b)"),
        ("x in (a,a)", "x in (a)"),
        ("  x  in  ( a , b )  ,  y  ", "x in (a,b),y"),
        ("z,y=b,x in (a)", "x in (a),y=b,z"),
        ("x=", "x="),
        ("in in (in)", "in in (in)"),
        ("notin=notin", "notin=notin"),
        ("x\t=\na", "x=a"),
        ("example.com/app=web", "example.com/app=web"),
    ],
)
def test_canonical_string(text: str, canonical: str) -> None:
    """Requirements sort by key; values sort; spacing is normalized."""
    assert str(labels.parse(text)) == canonical


@pytest.mark.parametrize(
    ("text", "object_labels", "matches"),
    [
        ("x=a", {"x": "a"}, True),
        ("x=a", {"x": "b"}, False),
        ("x=a", {}, False),
        ("x!=a", {}, True),
        ("x!=a", {"x": "a"}, False),
        ("x in (a,b)", {"x": "b"}, True),
        ("x notin (a,b)", {"x": "c"}, True),
        ("x notin (a,b)", {}, True),
        ("x notin (a,b)", {"x": "a"}, False),
        ("x", {"x": ""}, True),
        ("x", {}, False),
        ("!x", {}, True),
        ("!x", {"x": "a"}, False),
        ("x>1", {"x": "2"}, True),
        ("x>1", {"x": "1"}, False),
        ("x<1", {"x": "-5"}, True),
        ("x>1", {"x": "abc"}, False),
        ("x>1", {}, False),
        ("x in ()", {"x": ""}, True),
        ("x=", {"x": ""}, True),
        ("x=a,y", {"x": "a"}, False),
        ("", {"any": "thing"}, True),
    ],
)
def test_matches(text: str, object_labels: dict[str, str], matches: bool) -> None:
    """Matching follows apimachinery's Requirement.Matches."""
    assert labels.parse(text).matches(object_labels) is matches


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("x=a,", "found '', expected: identifier after ','"),
        ("x=a y", "found 'y', expected: ',' or 'end of string'"),
        ("=a", "found '=', expected: !, identifier, or 'end of string'"),
        ("x in a", "unable to parse requirement: found 'a' expected: '('"),
        ("x in (a", "unable to parse requirement: found '', expected: ',' or ')'"),
        ("x in (a b)", "unable to parse requirement: found 'b', expected: ',' or ')'"),
        ("x in (=)", "unable to parse requirement: found '=', expected: ',', ')' or identifier"),
        ("x y", "unable to parse requirement: found 'y', expected: in, notin, =, ==, !=, gt, lt"),
        ("x=(", "unable to parse requirement: found '(', expected: identifier"),
        ("! =a", "unable to parse requirement: found '=', expected: identifier"),
        ("!=a", "found '!=', expected: !, identifier, or 'end of string'"),
        ("x=!", "unable to parse requirement: found '!', expected: identifier"),
        (
            "x>a",
            'unable to parse requirement: values[0]: Invalid value: "a": '
            "for 'Gt', 'Lt' operators, the value must be an integer",
        ),
        (
            "-x=a",
            f'unable to parse requirement: <nil>: Invalid value: "-x": {NAME_PART_MSG}',
        ),
        (
            "x=-a",
            f'unable to parse requirement: values[0][x]: Invalid value: "-a": {LABEL_VALUE_MSG}',
        ),
    ],
)
def test_parse_errors(text: str, message: str) -> None:
    """Malformed selectors raise with apimachinery's exact messages."""
    with pytest.raises(SelectorParseError) as info:
        labels.parse(text)
    assert str(info.value) == message


def test_validation_errors_are_attached() -> None:
    """A requirement validation failure carries its field errors."""
    with pytest.raises(SelectorParseError) as info:
        labels.parse("x=-a")
    assert [e.field for e in info.value.field_errors] == ["values[0][x]"]


@pytest.mark.parametrize(
    ("key", "operator", "values", "message"),
    [
        (
            "x",
            Operator.IN,
            [],
            "values: Invalid value: null: for 'in', 'notin' operators, values set can't be empty",
        ),
        (
            "x",
            Operator.EQUALS,
            ["a", "b"],
            'values: Invalid value: ["a","b"]: exact-match compatibility requires one single value',
        ),
        (
            "x",
            Operator.EXISTS,
            ["a"],
            'values: Invalid value: ["a"]: values set must be empty for exists and does not exist',
        ),
        (
            "x",
            "bogus",
            [],
            'operator: Unsupported value: "bogus": supported values: "in", "notin", "=", "==", '
            '"!=", "gt", "lt", "exists", "!"',
        ),
        (
            "-x",
            Operator.GREATER_THAN,
            ["a", "b"],
            f'[key: Invalid value: "-x": {NAME_PART_MSG}, values: Invalid value: ["a","b"]: '
            "for 'Gt', 'Lt' operators, exactly one value is required, values[0]: Invalid value: "
            "\"a\": for 'Gt', 'Lt' operators, the value must be an integer, values[1]: Invalid "
            "value: \"b\": for 'Gt', 'Lt' operators, the value must be an integer]",
        ),
    ],
)
def test_new_requirement_errors(
    key: str, operator: Operator | str, values: list[str], message: str
) -> None:
    """NewRequirement reports every rule broken, aggregated."""
    with pytest.raises(SelectorParseError) as info:
        labels.new_requirement(key, operator, values)
    assert str(info.value) == message


def test_new_requirement_with_path() -> None:
    """A path prefixes the key and values paths."""
    with pytest.raises(SelectorParseError) as info:
        labels.new_requirement("x", Operator.EQUALS, ["-"], path=FieldPath("spec", "selector"))
    assert str(info.value).startswith('spec.selector.values[0][x]: Invalid value: "-": ')


def test_sentinels() -> None:
    """everything() matches all and is empty; nothing() matches none and is not empty."""
    assert labels.everything().matches({})
    assert labels.everything().is_empty()
    assert not labels.nothing().matches({})
    assert not labels.nothing().is_empty()
    assert str(labels.everything()) == ""
    assert str(labels.nothing()) == ""
    assert labels.nothing().requirements() is None
    assert labels.parse("").is_empty()


def test_add_keeps_sorting() -> None:
    """Adding requirements returns a new sorted selector."""
    base = labels.parse("b=1")
    added = base.add(labels.new_requirement("a", Operator.EXISTS, []))
    assert str(added) == "a,b=1"
    assert str(base) == "b=1"
    assert labels.nothing().add(labels.new_requirement("a", "exists", [])) is labels.nothing()


@pytest.mark.parametrize(
    ("text", "key", "value"),
    [
        ("x=a", "x", "a"),
        ("x in (a)", "x", "a"),
        ("x in (a,b)", "x", None),
        ("x!=a", "x", None),
        ("y=a", "x", None),
    ],
)
def test_requires_exact_match(text: str, key: str, value: str | None) -> None:
    """=, == and single-valued in pin the key to one value."""
    assert labels.parse(text).requires_exact_match(key) == value


@pytest.mark.parametrize(
    ("selector", "canonical"),
    [
        ({"matchLabels": {"b": "2", "a": "1"}}, "a=1,b=2"),
        (
            {
                "matchLabels": {"app": "web"},
                "matchExpressions": [
                    {"key": "tier", "operator": "In", "values": ["db", "cache"]},
                    {"key": "canary", "operator": "DoesNotExist"},
                    {"key": "env", "operator": "Exists"},
                    {"key": "zone", "operator": "NotIn", "values": ["a"]},
                ],
            },
            "app=web,!canary,env,tier in (cache,db),zone notin (a)",
        ),
    ],
)
def test_label_selector_as_selector(selector: dict[str, Any], canonical: str) -> None:
    """matchLabels and matchExpressions become one sorted selector."""
    assert str(labels.label_selector_as_selector(selector)) == canonical


def test_label_selector_nil_and_empty() -> None:
    """A nil LabelSelector selects nothing; an empty one selects everything."""
    assert labels.label_selector_as_selector(None) is labels.nothing()
    assert labels.label_selector_as_selector({}) is labels.everything()


@pytest.mark.parametrize(
    ("selector", "message"),
    [
        (
            {"matchExpressions": [{"key": "a", "operator": "Foo"}]},
            '"Foo" is not a valid label selector operator',
        ),
        (
            {"matchExpressions": [{"key": "a", "operator": "In", "values": []}]},
            "values: Invalid value: null: for 'in', 'notin' operators, values set can't be empty",
        ),
        (
            {"matchLabels": {"a": "-b"}},
            f'values[0][a]: Invalid value: "-b": {LABEL_VALUE_MSG}',
        ),
    ],
)
def test_label_selector_as_selector_errors(selector: dict[str, Any], message: str) -> None:
    """Conversion errors read as apimachinery's."""
    with pytest.raises(SelectorParseError) as info:
        labels.label_selector_as_selector(selector)
    assert str(info.value) == message


def test_validate_label_selector_collects_every_error() -> None:
    """ValidateLabelSelector returns all field errors with full paths."""
    selector = {
        "matchLabels": {"ok": "-bad"},
        "matchExpressions": [
            {"key": "a", "operator": "In"},
            {"key": "b", "operator": "Exists", "values": ["x"]},
            {"key": "-c", "operator": "Near"},
        ],
    }
    errs = labels.validate_label_selector(selector, FieldPath("spec", "selector"))
    assert [str(e) for e in errs] == [
        f'spec.selector.matchLabels: Invalid value: "-bad": {LABEL_VALUE_MSG}',
        "spec.selector.matchExpressions[0].values: Required value: "
        "must be specified when `operator` is 'In' or 'NotIn'",
        "spec.selector.matchExpressions[1].values: Forbidden: "
        "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
        'spec.selector.matchExpressions[2].operator: Invalid value: "Near": '
        "not a valid selector operator",
        f'spec.selector.matchExpressions[2].key: Invalid value: "-c": {NAME_PART_MSG}',
    ]


def test_validate_label_selector_options() -> None:
    """Options allow unknown operators and invalid values; None is valid."""
    selector = {"matchExpressions": [{"key": "a", "operator": "Near", "values": ["-x"]}]}
    path = FieldPath("s")
    assert len(labels.validate_label_selector(selector, path)) == 2
    assert (
        labels.validate_label_selector(
            selector, path, allow_unknown_operator=True, allow_invalid_label_value=True
        )
        == []
    )
    assert labels.validate_label_selector(None, path) == []


def test_selector_from_set() -> None:
    """A label set becomes equality requirements; empty is everything."""
    assert str(labels.selector_from_set({"b": "2", "a": "1"})) == "a=1,b=2"
    assert labels.selector_from_set({}).is_empty()
    with pytest.raises(SelectorParseError):
        labels.validated_selector_from_set({"a": "-"})
