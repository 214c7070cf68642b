"""x-kubernetes-validations: running rules on custom resources, and checking them in CRDs."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from kubeling.api.field import FieldPath
from kubeling.apiserver.customresources import structural
from kubeling.apiserver.customresources.validation_rule_checks import crd_rule_errors
from kubeling.apiserver.customresources.validation_rules import RuleSet
from kubeling.apiserver.warnings import collect_warnings


def _spec_schema(rules: list[dict[str, Any]], **properties: Any) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            "spec": {
                "type": "object",
                "x-kubernetes-validations": rules,
                "properties": {
                    "replicas": {"type": "integer"},
                    "maxReplicas": {"type": "integer"},
                    "image": {"type": "string"},
                    **properties,
                },
            }
        },
    }


def _errors(schema: dict[str, Any], new: Any, old: Any = None) -> list[str]:
    rules = RuleSet.compile(schema)
    assert rules is not None
    return [str(e) for e in rules.validate(new, old)]


def _obj(**spec: Any) -> dict[str, Any]:
    return {"apiVersion": "x.io/v1", "kind": "K", "metadata": {"name": "n"}, "spec": spec}


LIMIT = {"rule": "self.replicas <= self.maxReplicas", "message": "replicas must be <= maxReplicas"}


def test_failed_rule_is_invalid_at_the_node() -> None:
    """A false rule is one error at its node's path, with the node's type as the value."""
    schema = _spec_schema([LIMIT])
    assert _errors(schema, _obj(replicas=5, maxReplicas=3)) == [
        'spec: Invalid value: "object": replicas must be <= maxReplicas'
    ]
    assert _errors(schema, _obj(replicas=1, maxReplicas=3)) == []


def test_default_message_and_message_expression() -> None:
    """Without a message the rule text is shown; a messageExpression builds the message."""
    schema = _spec_schema(
        [
            {"rule": "self.replicas > 0"},
            {
                "rule": "self.image.startsWith('registry/')",
                "messageExpression": "'image ' + self.image + ' is not from our registry'",
            },
        ]
    )
    assert _errors(schema, _obj(replicas=0, image="docker.io/x")) == [
        'spec: Invalid value: "object": failed rule: self.replicas > 0',
        'spec: Invalid value: "object": image docker.io/x is not from our registry',
    ]


def test_message_expression_that_fails_falls_back_to_the_message() -> None:
    """A messageExpression that errs (or gives an empty string) leaves the static message."""
    schema = _spec_schema(
        [
            {"rule": "false", "message": "static", "messageExpression": "self.missing + 'x'"},
            {"rule": "false", "messageExpression": "'  '"},
        ]
    )
    assert _errors(schema, _obj()) == [
        'spec: Invalid value: "object": static',
        'spec: Invalid value: "object": failed rule: false',
    ]


@pytest.mark.parametrize(
    ("reason", "expected"),
    [
        ("FieldValueForbidden", "spec: Forbidden: no"),
        ("FieldValueRequired", "spec: Required value: no"),
        ("FieldValueDuplicate", 'spec: Duplicate value: "object"'),
        ("FieldValueInvalid", 'spec: Invalid value: "object": no'),
    ],
)
def test_reason_picks_the_error_type(reason: str, expected: str) -> None:
    """``reason`` makes the error Forbidden, Required or Duplicate instead of Invalid."""
    schema = _spec_schema([{"rule": "false", "message": "no", "reason": reason}])
    assert _errors(schema, _obj()) == [expected]


def test_field_path_points_below_the_node() -> None:
    """``fieldPath`` moves the error to a field under the rule's node."""
    schema = _spec_schema([{**LIMIT, "fieldPath": ".replicas"}])
    assert _errors(schema, _obj(replicas=5, maxReplicas=3)) == [
        'spec.replicas: Invalid value: "object": replicas must be <= maxReplicas'
    ]


def test_rules_on_list_items_and_map_values() -> None:
    """Rules under items and additionalProperties run per element, at the element's path."""
    schema = _spec_schema(
        [],
        ports={
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"port": {"type": "integer"}},
                "x-kubernetes-validations": [{"rule": "self.port < 65536", "message": "bad port"}],
            },
        },
        env={
            "type": "object",
            "additionalProperties": {
                "type": "string",
                "x-kubernetes-validations": [{"rule": "self != ''", "message": "empty"}],
            },
        },
    )
    obj = _obj(ports=[{"port": 80}, {"port": 70000}], env={"A": "1", "B": ""})
    assert _errors(schema, obj) == [
        'spec.ports[1]: Invalid value: "object": bad port',
        'spec.env[B]: Invalid value: "string": empty',
    ]


IMMUTABLE = {"rule": "self == oldSelf", "message": "image is immutable"}


def test_transition_rule_runs_only_on_update() -> None:
    """A rule reading oldSelf is skipped on create and compares with the old value on update."""
    schema = _spec_schema([], image={"type": "string", "x-kubernetes-validations": [IMMUTABLE]})
    assert _errors(schema, _obj(image="a")) == []
    assert _errors(schema, _obj(image="a"), _obj(image="a")) == []
    assert _errors(schema, _obj(image="b"), _obj(image="a")) == [
        'spec.image: Invalid value: "string": image is immutable'
    ]
    # a field that was absent before has nothing to compare with
    assert _errors(schema, _obj(image="b"), _obj()) == []


