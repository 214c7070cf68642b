"""The Node authorizer (``--authorization-mode=Node``): a kubelet reaches only its own Node
and Lease, the pods bound to it, and what those pods use.

- :mod:`.graph`: what each node may reach (pure);
- :mod:`.graph_source`: the graph kept current from the watch caches;
- :mod:`.authorizer`: the decisions.
"""

from kubeling.apiserver.authz.node.authorizer import NODE_LEASE_NAMESPACE, NodeAuthorizer
from kubeling.apiserver.authz.node.graph import NodeGraph
from kubeling.apiserver.authz.node.graph_source import NodeGraphSource

__all__ = ["NODE_LEASE_NAMESPACE", "NodeAuthorizer", "NodeGraph", "NodeGraphSource"]
