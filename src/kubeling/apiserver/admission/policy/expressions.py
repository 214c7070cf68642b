"""Compiling a ValidatingAdmissionPolicy's CEL expressions, once, for writes and for admission.

The same compilation serves two callers: the policy's strategy, which refuses
a policy whose expressions do not compile (422, as Kubernetes' validation
does), and the admission plugin, which runs the compiled programs on every
matching request. Kubernetes compiles with these variables
(``k8s.io/apiserver/pkg/admission/plugin/cel``):

================  ============================================================
``object``        the new object (``null`` for DELETE)
``oldObject``     the stored object (``null`` for CREATE)
``request``       the request, shaped like AdmissionRequest (``request.userInfo.username``)
``params``        the parameter object; declared only when the policy has ``paramKind``
``namespaceObject`` the request's Namespace (``null`` for cluster-scoped objects)
``variables``     the policy's ``spec.variables``, each typed as its expression;
                  declared only when the policy has variables, and a variable
                  sees only those before it
``authorizer``    what the requesting user may do (``api/cel/library/authz``),
                  and ``authorizer.requestResource``, a check of the request's
                  own resource; not in messageExpressions, as in Kubernetes
================  ============================================================

What each expression must return is checked as cel-go checks it: a
validation or match condition ``bool``, a messageExpression ``string``, an
audit annotation ``string`` or ``null``; an expression whose type is only
known at run time (``dyn``) does not pass (``must evaluate to bool``), as in
Kubernetes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from kubeling.api.cel import CompileError, Environment, Program, types
from kubeling.api.cel.library import KUBERNETES
from kubeling.api.cel.library.authz import AUTHORIZER, AUTHZ, RESOURCE_CHECK
from kubeling.api.cel.types import CelType

__all__ = [
    "REQUEST_TYPE",
    "CompiledExpression",
    "CompiledPolicyExpressions",
    "Expected",
    "compile_expression",
    "compile_policy_expressions",
]

_GVK = types.object_type(
    "kubernetes.GroupVersionKind",
    {"group": types.STRING, "version": types.STRING, "kind": types.STRING},
)
_GVR = types.object_type(
    "kubernetes.GroupVersionResource",
    {"group": types.STRING, "version": types.STRING, "resource": types.STRING},
)
_USER_INFO = types.object_type(
    "kubernetes.UserInfo",
    {
        "username": types.STRING,
        "uid": types.STRING,
        "groups": types.list_of(types.STRING),
        "extra": types.map_of(types.STRING, types.list_of(types.STRING)),
    },
)

#: The type of ``request``: AdmissionRequest without its objects and uid.
REQUEST_TYPE: Final = types.object_type(
    "kubernetes.AdmissionRequest",
    {
        "kind": _GVK,
        "resource": _GVR,
        "subResource": types.STRING,
        "requestKind": _GVK,
        "requestResource": _GVR,
        "requestSubResource": types.STRING,
        "name": types.STRING,
        "namespace": types.STRING,
        "operation": types.STRING,
        "userInfo": _USER_INFO,
        "dryRun": types.BOOL,
        "options": types.DYN,
    },
)


@dataclass(frozen=True, slots=True)
class Expected:
    """The types an expression may return, as cel-go names them in its message."""

    allowed: tuple[CelType, ...]

    def accepts(self, result: CelType) -> bool:
        return not self.allowed or result in self.allowed

    def message(self) -> str:
        if len(self.allowed) == 1:
            return f"must evaluate to {self.allowed[0]}"
        return "must evaluate to one of [" + " ".join(str(t) for t in self.allowed) + "]"


#: The libraries of policy expressions: CRD rules' and the authorization library.
POLICY_LIBRARY: Final = KUBERNETES.merge([AUTHZ])

BOOL: Final = Expected((types.BOOL,))
STRING: Final = Expected((types.STRING,))
STRING_OR_NULL: Final = Expected((types.STRING, types.NULL))
ANY: Final = Expected(())


@dataclass(frozen=True, slots=True)
class CompiledExpression:
    """One expression: its program, or why it has none (Kubernetes' error detail)."""

    text: str
    program: Program | None
    error: str = ""


def _environment(
    *, has_params: bool, variables: Mapping[str, CelType] | None, authorizer: bool
) -> Environment:
    declared: dict[str, CelType] = {
        "object": types.DYN,
        "oldObject": types.DYN,
        "request": REQUEST_TYPE,
        "namespaceObject": types.DYN,
    }
    if has_params:
        declared["params"] = types.DYN
    if variables is not None:
        declared["variables"] = types.object_type("kubernetes.variables", variables)
    if authorizer:
        declared["authorizer"] = AUTHORIZER
        declared["authorizer.requestResource"] = RESOURCE_CHECK
    return Environment(declared, POLICY_LIBRARY)


def compile_expression(
    text: str,
    expected: Expected,
    *,
    has_params: bool,
    variables: Mapping[str, CelType] | None = None,
    authorizer: bool = True,
) -> CompiledExpression:
    """Compile ``text`` in a policy's environment and check what it returns.

    >>> compile_expression("object.spec.replicas < 5", BOOL, has_params=False).error
    ''
    >>> compile_expression("params.max", BOOL, has_params=False).error.splitlines()[0]
    "compilation failed: ERROR: <input>:1:1: undeclared reference to 'params' (in container '')"
    """
    env = _environment(has_params=has_params, variables=variables, authorizer=authorizer)
    try:
        program = env.compile(text)
    except CompileError as err:
        return CompiledExpression(text, None, f"compilation failed: {err}")
    if not expected.accepts(program.result_type):
        return CompiledExpression(text, None, expected.message())
    return CompiledExpression(text, program)


@dataclass(frozen=True, slots=True)
class CompiledValidation:
    """One ``spec.validations[i]``: its expression and messageExpression."""

    expression: CompiledExpression
    message: str
    message_expression: CompiledExpression | None
    reason: str | None


@dataclass(frozen=True, slots=True)
class CompiledPolicyExpressions:
    """Every expression of a policy spec, compiled in Kubernetes' environments.

    The lists keep the spec's order (a validation's index is its position).
    Expressions that are empty are left out of the lists' programs (their
    ``program`` is None with no error): validation reports them as required.
    """

    has_params: bool
    match_conditions: tuple[tuple[str, CompiledExpression], ...]
    variables: tuple[tuple[str, CompiledExpression], ...]
    validations: tuple[CompiledValidation, ...]
    audit_annotations: tuple[tuple[str, CompiledExpression], ...]

    def errors(self) -> list[tuple[tuple[str, int, str], CompiledExpression]]:
        """Every expression that did not compile, with (list, index, field) naming it."""
        found: list[tuple[tuple[str, int, str], CompiledExpression]] = []
        for i, (_, expr) in enumerate(self.match_conditions):
            if expr.error:
                found.append((("matchConditions", i, "expression"), expr))
        for i, (_, expr) in enumerate(self.variables):
            if expr.error:
                found.append((("variables", i, "expression"), expr))
        for i, validation in enumerate(self.validations):
            if validation.expression.error:
                found.append((("validations", i, "expression"), validation.expression))
            message = validation.message_expression
            if message is not None and message.error:
                found.append((("validations", i, "messageExpression"), message))
        for i, (_, expr) in enumerate(self.audit_annotations):
            if expr.error:
                found.append((("auditAnnotations", i, "valueExpression"), expr))
        return found

    def first_error(self) -> str:
        """The first compile error, as the plugin reports a broken stored policy."""
        errors = self.errors()
        return errors[0][1].error if errors else ""


def _items(spec: Mapping[str, Any], key: str) -> Sequence[Mapping[str, Any]]:
    value = spec.get(key)
    if not isinstance(value, list):
        return ()
    return [item if isinstance(item, Mapping) else {} for item in value]


def _text(item: Mapping[str, Any], key: str) -> str:
    value = item.get(key)
    return value if isinstance(value, str) else ""


def _compile_nonempty(
    text: str,
    expected: Expected,
    *,
    has_params: bool,
    variables: Mapping[str, CelType] | None,
    authorizer: bool = True,
) -> CompiledExpression:
    if not text.strip():
        return CompiledExpression(text, None)
    return compile_expression(
        text, expected, has_params=has_params, variables=variables, authorizer=authorizer
    )


def compile_policy_expressions(spec: Mapping[str, Any]) -> CompiledPolicyExpressions:
    """Compile every expression of a ValidatingAdmissionPolicy ``spec``.

    Variables are compiled in order, each seeing the ones before it with
    their result types; the other expressions see them all. Match
    conditions may read ``params`` when the policy has a paramKind, and
    messageExpressions may too (as Kubernetes declares them).
    """
    has_params = isinstance(spec.get("paramKind"), Mapping)
    raw_variables = _items(spec, "variables")
    variable_types: dict[str, CelType] | None = {} if raw_variables else None
    variables: list[tuple[str, CompiledExpression]] = []
    for item in raw_variables:
        name = _text(item, "name")
        compiled = _compile_nonempty(
            _text(item, "expression"),
            ANY,
            has_params=has_params,
            variables=dict(variable_types or {}),
        )
        variables.append((name, compiled))
        if variable_types is not None and name:
            program = compiled.program
            variable_types[name] = program.result_type if program is not None else types.DYN

    def build(text: str, expected: Expected, *, authorizer: bool = True) -> CompiledExpression:
        return _compile_nonempty(
            text, expected, has_params=has_params, variables=variable_types, authorizer=authorizer
        )

    match_conditions = tuple(
        (
            _text(item, "name"),
            _compile_nonempty(
                _text(item, "expression").strip(), BOOL, has_params=has_params, variables=None
            ),
        )
        for item in _items(spec, "matchConditions")
    )
    validations = []
    for item in _items(spec, "validations"):
        message_text = _text(item, "messageExpression")
        reason = item.get("reason")
        validations.append(
            CompiledValidation(
                expression=build(_text(item, "expression"), BOOL),
                message=_text(item, "message"),
                message_expression=(
                    build(message_text, STRING, authorizer=False) if message_text.strip() else None
                ),
                reason=reason if isinstance(reason, str) else None,
            )
        )
    audit_annotations = tuple(
        (_text(item, "key"), build(_text(item, "valueExpression").strip(), STRING_OR_NULL))
        for item in _items(spec, "auditAnnotations")
    )
    return CompiledPolicyExpressions(
        has_params=has_params,
        match_conditions=match_conditions,
        variables=tuple(variables),
        validations=tuple(validations),
        audit_annotations=audit_annotations,
    )
