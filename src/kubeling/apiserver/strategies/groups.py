"""The strategies of the non-core built-in resources, by (group, plural).

The API server looks a resource's strategy up here when it builds the
resource's store; a resource missing from the table uses the generic
``Strategy``. The core group (pods, services...) has its own table next to
its strategies.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kubeling.apiserver.rest.strategy import Strategy
from kubeling.apiserver.strategies.admissionpolicies import (
    ValidatingAdmissionPolicyBindingStrategy,
    ValidatingAdmissionPolicyStrategy,
)
from kubeling.apiserver.strategies.apps import (
    ControllerRevisionStrategy,
    DaemonSetStrategy,
    DeploymentStrategy,
    ReplicaSetStrategy,
    StatefulSetStrategy,
)
from kubeling.apiserver.strategies.batch import CronJobStrategy, JobStrategy
from kubeling.apiserver.strategies.events import StructuredEventStrategy
from kubeling.apiserver.strategies.others import (
    ClusterRoleBindingStrategy,
    ClusterRoleStrategy,
    CustomResourceDefinitionStrategy,
    EndpointSliceStrategy,
    HorizontalPodAutoscalerStrategy,
    IngressClassStrategy,
    IngressStrategy,
    LeaseStrategy,
    NetworkPolicyStrategy,
    PodDisruptionBudgetStrategy,
    PriorityClassStrategy,
    RoleBindingStrategy,
    RoleStrategy,
    StorageClassStrategy,
)
from kubeling.apiserver.strategies.webhookconfigurations import (
    MutatingWebhookConfigurationStrategy,
    ValidatingWebhookConfigurationStrategy,
)

if TYPE_CHECKING:
    from kubeling.apiserver.authz.escalation import EscalationGuard

__all__ = ["group_strategies"]

_RBAC = "rbac.authorization.k8s.io"
_ADMISSION = "admissionregistration.k8s.io"


def group_strategies(
    *, escalation: EscalationGuard | None = None
) -> dict[tuple[str, str], Strategy]:
    """A fresh strategy for each non-core resource with rules of its own;
    ``escalation`` guards the RBAC writes (none: no escalation checks).

    >>> type(group_strategies()[("apps", "deployments")]).__name__
    'DeploymentStrategy'
    """
    return {
        ("apps", "deployments"): DeploymentStrategy(),
        ("apps", "replicasets"): ReplicaSetStrategy(),
        ("apps", "statefulsets"): StatefulSetStrategy(),
        ("apps", "daemonsets"): DaemonSetStrategy(),
        ("apps", "controllerrevisions"): ControllerRevisionStrategy(),
        ("batch", "jobs"): JobStrategy(),
        ("batch", "cronjobs"): CronJobStrategy(),
        ("autoscaling", "horizontalpodautoscalers"): HorizontalPodAutoscalerStrategy(),
        ("policy", "poddisruptionbudgets"): PodDisruptionBudgetStrategy(),
        ("coordination.k8s.io", "leases"): LeaseStrategy(),
        ("discovery.k8s.io", "endpointslices"): EndpointSliceStrategy(),
        ("events.k8s.io", "events"): StructuredEventStrategy(),
        ("networking.k8s.io", "ingresses"): IngressStrategy(),
        ("networking.k8s.io", "ingressclasses"): IngressClassStrategy(),
        ("networking.k8s.io", "networkpolicies"): NetworkPolicyStrategy(),
        (_RBAC, "roles"): RoleStrategy(escalation),
        (_RBAC, "clusterroles"): ClusterRoleStrategy(escalation),
        (_RBAC, "rolebindings"): RoleBindingStrategy(escalation),
        (_RBAC, "clusterrolebindings"): ClusterRoleBindingStrategy(escalation),
        ("scheduling.k8s.io", "priorityclasses"): PriorityClassStrategy(),
        ("storage.k8s.io", "storageclasses"): StorageClassStrategy(),
        ("apiextensions.k8s.io", "customresourcedefinitions"): CustomResourceDefinitionStrategy(),
        (_ADMISSION, "mutatingwebhookconfigurations"): MutatingWebhookConfigurationStrategy(),
        (_ADMISSION, "validatingwebhookconfigurations"): ValidatingWebhookConfigurationStrategy(),
        (_ADMISSION, "validatingadmissionpolicies"): ValidatingAdmissionPolicyStrategy(),
        (_ADMISSION, "validatingadmissionpolicybindings"): (
            ValidatingAdmissionPolicyBindingStrategy()
        ),
    }
