"""Kubernetes' authorization library: ``authorizer.group('apps').resource('pods').check('get')``.

Admission policies (not CRD rules) get an ``authorizer`` variable: the
requesting user's authorizer, which expressions ask what that user (or, after
``serviceAccount(namespace, name)``, a service account) may do
(``k8s.io/apiserver/pkg/cel/library/authz.go``):

===============================================  ==================================
``authorizer.path('/healthz')``                  a non-resource check
``authorizer.group('apps')``                     then ``.resource('deployments')``
``.subresource(s)``, ``.namespace(n)``,          narrow a resource check
``.name(n)``, ``.fieldSelector(s)``,
``.labelSelector(s)``
``.check('create')``                             ask: a Decision
``.allowed()``, ``.reason()``,                   read the Decision
``.errored()``, ``.error()``
``authorizer.serviceAccount('ns', 'sa')``        ask for a service account instead
``authorizer.requestResource``                   a resource check of the request's
                                                 own resource (declared by the caller)
===============================================  ==================================

The library is sans-IO: an :class:`Authorizer` value carries the function
that answers an :class:`AuthzQuery`; the API server supplies it. A check's
resource version is ``*``, as in Kubernetes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Final

from kubeling.api.cel import types as t
from kubeling.api.cel.functions import Library, member
from kubeling.api.cel.values import register_opaque

__all__ = [
    "AUTHORIZER",
    "AUTHZ",
    "DECISION",
    "RESOURCE_CHECK",
    "Authorizer",
    "AuthzAnswer",
    "AuthzQuery",
    "ResourceCheck",
]

AUTHORIZER: Final = t.opaque("kubernetes.authorization.Authorizer")
PATH_CHECK: Final = t.opaque("kubernetes.authorization.PathCheck")
GROUP_CHECK: Final = t.opaque("kubernetes.authorization.GroupCheck")
RESOURCE_CHECK: Final = t.opaque("kubernetes.authorization.ResourceCheck")
DECISION: Final = t.opaque("kubernetes.authorization.Decision")


@dataclass(frozen=True, slots=True)
class AuthzQuery:
    """One question: may the user (or ``service_account``, as (namespace, name)) do ``verb``?"""

    verb: str
    resource_request: bool
    service_account: tuple[str, str] | None = None
    path: str = ""
    group: str = ""
    resource: str = ""
    subresource: str = ""
    namespace: str = ""
    name: str = ""
    field_selector: str = ""
    label_selector: str = ""


@dataclass(frozen=True, slots=True)
class AuthzAnswer:
    """``allow``, ``deny`` or ``noOpinion``, the authorizer's reason, and any error."""

    decision: str
    reason: str = ""
    error: str = ""


@dataclass(frozen=True)
class Authorizer:
    """``authorizer``: answers questions for the request's user or a service account."""

    answer: Callable[[AuthzQuery], AuthzAnswer]
    service_account: tuple[str, str] | None = None


@dataclass(frozen=True)
class PathCheck:
    authorizer: Authorizer
    path: str


@dataclass(frozen=True)
class GroupCheck:
    authorizer: Authorizer
    group: str


@dataclass(frozen=True)
class ResourceCheck:
    authorizer: Authorizer
    group: str
    resource: str
    subresource: str = ""
    namespace: str = ""
    name: str = ""
    field_selector: str = ""
    label_selector: str = ""


@dataclass(frozen=True)
class Decision:
    answer: AuthzAnswer


for _cls, _type in (
    (Authorizer, AUTHORIZER),
    (PathCheck, PATH_CHECK),
    (GroupCheck, GROUP_CHECK),
    (ResourceCheck, RESOURCE_CHECK),
    (Decision, DECISION),
):
    register_opaque(_cls, _type.name)


def _check_path(check: PathCheck, verb: str) -> Decision:
    query = AuthzQuery(verb, False, check.authorizer.service_account, path=check.path)
    return Decision(check.authorizer.answer(query))


def _check_resource(check: ResourceCheck, verb: str) -> Decision:
    query = AuthzQuery(
        verb,
        True,
        check.authorizer.service_account,
        group=check.group,
        resource=check.resource,
        subresource=check.subresource,
        namespace=check.namespace,
        name=check.name,
        field_selector=check.field_selector,
        label_selector=check.label_selector,
    )
    return Decision(check.authorizer.answer(query))


AUTHZ: Final = Library()
AUTHZ.add("path", member("authorizer_path", [AUTHORIZER, t.STRING], PATH_CHECK, PathCheck))
AUTHZ.add("group", member("authorizer_group", [AUTHORIZER, t.STRING], GROUP_CHECK, GroupCheck))
AUTHZ.add(
    "serviceAccount",
    member(
        "authorizer_serviceaccount",
        [AUTHORIZER, t.STRING, t.STRING],
        AUTHORIZER,
        lambda a, namespace, name: replace(a, service_account=(namespace, name)),
    ),
)
AUTHZ.add(
    "resource",
    member(
        "groupcheck_resource",
        [GROUP_CHECK, t.STRING],
        RESOURCE_CHECK,
        lambda g, resource: ResourceCheck(g.authorizer, g.group, resource),
    ),
)
for _name, _field in (
    ("subresource", "subresource"),
    ("namespace", "namespace"),
    ("name", "name"),
    ("fieldSelector", "field_selector"),
    ("labelSelector", "label_selector"),
):
    AUTHZ.add(
        _name,
        member(
            f"resourcecheck_{_name.lower()}",
            [RESOURCE_CHECK, t.STRING],
            RESOURCE_CHECK,
            lambda r, value, _field=_field: replace(r, **{_field: value}),
        ),
    )
AUTHZ.add(
    "check",
    member("pathcheck_check", [PATH_CHECK, t.STRING], DECISION, _check_path),
    member("resourcecheck_check", [RESOURCE_CHECK, t.STRING], DECISION, _check_resource),
)
AUTHZ.add(
    "allowed",
    member("decision_allowed", [DECISION], t.BOOL, lambda d: d.answer.decision == "allow"),
)
AUTHZ.add("reason", member("decision_reason", [DECISION], t.STRING, lambda d: d.answer.reason))
AUTHZ.add("errored", member("decision_errored", [DECISION], t.BOOL, lambda d: bool(d.answer.error)))
AUTHZ.add("error", member("decision_error", [DECISION], t.STRING, lambda d: d.answer.error))
