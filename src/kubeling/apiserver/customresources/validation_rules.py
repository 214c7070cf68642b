"""CRD validation rules (``x-kubernetes-validations``): compiled once, run on every write.

Any node of a CRD's schema may carry rules::

    x-kubernetes-validations:
    - rule: "self.replicas <= self.maxReplicas"
      message: "replicas must be <= maxReplicas"
    - rule: "self == oldSelf"              # a transition rule
      messageExpression: "'spec is immutable, was ' + string(oldSelf.x)"
      reason: FieldValueForbidden          # or FieldValueRequired, FieldValueDuplicate
      fieldPath: ".x"                      # where the error points, below the node

This module does at run time what apiextensions-apiserver's ``schema/cel``
package does (``validation_rule_checks`` checks the rules when the CRD is
written): ``RuleSet`` holds the compiled rules of a schema, in a tree shaped
like the schema, each rule compiled against the CEL type of its node
(``self``, and ``oldSelf`` of the same type), and ``RuleSet.validate`` walks
an object (and, on update, the old object beside it) to run them. Every
failed rule is one field error at the node's path::

    spec: Invalid value: "object": replicas must be <= maxReplicas

Rules that read ``oldSelf`` (transition rules) run only on update, and only
where the old value can be matched with the new one: through object fields,
map keys and the items of ``x-kubernetes-list-type: map`` lists (by key).
With ``optionalOldSelf: true`` they also run without an old value, with
``oldSelf`` an optional (``optional.none()``).

*Ratcheting* (Kubernetes 1.30+): on update, a failing rule that does not
use ``oldSelf`` is only a warning when its value did not change, so that a
stricter rule added to a CRD does not block unrelated updates of existing
objects.

Each object gets a cost budget; a rule that runs too long stops validation
with Kubernetes' message (``validation failed due to running out of cost
budget``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from kubeling.api.cel import CompileError, CostLimitExceeded, Environment, Program, types
from kubeling.api.cel.openapi import escape, schema_type, to_value
from kubeling.api.cel.values import NONE, Optional
from kubeling.api.field import (
    FieldError,
    FieldErrorType,
    FieldPath,
    duplicate,
    forbidden,
    invalid,
    required,
)
from kubeling.api.goformat import go_quote
from kubeling.apiserver.warnings import add_warning

__all__ = [
    "BLOCKING",
    "RULES_KEY",
    "CompiledRule",
    "RuleSet",
    "blocked",
    "compile_rule",
    "normalize_field_path",
    "rule_source",
    "unsupported_schema",
]

Schema = Mapping[str, Any]

#: Kubernetes' limits: per rule evaluation, and per object.
PER_CALL_LIMIT: Final = 1_000_000
RUNTIME_BUDGET: Final = 10_000_000
MAX_MESSAGE_EXPRESSION_BYTES: Final = 5 * 1024

RULES_KEY: Final = "x-kubernetes-validations"
ROOT_PATH: Final = "<nil>"

#: Schema errors that keep the rules from running: the object does not have
#: the shape the rules were written for.
BLOCKING: Final = frozenset(
    {
        FieldErrorType.NOT_SUPPORTED,
        FieldErrorType.REQUIRED,
        FieldErrorType.TOO_LONG,
        FieldErrorType.TOO_MANY,
        FieldErrorType.TYPE_INVALID,
    }
)


def blocked() -> FieldError:
    """The error that stands for the rules when schema errors kept them from running."""
    return invalid(
        ROOT_PATH,
        "null",
        "some validation rules were not checked because the object was invalid; "
        "correct the existing errors to complete validation",
    )


# -- the rules of one node ------------------------------------------------------


def rule_source(rule: Mapping[str, Any]) -> str:
    return str(rule.get("rule") or "")


def rule_error_string(rule: Mapping[str, Any]) -> str:
    """The rule as error messages name it: its message, or else its text."""
    message = str(rule.get("message") or "").strip()
    return message or rule_source(rule).strip()


@dataclass
class CompiledRule:
    """One rule, compiled (or the reason it did not compile)."""

    rule: Mapping[str, Any]
    program: Program | None = None
    error: str = ""
    message_program: Program | None = None
    message_error: str = ""
    #: The rule reads ``oldSelf``: it runs only when there is an old value.
    uses_old_self: bool = False
    #: ``fieldPath``, normalised (``.spec['x']`` → ``spec.x``), or ''.
    field_path: str = ""

    @property
    def optional_old_self(self) -> bool:
        return bool(self.rule.get("optionalOldSelf"))


def _environment(node_type: types.CelType, *, optional_old_self: bool) -> Environment:
    old_type = types.optional_of(node_type) if optional_old_self else node_type
    return Environment({"self": node_type, "oldSelf": old_type})


def compile_rule(rule: Mapping[str, Any], schema: Schema, node_type: types.CelType) -> CompiledRule:
    """Compile one rule (and its messageExpression) against its node's type."""
    compiled = CompiledRule(rule)
    text = rule_source(rule)
    if not text.strip():
        return compiled
    env = _environment(node_type, optional_old_self=compiled.optional_old_self)
    try:
        program = env.compile(text)
    except CompileError as err:
        compiled.error = f"compilation failed: {err}"
        return compiled
    if program.result_type != types.BOOL:
        compiled.error = "cel expression must evaluate to a bool"
        return compiled
    compiled.program = program
    compiled.uses_old_self = program.references("oldSelf")
    message_expression = str(rule.get("messageExpression") or "")
    if message_expression:
        try:
            message_program = env.compile(message_expression)
        except CompileError as err:
            compiled.message_error = f"messageExpression compilation failed: {err}"
        else:
            if message_program.result_type != types.STRING:
                compiled.message_error = "messageExpression must evaluate to a string"
            else:
                compiled.message_program = message_program
    field_path = str(rule.get("fieldPath") or "")
    if field_path:
        compiled.field_path = normalize_field_path(field_path, schema) or ""
    return compiled


