"""ClusterRole aggregation: Kubernetes' ``clusterrole-aggregation`` controller.

A ClusterRole with an ``aggregationRule`` has, as its rules, the union of
the rules of every ClusterRole its selectors select (itself excepted): for
each selector in order, the selected roles in name order, each rule once.
The defaults use it so that ``admin`` includes ``edit``, ``edit`` includes
``view``, and a ClusterRole labelled
``rbac.authorization.k8s.io/aggregate-to-view: "true"`` extends all three.

Kubernetes runs the controller in kube-controller-manager; kubeling runs it
inside the API server (:class:`AggregationController`), next to the CRD
controllers, so that the default roles are complete wherever the API server
runs. It reads the ClusterRoles from the watch cache and writes the rules
with a forced server-side apply as field manager
``clusterrole-aggregation-controller``, as Kubernetes does, acting as the
API server itself.

>>> get_pods = PolicyRule(verbs=("get",), api_groups=("",), resources=("pods",))
>>> pods = Role("pods", rules=(get_pods,), labels={"v": "true"})
>>> view = Role("view", aggregation_rule={"clusterRoleSelectors": [{"matchLabels": {"v": "true"}}]})
>>> aggregated_rules(view, [view, pods]) == [get_pods]
True
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Final

from kubeling.api import errors, labels
from kubeling.apiserver.authz.context import acting_as
from kubeling.apiserver.authz.policy import Policy, Role
from kubeling.apiserver.authz.rules import PolicyRule
from kubeling.apiserver.authz.user import LOOPBACK
from kubeling.apiserver.customresources.controller import CrdController
from kubeling.apiserver.rest.options import WriteOptions
from kubeling.apiserver.rest.resource_store import ResourceStore
from kubeling.apiserver.watch_cache import CacheEvent

__all__ = ["FIELD_MANAGER", "AggregationController", "aggregated_rules"]

FIELD_MANAGER: Final = "clusterrole-aggregation-controller"


def aggregated_rules(role: Role, cluster_roles: Iterable[Role]) -> list[PolicyRule]:
    """The rules ``role``'s aggregationRule gathers (raises SelectorParseError
    for a selector that cannot be read)."""
    selectors = (role.aggregation_rule or {}).get("clusterRoleSelectors") or []
    candidates = sorted(cluster_roles, key=lambda r: r.name)
    gathered: list[PolicyRule] = []
    for raw in selectors:
        selector = labels.label_selector_as_selector(raw)
        for other in candidates:
            if other.name == role.name or not selector.matches(other.labels):
                continue
            gathered.extend(r for r in other.rules if r not in gathered)
    return gathered


class AggregationController(CrdController):
    """Keeps every aggregated ClusterRole's rules the union of the roles it selects.

    It runs on the API server's CRD controller loop (one worker, level
    triggered, back-off on failure) over the ClusterRoles' store: any change
    to any ClusterRole queues every aggregated one, as upstream does, since
    which roles select which is only known by looking.
    """

    name = "clusterrole-aggregation"

    def __init__(self, cluster_roles: ResourceStore, policy: Callable[[], Policy]) -> None:
        super().__init__(cluster_roles)
        self._policy = policy

    def keys_for(self, event: CacheEvent) -> Iterable[str]:
        return [
            name
            for name, role in self._policy().cluster_roles.items()
            if role.aggregation_rule is not None
        ]

    async def sync(self, key: str) -> None:
        policy = self._policy()
        role = policy.cluster_roles.get(key)
        if role is None or role.aggregation_rule is None:
            return
        rules = aggregated_rules(role, policy.cluster_roles.values())
        if tuple(rules) == role.rules:
            return
        applied: dict[str, Any] = {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": {"name": key},
        }
        if rules:
            applied["rules"] = [rule.to_json() for rule in rules]
        try:
            with acting_as(LOOPBACK):
                await self.crds.patch(
                    "", key, "apply", applied, WriteOptions(field_manager=FIELD_MANAGER, force=True)
                )
        except errors.StatusError as err:
            if err.code not in (404, 409):
                raise
            # gone or changed meanwhile: its own event syncs it again
