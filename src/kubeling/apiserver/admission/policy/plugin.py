"""The ValidatingAdmissionPolicy admission plugin: Kubernetes' ``validating.dispatcher``.

Validating phase only. For each policy that has bindings and whose
``matchConstraints`` match the request, each binding whose
``matchResources`` match too is evaluated once per param object (see
``params``), and each failed validation is enforced as the binding's
``validationActions`` say:

- ``Deny``: the request is refused. Every policy is still evaluated (their
  warnings and audit annotations are all recorded); the first denial is
  returned, as ``<resource> "<name>" is forbidden: ValidatingAdmissionPolicy
  '<policy>' with binding '<binding>' denied request: <message>``, with the
  validation's reason and its code (Invalid 422 when unset, Forbidden 403,
  Unauthorized 401, RequestEntityTooLarge 413) and the same text as the one
  cause (``admission.NewForbidden`` with the reason and code replaced);
- ``Warn``: a ``Warning`` header, ``Validation failed for
  ValidatingAdmissionPolicy '<policy>' with binding '<binding>': <message>``;
- ``Audit``: the audit annotation
  ``validation.policy.admission.k8s.io/validation_failure`` (a JSON list
  with the message, policy, binding, expression index and actions).

A policy's ``auditAnnotations`` are added as ``<policy>/<key>`` (distinct
values of several bindings joined with ``, ``). An annotation already set
keeps its first value, as Kubernetes' ``AddAnnotation`` refuses to
overwrite one.

Errors that are not a validation's result (a selector that does not parse,
a missing namespace, params not found with ``Deny``, a stored policy that
no longer compiles) are configuration errors: ignored under failurePolicy
Ignore, else a denial ``failed to configure policy|binding: <error>``.

Writes of policies and bindings themselves are never validated by policies.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from kubeling.api import errors
from kubeling.api.errors import Status, StatusCause, StatusError
from kubeling.api.goformat import go_json
from kubeling.api.groupversion import GroupResource
from kubeling.apiserver.admission.interfaces import AdmissionPlugin, Attributes
from kubeling.apiserver.admission.policy.authorizer import cel_authorizer
from kubeling.apiserver.admission.policy.expressions import (
    CompiledPolicyExpressions,
    compile_policy_expressions,
)
from kubeling.apiserver.admission.policy.matching import Match, MatchError, match_resources
from kubeling.apiserver.admission.policy.params import ParamError, collect_params
from kubeling.apiserver.admission.policy.request import admission_request, namespace_object
from kubeling.apiserver.admission.policy.sources import (
    BINDINGS,
    GROUP,
    POLICIES,
    PolicySources,
)
from kubeling.apiserver.admission.policy.validator import Action, Decision, validate
from kubeling.apiserver.authz.authorizer import Authorizer
from kubeling.apiserver.warnings import add_warning

__all__ = ["PLUGIN_NAME", "VALIDATION_FAILURE_ANNOTATION", "ValidatingAdmissionPolicyPlugin"]

PLUGIN_NAME: Final = "ValidatingAdmissionPolicy"
VALIDATION_FAILURE_ANNOTATION: Final = "validation.policy.admission.k8s.io/validation_failure"
#: Longest value of a published audit annotation (``maxAuditAnnotationValueLength``).
MAX_AUDIT_ANNOTATION_VALUE: Final = 10 * 1024

_REASON_CODES: Final = {
    "Forbidden": 403,
    "Unauthorized": 401,
    "RequestEntityTooLarge": 413,
    "Invalid": 422,
}

Obj = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class _Denial:
    policy: str
    binding: str | None
    message: str
    reason: str

    def text(self) -> str:
        if self.binding is not None:
            return (
                f"ValidatingAdmissionPolicy '{self.policy}' with binding '{self.binding}' "
                f"denied request: {self.message}"
            )
        return f"ValidatingAdmissionPolicy '{self.policy}' denied request: {self.message}"


@dataclass(frozen=True, slots=True)
class _CompiledPolicy:
    """A stored policy's compiled expressions, kept while its resourceVersion stays."""

    resource_version: str
    expressions: CompiledPolicyExpressions


def _meta(obj: Obj) -> Mapping[str, Any]:
    meta = obj.get("metadata")
    return meta if isinstance(meta, Mapping) else {}


