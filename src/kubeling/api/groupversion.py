"""Group-qualified resource and kind names (apimachinery's ``runtime/schema``).

Error messages and ``Status.details`` name what failed as a *group resource*
(``deployments.apps``) or a *group kind* (``Deployment.apps``); the core group
is the empty string and is left out of the text (``pods``, ``Pod``). The
string forms parse back with the first dot as the separator, as upstream's
``ParseGroupResource``/``ParseGroupKind`` do.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["GroupKind", "GroupResource"]


@dataclass(frozen=True, slots=True)
class GroupResource:
    """A resource plural in an API group.

    >>> str(GroupResource("apps", "deployments")), str(GroupResource("", "pods"))
    ('deployments.apps', 'pods')
    """

    group: str
    resource: str

    @classmethod
    def parse(cls, text: str) -> GroupResource:
        """``"deployments.apps"`` → ``GroupResource("apps", "deployments")``."""
        resource, _, group = text.partition(".")
        return cls(group, resource)

    def is_empty(self) -> bool:
        """True when neither group nor resource is set."""
        return not self.group and not self.resource

    def __str__(self) -> str:
        return f"{self.resource}.{self.group}" if self.group else self.resource


@dataclass(frozen=True, slots=True)
class GroupKind:
    """A kind in an API group.

    >>> str(GroupKind("apps", "Deployment")), str(GroupKind("", "Pod"))
    ('Deployment.apps', 'Pod')
    """

    group: str
    kind: str

    @classmethod
    def parse(cls, text: str) -> GroupKind:
        """``"Deployment.apps"`` → ``GroupKind("apps", "Deployment")``."""
        kind, _, group = text.partition(".")
        return cls(group, kind)

    def __str__(self) -> str:
        return f"{self.kind}.{self.group}" if self.group else self.kind