# -- fieldPath ------------------------------------------------------------------

_PATH_TOKEN: Final = re.compile(r"\.([^.\[\]]+)|\['((?:[^'\\]|\\.)*)'\]")
_UNESCAPES: Final = {
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "v": "\v",
    "'": "'",
    "\\": "\\",
}


def normalize_field_path(path: str, schema: Schema) -> str | None:
    """``fieldPath`` as Kubernetes prints it, or None if it names no field of ``schema``.

    A path is a chain of ``.name`` and ``['name']`` steps through
    ``properties`` (or map keys, through ``additionalProperties``).

    >>> schema = {"properties": {"spec": {"properties": {"a.b": {"type": "string"}}}}}
    >>> normalize_field_path(".spec['a.b']", schema), normalize_field_path(".nope", schema)
    ('spec.a.b', None)
    """
    steps: list[str] = []
    node: Schema = schema
    pos = 0
    if not path:
        return None
    while pos < len(path):
        match = _PATH_TOKEN.match(path, pos)
        if not match:
            return None
        name = match.group(1)
        if name is None:
            try:
                name = re.sub(r"\\(.)", lambda m: _UNESCAPES[m.group(1)], match.group(2))
            except KeyError:
                return None
        properties = node.get("properties")
        additional = node.get("additionalProperties")
        if isinstance(properties, Mapping) and isinstance(properties.get(name), Mapping):
            steps.append(f".{name}" if steps else name)
            node = properties[name]
        elif not isinstance(properties, Mapping) and isinstance(additional, Mapping):
            steps.append(f"[{name}]")
            node = additional
        else:
            return None
        pos = match.end()
    return "".join(steps)


# -- compiling a schema ---------------------------------------------------------


@dataclass
class RuleSet:
    """The compiled rules of a schema node and of the nodes below it."""

    schema: Schema
    node_type: types.CelType | None
    resource_root: bool
    rules: list[CompiledRule] = field(default_factory=list)
    properties: dict[str, RuleSet] = field(default_factory=dict)
    items: RuleSet | None = None
    additional: RuleSet | None = None

    @classmethod
    def compile(cls, schema: Schema, *, resource_root: bool = True) -> RuleSet | None:
        """The rules of a whole resource schema, or None when it has none."""
        if not _has_rules(schema):
            return None
        return cls._build(schema, "selfType", resource_root=resource_root)

    @classmethod
    def _build(cls, schema: Schema, name: str, *, resource_root: bool) -> RuleSet | None:
        if not _has_rules(schema):
            return None
        node_type = schema_type(schema, name, resource_root=resource_root)
        node = cls(schema, node_type, resource_root)
        raw_rules = schema.get(RULES_KEY)
        if isinstance(raw_rules, list) and raw_rules:
            for raw in raw_rules:
                rule = raw if isinstance(raw, Mapping) else {}
                if node_type is None:
                    node.rules.append(CompiledRule(rule, error=unsupported_schema(schema)))
                else:
                    node.rules.append(compile_rule(rule, schema, node_type))
        for prop, sub in (schema.get("properties") or {}).items():
            if isinstance(sub, Mapping):
                child_name = f"{name}.{escape(str(prop)) or prop}"
                child = cls._build(sub, child_name, resource_root=_embedded(sub))
                if child is not None:
                    node.properties[str(prop)] = child
        items = schema.get("items")
        if isinstance(items, Mapping):
            node.items = cls._build(items, f"{name}.@idx", resource_root=_embedded(items))
        additional = schema.get("additionalProperties")
        if isinstance(additional, Mapping):
            node.additional = cls._build(
                additional, f"{name}.@elem", resource_root=_embedded(additional)
            )
        return node

    def validate(self, new: Any, old: Any = None) -> list[FieldError]:
        """Every rule failure of ``new`` (with ``old`` on an update); warnings go to the request."""
        run = _Run(RUNTIME_BUDGET)
        run.visit(self, None, new, old)
        for warning in run.warnings:
            add_warning(warning)
        return run.errors


