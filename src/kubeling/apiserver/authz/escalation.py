"""Privilege escalation prevention on RBAC writes: Kubernetes' ``policybased`` storage.

No one may grant, through a Role, ClusterRole or binding, permissions they
do not hold themselves:

- **Roles and ClusterRoles** (create, update, patch, apply): allowed for
  ``system:masters``, or with the ``escalate`` verb on the role; otherwise
  every rule the role grants must be covered by the writer's own rules in
  the role's namespace (a ClusterRole: cluster-wide rules). An
  ``aggregationRule`` can gather anything, so setting or keeping one needs
  full authority (``*`` on everything, and every URL).
- **RoleBindings and ClusterRoleBindings**: allowed for ``system:masters``,
  or with the ``bind`` verb on the role referenced (checked in the
  binding's namespace, '' for a ClusterRoleBinding); otherwise the writer
  must hold every rule of the referenced role, which must exist.
- An update that changes only what the garbage collector changes (owner
  references, finalizers) is never refused, so that deletion can proceed.

Refusals are Kubernetes' 403s, word for word: ``clusterroles.rbac.
authorization.k8s.io "x" is forbidden: user "u" (groups=["g"]) is attempting
to grant RBAC permissions not currently held:`` followed by the missing
permissions, one per line, compacted and sorted.

The writer is the requesting user (:mod:`.context`); a write with no user
is refused, so code writing on the server's own behalf acts as
:data:`~.user.LOOPBACK`.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any, Final

from kubeling.api import errors
from kubeling.api.equality import semantic_equal
from kubeling.api.field import aggregate_message
from kubeling.api.goformat import go_quote
from kubeling.api.groupversion import GroupResource
from kubeling.apiserver.authz.attributes import Attributes
from kubeling.apiserver.authz.authorizer import Authorizer
from kubeling.apiserver.authz.context import requesting_user
from kubeling.apiserver.authz.coverage import compact_rules, compact_string, covers, go_strings
from kubeling.apiserver.authz.policy import Policy, RoleRef
from kubeling.apiserver.authz.rules import PolicyRule, rules_from_json
from kubeling.apiserver.authz.user import SYSTEM_PRIVILEGED_GROUP, UserInfo

__all__ = ["EscalationGuard", "RulesFor", "only_gc_fields_changed"]

RBAC_GROUP: Final = "rbac.authorization.k8s.io"

#: Everything: what an aggregationRule may gather.
FULL_AUTHORITY: Final = (
    PolicyRule(verbs=("*",), api_groups=("*",), resources=("*",)),
    PolicyRule(verbs=("*",), non_resource_urls=("*",)),
)

RulesFor = Callable[[UserInfo, str], tuple[list[PolicyRule], list[str]]]
"""A user's RBAC rules in a namespace and the problems met (``RulesFor``)."""

_GC_FIELDS: Final = ("ownerReferences", "finalizers", "selfLink", "managedFields")


def only_gc_fields_changed(new: Mapping[str, Any], old: Mapping[str, Any]) -> bool:
    """``IsOnlyMutatingGCFields``: ``new`` is ``old`` but for owner references,
    finalizers (and selfLink, managedFields)."""
    stomped = copy.deepcopy(dict(new))
    meta = stomped.setdefault("metadata", {})
    old_meta = old.get("metadata") or {}
    for key in _GC_FIELDS:
        if key in old_meta:
            meta[key] = old_meta[key]
        else:
            meta.pop(key, None)
    return semantic_equal(stomped, old)