def _spec(obj: Obj) -> Mapping[str, Any]:
    spec = obj.get("spec")
    return spec if isinstance(spec, Mapping) else {}


def _name(obj: Obj) -> str:
    return str(_meta(obj).get("name", ""))


def _is_policy_resource(attributes: Attributes) -> bool:
    return attributes.group == GROUP and attributes.resource in (POLICIES, BINDINGS)


def _object_name(attributes: Attributes) -> str:
    """The name ``admission.NewForbidden`` reports: the request's, the object's
    name or generateName, or ``Unknown``."""
    if attributes.name:
        return attributes.name
    meta = _meta(attributes.obj) if isinstance(attributes.obj, Mapping) else {}
    return str(meta.get("name") or meta.get("generateName") or "Unknown")


def denial_error(attributes: Attributes, message: str, reason: str) -> StatusError:
    """The error a policy denial answers with (see the module docstring)."""
    reason = reason or "Invalid"
    forbidden = errors.forbidden(
        GroupResource(attributes.group, attributes.resource),
        _object_name(attributes),
        message,
        causes=(StatusCause(message=message),),
    )
    status: Status = dataclasses.replace(
        forbidden.status, reason=reason, code=_REASON_CODES.get(reason, 422)
    )
    return StatusError(status)


class _AnnotationCollector:
    """A policy's audit annotation values by key, deduplicated across bindings."""

    def __init__(self) -> None:
        self.values: dict[str, list[str]] = {}

    def add(self, key: str, value: str) -> None:
        values = self.values.setdefault(key, [])
        if value not in values:
            values.append(value[:MAX_AUDIT_ANNOTATION_VALUE])

    def publish(self, policy: str, attributes: Attributes) -> None:
        for key, values in self.values.items():
            attributes.annotations.setdefault(f"{policy}/{key}", ", ".join(values))


