"""The Node authorizer: Kubernetes' ``plugin/pkg/auth/authorizer/node``.

It decides only for kubelets (``system:node:<name>`` in ``system:nodes``,
:mod:`kubeling.api.authentication.node_identity`) and has no opinion on
anyone else. A kubelet may:

- get, list or watch a Secret or ConfigMap, and get a PersistentVolumeClaim,
  PersistentVolume or ResourceClaim, only when the graph
  (:mod:`.graph`) relates it to the kubelet's node: a pod bound to the node
  uses it (a volume through its claim); anything else is refused with
  ``no relationship found between node 'n1' and this object``;
- update or patch ``persistentvolumeclaims/status`` of such claims; get a
  VolumeAttachment to its node;
- create ``serviceaccounts/token`` only for a service account a pod on the
  node runs as (NodeRestriction then checks the pod binding);
- get, create, update, patch, delete its own Lease in ``kube-node-lease``
  (create of any name: NodeRestriction checks it) and its own CSINode;
- read only its own Node (``get``/``list``/``watch`` by name), create,
  update and patch Nodes and ``nodes/status`` (NodeRestriction keeps it to
  its own), get pods bound to it and list or watch pods only with the field
  selector ``spec.nodeName=<node>``, create and delete (mirror) pods, write
  ``pods/status``, create ``pods/eviction`` (``AuthorizeNodeWithSelectors``,
  on in Kubernetes 1.32);
- everything else the ``system:node`` ClusterRole's rules allow (events,
  services, token and access reviews, CSRs...), which this authorizer checks
  itself: Kubernetes binds that role to no one.

What it does not allow it leaves to the next authorizer (RBAC), with its
reason, which ends up in the 403 message when nothing else allows it. Node
users get no rule list from it (``incomplete``), as in Kubernetes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Final

from kubeling.api.authentication.node_identity import node_identity
from kubeling.apiserver.authz.attributes import Attributes
from kubeling.apiserver.authz.authorizer import Decision, Result, Rules
from kubeling.apiserver.authz.node.graph import (
    CONFIG_MAP,
    POD,
    PV,
    PVC,
    RESOURCE_CLAIM,
    SECRET,
    SERVICE_ACCOUNT,
    VOLUME_ATTACHMENT,
    NodeGraph,
)
from kubeling.apiserver.authz.rules import PolicyRule, rule_allows
from kubeling.apiserver.authz.user import UserInfo

__all__ = ["NODE_LEASE_NAMESPACE", "NodeAuthorizer"]

NODE_LEASE_NAMESPACE: Final = "kube-node-lease"

_ALLOW: Final = Result(Decision.ALLOW)
_NO_OPINION: Final = Result(Decision.NO_OPINION)
# What a kubelet writes to its pods' subresources (reporting status, evicting).
_POD_SUBRESOURCE_WRITES: Final = frozenset(
    {("status", "update"), ("status", "patch"), ("eviction", "create")}
)


def _deny(reason: str) -> Result:
    return Result(Decision.NO_OPINION, reason)


class NodeAuthorizer:
    """Decides kubelets' requests from the graph and the node rules (module notes)."""

    def __init__(self, graph: Callable[[], NodeGraph], node_rules: Sequence[PolicyRule]) -> None:
        self._graph = graph
        self._rules = tuple(node_rules)

    def rules_for(self, user: UserInfo, namespace: str) -> Rules:
        if node_identity(user).is_node:
            return Rules(
                incomplete=True, errors=("node authorizer does not support user rule resolution",)
            )
        return Rules()

    def authorize(self, attributes: Attributes) -> Result:
        node, is_node = node_identity(attributes.user)
        if not is_node:
            return _NO_OPINION
        if not node:
            return _deny(f'unknown node for user "{attributes.user.name}"')
        if attributes.resource_request:
            decided = self._subdivided(node, attributes)
            if decided is not None:
                return decided
        if any(rule_allows(attributes, rule) for rule in self._rules):
            return _ALLOW
        return _NO_OPINION

    def _subdivided(self, node: str, a: Attributes) -> Result | None:
        """The decision for the resources the authorizer narrows per node; None for the rest."""
        group, resource = a.api_group, a.resource
        if group == "":
            if resource == "secrets":
                return self._read_namespaced(node, SECRET, a)
            if resource == "configmaps":
                return self._read_namespaced(node, CONFIG_MAP, a)
            if resource == "persistentvolumeclaims":
                if a.subresource == "status":
                    return self._status_update(node, PVC, a)
                return self._get(node, PVC, a)
            if resource == "persistentvolumes":
                return self._get(node, PV, a)
            if resource == "serviceaccounts":
                return self._create_token(node, a)
            if resource == "nodes":
                return self._node(node, a)
            if resource == "pods":
                return self._pod(node, a)
        elif group == "resource.k8s.io" and resource == "resourceclaims":
            return self._get(node, RESOURCE_CLAIM, a)
        elif group == "coordination.k8s.io" and resource == "leases":
            return self._lease(node, a)
        elif group == "storage.k8s.io" and resource == "csinodes":
            return self._csi_node(node, a)
        elif group == "storage.k8s.io" and resource == "volumeattachments":
            return self._get(node, VOLUME_ATTACHMENT, a)
        return None

    # -- objects reached through the graph -----------------------------------

    def _related(self, node: str, kind: str, a: Attributes) -> Result:
        if not a.name:
            return _deny("No Object name found")
        if self._graph().related(node, kind, a.namespace, a.name):
            return _ALLOW
        return _deny(f"no relationship found between node '{node}' and this object")

    def _read_namespaced(self, node: str, kind: str, a: Attributes) -> Result:
        if a.verb not in ("get", "list", "watch"):
            return _deny("can only read resources of this type")
        if a.subresource:
            return _deny("cannot read subresource")
        if not a.namespace:
            return _deny("can only read namespaced object of this type")
        return self._related(node, kind, a)

    def _get(self, node: str, kind: str, a: Attributes) -> Result:
        if a.verb != "get":
            return _deny("can only get individual resources of this type")
        if a.subresource:
            return _deny("cannot get subresource")
        return self._related(node, kind, a)

    def _status_update(self, node: str, kind: str, a: Attributes) -> Result:
        if a.verb not in ("update", "patch"):
            return _deny("can only get/update/patch this type")
        return self._related(node, kind, a)

    def _create_token(self, node: str, a: Attributes) -> Result:
        if a.verb != "create" or not a.name:
            return _deny("can only create tokens for individual service accounts")
        if a.subresource != "token":
            return _deny("can only create token subresource of serviceaccount")
        return self._related(node, SERVICE_ACCOUNT, a)

    # -- the node's own objects ----------------------------------------------

    def _lease(self, node: str, a: Attributes) -> Result:
        if a.verb not in ("get", "create", "update", "patch", "delete"):
            return _deny("can only get, create, update, patch, or delete a node lease")
        if a.namespace != NODE_LEASE_NAMESPACE:
            return _deny(f'can only access leases in the "{NODE_LEASE_NAMESPACE}" system namespace')
        # create names no object yet: NodeRestriction checks the new Lease's name
        if a.verb != "create" and a.name != node:
            return _deny("can only access node lease with the same name as the requesting node")
        return _ALLOW

    def _csi_node(self, node: str, a: Attributes) -> Result:
        if a.verb not in ("get", "create", "update", "patch", "delete"):
            return _deny("can only get, create, update, patch, or delete a CSINode")
        if a.subresource:
            return _deny("cannot authorize CSINode subresources")
        if a.verb != "create" and a.name != node:
            return _deny("can only access CSINode with the same name as the requesting node")
        return _ALLOW

    def _node(self, node: str, a: Attributes) -> Result:
        if a.subresource == "":
            if a.verb in ("create", "update", "patch"):
                return _ALLOW  # NodeRestriction keeps a kubelet to its own Node
            if a.verb in ("get", "list", "watch"):
                # by name, not through the graph: a kubelet reads its Node before creating it
                if a.name == node:
                    return _ALLOW
                if not a.name:
                    return _deny(f"node '{node}' cannot read all nodes, only its own Node object")
                return _deny(f"node '{node}' cannot read '{a.name}', only its own Node object")
        elif a.subresource == "status" and a.verb in ("update", "patch"):
            return _ALLOW  # NodeRestriction keeps a kubelet to its own Node
        return _NO_OPINION

    def _pod(self, node: str, a: Attributes) -> Result:
        if a.subresource == "":
            if a.verb == "get":
                return self._get(node, POD, a)
            if a.verb in ("list", "watch"):
                if a.selects_field("spec.nodeName", node):
                    return _ALLOW
                if a.name:
                    return self._related(node, POD, a)
                return _deny("can only list/watch pods with spec.nodeName field selector")
            if a.verb in ("create", "delete"):
                return _ALLOW  # mirror pods; NodeRestriction checks them
        elif (a.subresource, a.verb) in _POD_SUBRESOURCE_WRITES:
            return _ALLOW  # NodeRestriction: only pods bound to the node
        return _NO_OPINION
