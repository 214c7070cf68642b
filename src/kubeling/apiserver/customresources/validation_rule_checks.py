"""Checking a CRD's ``x-kubernetes-validations`` when the CRD is created or updated.

Before a CRD is stored, every rule of every version's schema must be sound
(``ValidateCustomResourceDefinitionOpenAPISchema`` upstream):

- its own fields: a non-empty ``rule``; a ``message`` without line breaks
  (and one is required when the rule spans lines); a known ``reason``; a
  ``fieldPath`` that names a field below the node;
- then, if those are fine everywhere below the node, the rule compiles
  against the node's CEL type and returns a bool, its ``messageExpression``
  returns a string, ``oldSelf`` is only used where old values can be matched
  (not inside a list that is not a ``map`` list), and ``optionalOldSelf`` is
  only set on rules that use ``oldSelf``.

A rule that does not compile is reported with the rule printed as Go's
``%#v`` prints it, as Kubernetes does::

    spec.versions[0].schema.openAPIV3Schema.properties[spec].x-kubernetes-validations[0].rule:
    Invalid value: apiextensions.ValidationRule{Rule:"self.replica > 1", Message:"", ...}:
    compilation failed: ERROR: <input>:1:5: undefined field 'replica'
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Final

from kubeling.api.cel.openapi import escape, schema_type
from kubeling.api.field import (
    FieldError,
    FieldPath,
    internal_error,
    invalid,
    not_supported,
    required,
)
from kubeling.api.goformat import go_quote
from kubeling.apiserver.customresources.validation_rules import (
    RULES_KEY,
    compile_rule,
    normalize_field_path,
    rule_source,
    unsupported_schema,
)

__all__ = ["GoRule", "crd_rule_errors"]

Schema = Mapping[str, Any]

_REASONS: Final = (
    "FieldValueDuplicate",
    "FieldValueForbidden",
    "FieldValueInvalid",
    "FieldValueRequired",
)


class GoRule:
    """A rule printed as Go's ``%#v`` prints apiextensions' ValidationRule.

    Kubernetes puts the whole rule struct in the message of a CRD whose rule
    does not compile. A set pointer prints as an address in Go; a fixed
    placeholder address is printed here.
    """

    def __init__(self, rule: Mapping[str, Any]) -> None:
        self.rule = rule

    def __str__(self) -> str:
        rule = self.rule
        reason = rule.get("reason")
        optional_old_self = rule.get("optionalOldSelf")
        reason_text = (
            "(*apiextensions.FieldValueErrorReason)(nil)"
            if reason is None
            else "(*apiextensions.FieldValueErrorReason)(0xc000a1b2c0)"
        )
        optional_text = "(*bool)(nil)" if optional_old_self is None else "(*bool)(0xc000a1b2c8)"
        return (
            "apiextensions.ValidationRule{"
            f"Rule:{go_quote(str(rule.get('rule') or ''))}, "
            f"Message:{go_quote(str(rule.get('message') or ''))}, "
            f"MessageExpression:{go_quote(str(rule.get('messageExpression') or ''))}, "
            f"Reason:{reason_text}, "
            f"FieldPath:{go_quote(str(rule.get('fieldPath') or ''))}, "
            f"OptionalOldSelf:{optional_text}}}"
        )


def crd_rule_errors(schema: Schema, path: FieldPath) -> list[FieldError]:
    """Problems with the ``x-kubernetes-validations`` of a CRD version's schema."""
    errors, _ = _check_node(schema, path, name="selfType", resource_root=True, forbid_old=None)
    return errors