def _meta(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    meta = obj.get("metadata")
    return meta if isinstance(meta, Mapping) else {}


class EscalationGuard:
    """Refuses RBAC writes that would escalate their writer's privileges."""

    def __init__(
        self, *, authorizer: Authorizer, rules_for: RulesFor, policy: Callable[[], Policy]
    ) -> None:
        self._authorizer = authorizer
        self._rules_for = rules_for
        self._policy = policy

    # -- roles -----------------------------------------------------------------

    def check_role(
        self, resource: str, new: Mapping[str, Any], old: Mapping[str, Any] | None = None
    ) -> None:
        """A write of a Role (``roles``) or ClusterRole (``clusterroles``)."""
        name = str(_meta(new).get("name") or "")
        namespace = str(_meta(new).get("namespace") or "") if resource == "roles" else ""
        group_resource = GroupResource(RBAC_GROUP, resource)
        user = requesting_user()
        if user is None:
            raise errors.forbidden(group_resource, name, "no user on context")
        if SYSTEM_PRIVILEGED_GROUP in user.groups:
            return
        # The escalate verb is checked as the request names the role: a create
        # names none (POST to the collection).
        escalate = Attributes(
            user=user,
            verb="escalate",
            resource_request=True,
            api_group=RBAC_GROUP,
            api_version="*",
            resource=resource,
            namespace=namespace,
            name=name if old is not None else "",
        )
        if self._authorizer.authorize(escalate).allowed:
            return
        if old is not None and only_gc_fields_changed(new, old):
            return
        self._confirm_no_escalation(
            user, namespace, rules_from_json(new.get("rules")), group_resource, name
        )
        aggregated = new.get("aggregationRule") or (old or {}).get("aggregationRule")
        if resource == "clusterroles" and aggregated:
            missing = self._missing(user, namespace, FULL_AUTHORITY)[0]
            if missing:
                raise errors.forbidden(
                    group_resource,
                    name,
                    "must have cluster-admin privileges to use the aggregationRule",
                )

    # -- bindings --------------------------------------------------------------

    def check_binding(
        self, resource: str, new: Mapping[str, Any], old: Mapping[str, Any] | None = None
    ) -> None:
        """A write of a RoleBinding (``rolebindings``) or ClusterRoleBinding."""
        name = str(_meta(new).get("name") or "")
        namespace = str(_meta(new).get("namespace") or "") if resource == "rolebindings" else ""
        group_resource = GroupResource(RBAC_GROUP, resource)
        user = requesting_user()
        if user is None:
            raise errors.forbidden(group_resource, name, "no user on context")
        if SYSTEM_PRIVILEGED_GROUP in user.groups:
            return
        if old is not None and only_gc_fields_changed(new, old):
            return
        raw_ref = new.get("roleRef")
        ref = raw_ref if isinstance(raw_ref, Mapping) else {}
        role_ref = RoleRef(str(ref.get("kind") or ""), str(ref.get("name") or ""))
        if self._bind_allowed(user, role_ref, str(ref.get("apiGroup") or ""), namespace):
            return
        try:
            rules = self._policy().role_ref_rules(role_ref, namespace)
        except LookupError as missing:
            raise errors.forbidden(group_resource, name, str(missing.args[0])) from None
        self._confirm_no_escalation(user, namespace, rules, group_resource, name)

    def _bind_allowed(self, user: UserInfo, ref: RoleRef, api_group: str, namespace: str) -> bool:
        """``BindingAuthorized``: the ``bind`` verb on the referenced role."""
        resource = {"ClusterRole": "clusterroles", "Role": "roles"}.get(ref.kind)
        if resource is None:
            return False
        bind = Attributes(
            user=user,
            verb="bind",
            resource_request=True,
            api_group=api_group,
            resource=resource,
            namespace=namespace,
            name=ref.name,
        )
        return self._authorizer.authorize(bind).allowed

    # -- the comparison ----------------------------------------------------------

    def _missing(
        self, user: UserInfo, namespace: str, rules: tuple[PolicyRule, ...]
    ) -> tuple[list[PolicyRule], list[str]]:
        held, problems = self._rules_for(user, namespace)
        return covers(held, rules)[1], problems

    def _confirm_no_escalation(
        self,
        user: UserInfo,
        namespace: str,
        rules: tuple[PolicyRule, ...],
        group_resource: GroupResource,
        name: str,
    ) -> None:
        """``ConfirmNoEscalation``: 403 unless ``user`` holds every rule."""
        missing, problems = self._missing(user, namespace, rules)
        if not missing:
            return
        described = sorted({compact_string(rule) for rule in compact_rules(missing)})
        message = (
            f"user {go_quote(user.name)} (groups={go_strings(user.groups)}) is attempting "
            "to grant RBAC permissions not currently held:\n" + "\n".join(described)
        )
        if problems:
            message += f"; resolution errors: [{aggregate_message(problems)}]"
        raise errors.forbidden(group_resource, name, message)