def test_optional_old_self_runs_on_create_too() -> None:
    """With optionalOldSelf, oldSelf is an optional and the rule also runs without an old value."""
    rule = {
        "rule": "!oldSelf.hasValue() || oldSelf.value() <= self",
        "message": "may only grow",
        "optionalOldSelf": True,
    }
    schema = _spec_schema([], replicas={"type": "integer", "x-kubernetes-validations": [rule]})
    assert _errors(schema, _obj(replicas=1)) == []
    assert _errors(schema, _obj(replicas=1), _obj(replicas=2)) == [
        'spec.replicas: Invalid value: "integer": may only grow'
    ]


def test_map_list_items_are_matched_by_key_for_old_self() -> None:
    """Items of a map list are correlated with their old selves by key, not by position."""
    schema = _spec_schema(
        [],
        ports={
            "type": "array",
            "x-kubernetes-list-type": "map",
            "x-kubernetes-list-map-keys": ["name"],
            "items": {
                "type": "object",
                "required": ["name"],
                "properties": {"name": {"type": "string"}, "port": {"type": "integer"}},
                "x-kubernetes-validations": [
                    {"rule": "self.port == oldSelf.port", "message": "port is immutable"}
                ],
            },
        },
    )
    old = _obj(ports=[{"name": "a", "port": 1}, {"name": "b", "port": 2}])
    reordered = _obj(ports=[{"name": "b", "port": 2}, {"name": "a", "port": 1}])
    changed = _obj(ports=[{"name": "b", "port": 3}, {"name": "c", "port": 9}])
    assert _errors(schema, reordered, old) == []
    assert _errors(schema, changed, old) == [
        'spec.ports[0]: Invalid value: "object": port is immutable'
    ]


def test_unchanged_values_only_warn_ratcheting() -> None:
    """On update, a failing rule over a value that did not change is a warning, not an error."""
    schema = _spec_schema([LIMIT])
    old = _obj(replicas=5, maxReplicas=3)
    warnings = collect_warnings()
    assert _errors(schema, copy.deepcopy(old), old) == []
    assert warnings == ['spec: Invalid value: "object": replicas must be <= maxReplicas']
    assert _errors(schema, _obj(replicas=6, maxReplicas=3), old) == [
        'spec: Invalid value: "object": replicas must be <= maxReplicas'
    ]


def test_runtime_errors_are_reported_with_the_rule() -> None:
    """A rule that errs is an Invalid error naming the problem and the rule."""
    schema = _spec_schema(
        [
            {"rule": "self.image.size() > 0"},
            {"rule": "self.port + 1 > 0", "message": "port check"},
        ],
        port={"x-kubernetes-int-or-string": True},
    )
    assert _errors(schema, _obj(port="http")) == [
        'spec: Invalid value: "object": no such key: image evaluating rule: self.image.size() > 0',
        "spec: Invalid value: \"object\": 'no such overload': call arguments did not match a "
        "supported operator, function or macro signature for rule: port check",
    ]


def test_cost_limit_stops_validation() -> None:
    """A rule that runs past its cost limit stops all further rules, with Kubernetes' message."""
    schema = _spec_schema(
        [
            {"rule": "self.items.all(a, self.items.all(b, self.items.all(c, a + b + c >= 0)))"},
            {"rule": "false", "message": "never reached"},
        ],
        items={"type": "array", "items": {"type": "integer"}},
    )
    errors = _errors(schema, _obj(items=list(range(150))))
    assert len(errors) == 1
    assert (
        "'operation cancelled: actual cost limit exceeded': no further validation rules"
        in (errors[0])
    )


def test_root_rules_see_metadata_name_and_escaped_names() -> None:
    """At the root, self.metadata.name is visible; dashed property names are escaped."""
    schema = {
        "type": "object",
        "x-kubernetes-validations": [
            {"rule": "self.metadata.name.startsWith('web-')", "message": "name must start web-"},
            {"rule": "!has(self.x__dash__flag) || self.x__dash__flag", "message": "flag"},
        ],
        "properties": {"x-flag": {"type": "boolean"}},
    }
    obj = {"apiVersion": "x.io/v1", "kind": "K", "metadata": {"name": "db"}, "x-flag": False}
    assert _errors(schema, obj) == [
        '<nil>: Invalid value: "object": name must start web-',
        '<nil>: Invalid value: "object": flag',
    ]


def test_timestamps_and_durations_from_formats() -> None:
    """date-time and duration strings are timestamps and durations to the rules."""
    schema = _spec_schema(
        [{"rule": "self.end - self.start <= self.maxLength", "message": "too long"}],
        start={"type": "string", "format": "date-time"},
        end={"type": "string", "format": "date-time"},
        maxLength={"type": "string", "format": "duration"},
    )
    ok = _obj(start="2024-01-01T00:00:00Z", end="2024-01-01T01:00:00Z", maxLength="2h")
    bad = _obj(start="2024-01-01T00:00:00Z", end="2024-01-02T00:00:00Z", maxLength="2h")
    assert _errors(schema, ok) == []
    assert _errors(schema, bad) == ['spec: Invalid value: "object": too long']