class ValidatingAdmissionPolicyPlugin(AdmissionPlugin):
    """Enforces ValidatingAdmissionPolicies through their bindings.

    ``sources`` reads the policies, bindings, namespaces and params (for
    the API server: ``RegistrySources(registry)``); ``authorizer`` answers
    the expressions' ``authorizer`` checks (the API server's authorizer;
    None: every check errs).
    """

    name = PLUGIN_NAME

    def __init__(self, sources: PolicySources, *, authorizer: Authorizer | None = None) -> None:
        self._sources = sources
        self._authorizer = authorizer
        self._compiled: dict[str, _CompiledPolicy] = {}

    def handles(self, attributes: Attributes) -> bool:
        return super().handles(attributes) and not _is_policy_resource(attributes)

    def _compile(self, policy: Obj) -> CompiledPolicyExpressions:
        name = _name(policy)
        version = str(_meta(policy).get("resourceVersion", ""))
        known = self._compiled.get(name)
        if known is None or known.resource_version != version or not version:
            known = _CompiledPolicy(version, compile_policy_expressions(_spec(policy)))
            self._compiled[name] = known
        return known.expressions

    async def validate(self, attributes: Attributes) -> None:
        """Evaluate every matching policy; raise the first denial."""
        bindings = await self._sources.bindings()
        if not bindings:
            return
        by_policy: dict[str, list[Obj]] = {}
        for binding in bindings:
            policy_name = str(_spec(binding).get("policyName") or "")
            by_policy.setdefault(policy_name, []).append(binding)
        policies = [p for p in await self._sources.policies() if _name(p) in by_policy]
        # forget the programs of policies deleted or no longer bound
        bound_names = {_name(p) for p in policies}
        self._compiled = {n: c for n, c in self._compiled.items() if n in bound_names}
        denials: list[_Denial] = []
        for policy in sorted(policies, key=_name):
            bound = sorted(by_policy[_name(policy)], key=_name)
            denials.extend(await self._dispatch(policy, bound, attributes))
        if denials:
            first = denials[0]
            raise denial_error(attributes, first.text(), first.reason)

    async def _matches(self, constraints: object, attributes: Attributes) -> Match | None:
        return await match_resources(
            constraints if isinstance(constraints, Mapping) else {},
            attributes,
            namespace_labels=self._namespace_labels,
            equivalents=self._sources.equivalents,
        )

    async def _namespace_labels(self, name: str) -> Mapping[str, str]:
        found = _meta(await self._sources.namespace(name)).get("labels")
        return found if isinstance(found, Mapping) else {}

    async def _dispatch(
        self, policy: Obj, bindings: Sequence[Obj], attributes: Attributes
    ) -> list[_Denial]:
        """The denials of one policy (its warnings and annotations recorded as it goes)."""
        policy_name = _name(policy)
        spec = _spec(policy)
        fail = spec.get("failurePolicy", "Fail") != "Ignore"
        denials: list[_Denial] = []

        def config_error(err: Exception, binding: str | None) -> None:
            if not fail:
                return
            what = "policy" if binding is None else "binding"
            denials.append(_Denial(policy_name, binding, f"failed to configure {what}: {err}", ""))

        try:
            match = await self._matches(spec.get("matchConstraints"), attributes)
        except MatchError as err:
            config_error(err, None)
            return denials
        if match is None:
            return denials
        compiled = self._compile(policy)
        if compiled.first_error():
            config_error(Exception(compiled.first_error()), None)
            return denials
        param_kind = spec.get("paramKind")
        collector = _AnnotationCollector()
        for binding in bindings:
            binding_name = _name(binding)
            binding_spec = _spec(binding)
            resources = binding_spec.get("matchResources")
            try:
                if resources is not None and await self._matches(resources, attributes) is None:
                    continue
                params = await collect_params(
                    param_kind if isinstance(param_kind, Mapping) else None,
                    binding_spec.get("paramRef")
                    if isinstance(binding_spec.get("paramRef"), Mapping)
                    else None,
                    attributes.namespace,
                    self._sources.param_resource,
                )
            except (MatchError, ParamError) as err:
                config_error(err, binding_name)
                continue
            namespace = await self._namespace_of(attributes)
            authorizer, request_resource = cel_authorizer(self._authorizer, attributes)
            variables: dict[str, Any] = {
                "object": attributes.obj,
                "oldObject": attributes.old_obj,
                "request": admission_request(attributes, match.resource, match.kind),
                "namespaceObject": namespace,
                "authorizer": authorizer,
                "authorizer.requestResource": request_resource,
            }
            actions = [str(a) for a in binding_spec.get("validationActions") or ()]
            for param in params:
                if compiled.has_params:
                    variables["params"] = param
                result = validate(compiled, variables, fail=fail)
                for index, decision in enumerate(result.decisions):
                    if decision.action is Action.DENY:
                        denials.extend(
                            _enforce(attributes, policy_name, binding, index, decision, actions)
                        )
                for annotation in result.audit_annotations:
                    if annotation.error:
                        denials.append(_Denial(policy_name, binding_name, annotation.error, ""))
                    else:
                        collector.add(annotation.key, annotation.value)
        collector.publish(policy_name, attributes)
        return denials

    async def _namespace_of(self, attributes: Attributes) -> dict[str, Any] | None:
        """``namespaceObject``: None for cluster-scoped requests and for Namespaces
        themselves (whose request namespace is their own name)."""
        if not attributes.namespace:
            return None
        if attributes.kind_group == "" and attributes.kind == "Namespace":
            return None
        return namespace_object(await self._sources.namespace(attributes.namespace))


def _enforce(
    attributes: Attributes,
    policy_name: str,
    binding: Obj,
    index: int,
    decision: Decision,
    actions: list[str],
) -> list[_Denial]:
    """Apply a binding's validationActions to one failed validation."""
    binding_name = _name(binding)
    denials: list[_Denial] = []
    for action in actions:
        if action == "Deny":
            denials.append(_Denial(policy_name, binding_name, decision.message, decision.reason))
        elif action == "Warn":
            add_warning(
                f"Validation failed for ValidatingAdmissionPolicy '{policy_name}' "
                f"with binding '{binding_name}': {decision.message}"
            )
        elif action == "Audit":
            _audit_failure(attributes, binding, index, decision.message, actions)
    return denials


def _audit_failure(
    attributes: Attributes, binding: Obj, index: int, message: str, actions: list[str]
) -> None:
    value = go_json(
        [
            {
                "message": message,
                "policy": str(_spec(binding).get("policyName") or ""),
                "binding": _name(binding),
                "expressionIndex": index,
                "validationActions": actions,
            }
        ],
        sort_keys=False,
    )
    attributes.annotations.setdefault(VALIDATION_FAILURE_ANNOTATION, value)