def _embedded(schema: Schema) -> bool:
    return bool(schema.get("x-kubernetes-embedded-resource"))


def unsupported_schema(schema: Schema) -> str:
    preserve = "true" if schema.get("x-kubernetes-preserve-unknown-fields") else "false"
    return (
        "rule declared on schema that does not support validation rules type: "
        f"'{schema.get('type', '')}' x-kubernetes-preserve-unknown-fields: '{preserve}'"
    )


def _has_rules(schema: Schema) -> bool:
    if schema.get(RULES_KEY):
        return True
    children: list[Any] = list((schema.get("properties") or {}).values())
    children += [schema.get("items"), schema.get("additionalProperties")]
    return any(isinstance(child, Mapping) and _has_rules(child) for child in children)


# -- running the rules ------------------------------------------------------------


class _OutOfBudget(Exception):
    """Validation must stop: the object's cost budget is spent."""


@dataclass
class _Run:
    budget: int
    errors: list[FieldError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def visit(self, node: RuleSet, path: FieldPath | None, new: Any, old: Any) -> None:
        """Run the rules of ``node`` and below; ``old`` is the matching old value or None."""
        try:
            self._visit(node, path, new, old, unchanged=False)
        except _OutOfBudget:
            return

    def _visit(
        self, node: RuleSet, path: FieldPath | None, new: Any, old: Any, *, unchanged: bool
    ) -> None:
        if new is None:
            return  # rules validate values; a null is checked by the schema around it
        if old is not None:
            # with no matching old value, the nearest matched ancestor decides
            unchanged = json_equal(new, old)
        if node.rules:
            self._run_rules(node, path, new, old, unchanged=unchanged)
        if isinstance(new, Mapping):
            old_map = old if isinstance(old, Mapping) else {}
            for key, value in new.items():
                if node.additional is not None:
                    child: RuleSet | None = node.additional
                    child_path = path.key(key) if path else FieldPath(key)
                else:
                    child = node.properties.get(key)
                    child_path = path.child(key) if path else FieldPath(key)
                if child is not None:
                    self._visit(child, child_path, value, old_map.get(key), unchanged=unchanged)
        elif isinstance(new, list) and node.items is not None and path is not None:
            for index, item in enumerate(new):
                old_item = _correlated_item(node.schema, item, old)
                self._visit(node.items, path.index(index), item, old_item, unchanged=unchanged)

    def _run_rules(
        self, node: RuleSet, path: FieldPath | None, new: Any, old: Any, *, unchanged: bool
    ) -> None:
        # the root's path is Go's nil path, which prints as "<nil>"
        shown_path = str(path) if path else ROOT_PATH
        value_type = str(node.schema.get("type", ""))
        if self.budget <= 0:
            self.errors.append(
                invalid(
                    shown_path,
                    value_type,
                    "validation failed due to running out of cost budget, "
                    "no further validation rules will be run",
                )
            )
            raise _OutOfBudget
        self_value = to_value(new, node.schema, resource_root=node.resource_root)
        old_value = (
            None if old is None else to_value(old, node.schema, resource_root=node.resource_root)
        )
        for compiled in node.rules:
            self._run_rule(compiled, shown_path, value_type, self_value, old_value, unchanged)

    def _run_rule(
        self,
        compiled: CompiledRule,
        path: str,
        value_type: str,
        self_value: Any,
        old_value: Any,
        unchanged: bool,
    ) -> None:
        rule = compiled.rule
        if compiled.error:
            self.errors.append(invalid(path, value_type, f"rule compile error: {compiled.error}"))
            return
        if compiled.program is None:
            return  # an empty rule
        if compiled.uses_old_self and old_value is None and not compiled.optional_old_self:
            return  # a transition rule with nothing to compare against
        variables: dict[str, Any] = {"self": self_value, "oldSelf": old_value}
        if compiled.optional_old_self:
            variables["oldSelf"] = NONE if old_value is None else Optional.of(old_value)
        outcome = compiled.program.evaluate(variables, cost_limit=PER_CALL_LIMIT)
        self.budget -= outcome.cost
        if isinstance(outcome.error, CostLimitExceeded):
            self.errors.append(
                invalid(
                    path,
                    value_type,
                    f"'{outcome.error}': no further validation rules will be run due to call "
                    f"cost exceeds limit for rule: {rule_error_string(rule)}",
                )
            )
            raise _OutOfBudget
        if self.budget < 0:
            self.errors.append(
                invalid(
                    path,
                    value_type,
                    "validation failed due to running out of cost budget, "
                    "no further validation rules will be run",
                )
            )
            raise _OutOfBudget
        if outcome.error is not None:
            detail = str(outcome.error)
            if detail.startswith("no such overload"):
                message = (
                    f"'{detail}': call arguments did not match a supported operator, function "
                    f"or macro signature for rule: {rule_error_string(rule)}"
                )
            else:
                message = f"{detail} evaluating rule: {rule_error_string(rule)}"
            self.errors.append(invalid(path, value_type, message))
            return
        if outcome.value is True:
            return
        error_path = path
        if compiled.field_path:
            below = path != ROOT_PATH
            error_path = f"{path}.{compiled.field_path}" if below else compiled.field_path
        detail = self._message(compiled, variables, error_path, value_type)
        error = _error_for_reason(rule.get("reason"), error_path, value_type, detail)
        if not compiled.uses_old_self and unchanged:
            self.warnings.append(str(error))  # ratcheting: the value did not change
        else:
            self.errors.append(error)

    def _message(
        self, compiled: CompiledRule, variables: dict[str, Any], path: str, value_type: str
    ) -> str:
        rule = compiled.rule
        fallback = str(rule.get("message") or "").strip() or (
            f"failed rule: {rule_error_string(rule)}"
        )
        if compiled.message_program is None:
            return fallback
        outcome = compiled.message_program.evaluate(variables, cost_limit=PER_CALL_LIMIT)
        self.budget -= outcome.cost
        if isinstance(outcome.error, CostLimitExceeded) or self.budget < 0:
            expression = go_quote(str(rule.get("messageExpression") or ""))
            detail = (
                "messageExpression evaluation failed due to running out of cost budget, "
                "no further validation rules will be run"
                if self.budget < 0
                else "no further validation rules will be run due to call cost exceeds limit "
                f"for messageExpression: {expression}"
            )
            self.errors.append(invalid(path, value_type, detail))
            raise _OutOfBudget
        if outcome.error is not None or not isinstance(outcome.value, str):
            return fallback
        text = outcome.value.strip()
        if not text or "\n" in text or len(text.encode()) > MAX_MESSAGE_EXPRESSION_BYTES:
            return fallback
        return text


def _error_for_reason(reason: Any, path: str, value_type: str, detail: str) -> FieldError:
    if reason == "FieldValueForbidden":
        return forbidden(path, detail)
    if reason == "FieldValueRequired":
        return required(path, detail)
    if reason == "FieldValueDuplicate":
        return duplicate(path, value_type)
    return invalid(path, value_type, detail)


def _correlated_item(schema: Schema, item: Any, old: Any) -> Any:
    """The old item matching ``item`` by its keys, in a ``map`` list (else None)."""
    if schema.get("x-kubernetes-list-type") != "map" or not isinstance(old, list):
        return None
    keys = list(schema.get("x-kubernetes-list-map-keys") or ())
    if not keys or not isinstance(item, Mapping):
        return None
    wanted = [item.get(k) for k in keys]
    for candidate in old:
        if isinstance(candidate, Mapping) and [candidate.get(k) for k in keys] == wanted:
            return candidate
    return None


def json_equal(a: Any, b: Any) -> bool:
    """Deep equality of decoded JSON, strict on types (``1`` is not ``1.0`` or ``true``)."""
    if isinstance(a, Mapping):
        return (
            isinstance(b, Mapping)
            and a.keys() == b.keys()
            and all(json_equal(a[k], b[k]) for k in a)
        )
    if isinstance(a, list):
        return (
            isinstance(b, list)
            and len(a) == len(b)
            and all(json_equal(x, y) for x, y in zip(a, b, strict=True))
        )
    return type(a) is type(b) and a == b