def test_schema_errors_block_the_rules() -> None:
    """A type error keeps the rules from running; one error says so, as upstream."""
    schema = _spec_schema([LIMIT])
    rules = RuleSet.compile(schema)
    errors = structural.validate(_obj(replicas="five", maxReplicas=3), schema, rules=rules)
    assert [str(e) for e in errors] == [
        'spec.replicas: Invalid value: "five": spec.replicas in body must be of type integer: '
        '"string"',
        '<nil>: Invalid value: "null": some validation rules were not checked because the object '
        "was invalid; correct the existing errors to complete validation",
    ]
    assert errors[0].type.value == "FieldValueTypeInvalid"


def test_no_rules_no_rule_set() -> None:
    """A schema without rules compiles to nothing, and costs nothing per write."""
    assert RuleSet.compile({"type": "object", "properties": {"a": {"type": "string"}}}) is None


# -- CRD-time checks -----------------------------------------------------------------------

ROOT = FieldPath("spec", "versions").index(0).child("schema", "openAPIV3Schema")
SPEC_RULES = f"{ROOT}.properties[spec].x-kubernetes-validations"


def _crd_errors(rules: list[dict[str, Any]], **properties: Any) -> list[str]:
    return [str(e) for e in crd_rule_errors(_spec_schema(rules, **properties), ROOT)]


def test_valid_rules_pass() -> None:
    """Rules that compile to bool (with messages, reasons, fieldPaths) are accepted."""
    assert (
        _crd_errors(
            [
                {**LIMIT, "reason": "FieldValueForbidden", "fieldPath": ".replicas"},
                {
                    "rule": "self.image == oldSelf.image",
                    "messageExpression": "'was ' + oldSelf.image",
                },
            ]
        )
        == []
    )


def test_rule_that_does_not_compile() -> None:
    """A compile error is Invalid on the rule: the rule as Go prints it, and cel-go's text."""
    assert _crd_errors([{"rule": "self.replica > 1"}]) == [
        f"{SPEC_RULES}[0].rule: Invalid value: apiextensions.ValidationRule{{Rule:"
        '"self.replica > 1", Message:"", MessageExpression:"", '
        'Reason:(*apiextensions.FieldValueErrorReason)(nil), FieldPath:"", '
        "OptionalOldSelf:(*bool)(nil)}: compilation failed: ERROR: <input>:1:5: undefined field "
        "'replica'\n | self.replica > 1\n | ....^"
    ]


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ({"rule": "self.replicas"}, "[0].rule: Invalid value: apiextensions"),
        ({"rule": "self.replicas"}, "cel expression must evaluate to a bool"),
        (
            {"rule": "true", "messageExpression": "self.replicas"},
            '[0].messageExpression: Invalid value: apiextensions.ValidationRule{Rule:"true"',
        ),
        ({"rule": "true", "messageExpression": "self.replicas"}, "must evaluate to a string"),
        ({"rule": " "}, "[0].rule: Required value: rule is not specified"),
        ({"rule": "true", "message": " "}, 'Invalid value: " ": message must be non-empty'),
        ({"rule": "true", "message": "a\nb"}, "message must not contain line breaks"),
        ({"rule": "true ||\nfalse"}, "message must be specified if rule contains line breaks"),
        (
            {"rule": "true", "reason": "Nope"},
            '[0].reason: Unsupported value: "Nope": supported values: "FieldValueDuplicate", '
            '"FieldValueForbidden", "FieldValueInvalid", "FieldValueRequired"',
        ),
        (
            {"rule": "true", "fieldPath": ".nope"},
            '[0].fieldPath: Invalid value: ".nope": fieldPath must be a valid path',
        ),
        (
            {"rule": "true", "optionalOldSelf": True},
            "[0].optionalOldSelf: Invalid value: true: may not be set if oldSelf is not used",
        ),
        (
            {"rule": "self.replicas == oldSelf.replicas", "optionalOldSelf": True},
            "found no matching overload for '_==_' applied to '(int, optional_type(int))'",
        ),
    ],
)
def test_rule_problems(rule: dict[str, Any], expected: str) -> None:
    """Each malformed rule is reported on the right field with Kubernetes' message."""
    errors = _crd_errors([rule])
    assert len(errors) == 1
    assert expected in errors[0]


def test_old_self_inside_an_atomic_list_is_refused() -> None:
    """oldSelf cannot be used where old items cannot be matched (a list that is not a map list)."""
    errors = _crd_errors(
        [],
        tags={
            "type": "array",
            "items": {"type": "string", "x-kubernetes-validations": [{"rule": "self == oldSelf"}]},
        },
    )
    items = f"{ROOT}.properties[spec].properties[tags].items"
    assert errors == [
        f'{items}.x-kubernetes-validations[0].rule: Invalid value: "self == oldSelf": oldSelf '
        f"cannot be used on the uncorrelatable portion of the schema within {items}"
    ]
