"""Which node a user is: Kubernetes' ``pkg/auth/nodeidentifier``.

A kubelet authenticates as ``system:node:<nodeName>`` in the group
``system:nodes`` (the identity its client certificate names). The Node
authorizer and the NodeRestriction admission plugin both ask the same
question of a user: is it a node, and which one? Both the prefix and the
group are needed; ``system:node:`` with nothing after it is a node that
cannot be identified (both refuse it).

>>> node_identity(UserInfo("system:node:n1", groups=("system:nodes",)))
NodeIdentity(name='n1', is_node=True)
>>> node_identity(UserInfo("system:node:n1"))
NodeIdentity(name='', is_node=False)
"""

from __future__ import annotations

from typing import Final, NamedTuple

from kubeling.api.authentication.user import NODES_GROUP, UserInfo

__all__ = ["NODE_USER_PREFIX", "NodeIdentity", "node_identity", "node_user"]

NODE_USER_PREFIX: Final = "system:node:"


class NodeIdentity(NamedTuple):
    """``name`` is '' for a non-node, and for a node that cannot be identified."""

    name: str
    is_node: bool


def node_identity(user: UserInfo) -> NodeIdentity:
    """Whether ``user`` is a node, and which (``NodeIdentity`` of the default identifier)."""
    if not user.name.startswith(NODE_USER_PREFIX) or NODES_GROUP not in user.groups:
        return NodeIdentity("", is_node=False)
    return NodeIdentity(user.name[len(NODE_USER_PREFIX) :], is_node=True)


def node_user(node_name: str) -> UserInfo:
    """The user a kubelet of ``node_name`` authenticates as (as its certificate names it)."""
    return UserInfo(f"{NODE_USER_PREFIX}{node_name}", groups=(NODES_GROUP,))