def _check_node(
    schema: Schema,
    path: FieldPath,
    *,
    name: str,
    resource_root: bool,
    forbid_old: FieldPath | None,
) -> tuple[list[FieldError], bool]:
    """Field errors of this subtree, and whether any were schema (not CEL) errors."""
    errors: list[FieldError] = []
    schema_problem = False
    for child_path, child, child_name, child_forbid in _children(schema, path, name, forbid_old):
        child_errors, child_schema_problem = _check_node(
            child,
            child_path,
            name=child_name,
            resource_root=_is_embedded(child),
            forbid_old=child_forbid,
        )
        errors.extend(child_errors)
        schema_problem = schema_problem or child_schema_problem
    raw_rules = schema.get(RULES_KEY)
    if not isinstance(raw_rules, list) or not raw_rules:
        return errors, schema_problem
    rules = [r if isinstance(r, Mapping) else {} for r in raw_rules]
    field_errors = [
        error
        for index, rule in enumerate(rules)
        for error in _rule_field_errors(rule, schema, path.child(RULES_KEY).index(index))
    ]
    errors.extend(field_errors)
    schema_problem = schema_problem or bool(field_errors)
    if schema_problem:
        return errors, schema_problem
    node_type = schema_type(schema, name, resource_root=resource_root)
    if node_type is None:
        errors.append(internal_error(path.child(RULES_KEY), unsupported_schema(schema)))
        return errors, schema_problem
    for index, rule in enumerate(rules):
        here = path.child(RULES_KEY).index(index)
        compiled = compile_rule(rule, schema, node_type)
        if compiled.error:
            errors.append(invalid(here.child("rule"), GoRule(rule), compiled.error))
        if compiled.message_error:
            errors.append(
                invalid(here.child("messageExpression"), GoRule(rule), compiled.message_error)
            )
        if compiled.uses_old_self and forbid_old is not None:
            errors.append(
                invalid(
                    here.child("rule"),
                    rule_source(rule),
                    "oldSelf cannot be used on the uncorrelatable portion of the schema "
                    f"within {forbid_old}",
                )
            )
        elif (
            compiled.program is not None
            and not compiled.uses_old_self
            and rule.get("optionalOldSelf") is not None
        ):
            errors.append(
                invalid(
                    here.child("optionalOldSelf"),
                    bool(rule.get("optionalOldSelf")),
                    "may not be set if oldSelf is not used in rule",
                )
            )
    return errors, schema_problem


def _children(
    schema: Schema, path: FieldPath, name: str, forbid_old: FieldPath | None
) -> Iterator[tuple[FieldPath, Schema, str, FieldPath | None]]:
    for prop, sub in (schema.get("properties") or {}).items():
        if isinstance(sub, Mapping):
            child_name = f"{name}.{escape(str(prop)) or prop}"
            yield path.child("properties").key(str(prop)), sub, child_name, forbid_old
    items = schema.get("items")
    if isinstance(items, Mapping):
        here = path.child("items")
        # only the items of a map list can be matched with their old selves
        uncorrelatable = schema.get("x-kubernetes-list-type") != "map"
        yield here, items, f"{name}.@idx", forbid_old or (here if uncorrelatable else None)
    additional = schema.get("additionalProperties")
    if isinstance(additional, Mapping):
        yield path.child("additionalProperties"), additional, f"{name}.@elem", forbid_old


def _rule_field_errors(
    rule: Mapping[str, Any], schema: Schema, here: FieldPath
) -> list[FieldError]:
    """The checks of a rule's own fields (``ValidateCustomResourceDefinitionOpenAPISchema``)."""
    errors: list[FieldError] = []
    text = rule_source(rule).strip()
    message = str(rule.get("message") or "")
    message_expression = str(rule.get("messageExpression") or "")
    field_path = str(rule.get("fieldPath") or "")
    at_message, at_path = here.child("message"), here.child("fieldPath")
    if not text:
        errors.append(required(here.child("rule"), "rule is not specified"))
    elif message and not message.strip():
        errors.append(invalid(at_message, message, "message must be non-empty if specified"))
    elif _has_newline(message.strip()):
        errors.append(invalid(at_message, message, "message must not contain line breaks"))
    elif _has_newline(text) and not message.strip():
        detail = "message must be specified if rule contains line breaks"
        errors.append(required(at_message, detail))
    if message_expression and not message_expression.strip():
        detail = "messageExpression must be non-empty if specified"
        errors.append(required(here.child("messageExpression"), detail))
    reason = rule.get("reason")
    if reason is not None and reason not in _REASONS:
        errors.append(not_supported(here.child("reason"), reason, list(_REASONS)))
    if field_path and not field_path.strip():
        errors.append(invalid(at_path, field_path, "fieldPath must be non-empty if specified"))
    if _has_newline(field_path):
        errors.append(invalid(at_path, field_path, "fieldPath must not contain line breaks"))
    if field_path and normalize_field_path(field_path, schema) is None:
        errors.append(invalid(at_path, field_path, "fieldPath must be a valid path"))
    return errors


def _has_newline(text: str) -> bool:
    return "\n" in text or "\r" in text


def _is_embedded(schema: Schema) -> bool:
    return bool(schema.get("x-kubernetes-embedded-resource"))
