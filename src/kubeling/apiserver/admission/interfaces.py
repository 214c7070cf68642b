"""What an admission plugin sees and what it may do: Kubernetes' ``admission.Attributes``.

Admission runs on every write the API server accepts from a client, after
authentication and authorization and before anything is stored, in two
phases (``k8s.io/apiserver/pkg/admission``):

- mutating (``admit``): each plugin, in the configured order, may change the
  new object in place (``attributes.obj``); runs before the resource's own
  validation;
- validating (``validate``): each plugin may only refuse; runs after the
  resource's validation, on the object that would be stored.

A plugin refuses by raising a :class:`~kubeling.apiserver.errors.StatusError`
(usually 403 Forbidden with ``admission webhook ... denied the request`` or
the plugin's own message, or 422 for invalid values).

The operations are Kubernetes' own: ``CREATE``, ``UPDATE``, ``DELETE`` and
``CONNECT`` (``pods/exec``, ``pods/attach``, ``pods/portforward``, the
proxies). A write to a subresource (``pods/status``, ``pods/binding``,
``deployments/scale``) names it in ``subresource``; ``obj`` is then the
object written to that subresource (a Binding, a Scale, the whole Pod for
``status``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final, Literal

from kubeling.api.authentication.user import UserInfo

__all__ = [
    "CONNECT",
    "CREATE",
    "DELETE",
    "UPDATE",
    "AdmissionPlugin",
    "Attributes",
    "Operation",
]

Operation = Literal["CREATE", "UPDATE", "DELETE", "CONNECT"]

CREATE: Final = "CREATE"
UPDATE: Final = "UPDATE"
DELETE: Final = "DELETE"
CONNECT: Final = "CONNECT"


@dataclass(slots=True)
class Attributes:
    """One request as admission sees it (``admission.Attributes``).

    ``obj`` is the new object (None for DELETE and for CONNECT without a
    body); mutating plugins change it in place. ``old_obj`` is the stored
    object for UPDATE and DELETE (None for CREATE). ``options`` is the
    request's CreateOptions, UpdateOptions, DeleteOptions or connect options
    as JSON (``kind`` and ``apiVersion`` included), as AdmissionReview sends
    them. ``kind_*`` name the kind of ``obj`` (a Scale for ``/scale``), which
    may differ from the resource's kind.
    """

    operation: Operation
    group: str
    version: str
    resource: str
    subresource: str
    kind_group: str
    kind_version: str
    kind: str
    namespace: str
    name: str
    obj: dict[str, Any] | None
    old_obj: dict[str, Any] | None
    user: UserInfo
    dry_run: bool = False
    options: dict[str, Any] | None = None
    #: Annotations plugins add for the audit log (``pod-security.kubernetes.io/...``).
    annotations: dict[str, str] = field(default_factory=dict)


class AdmissionPlugin:
    """One admission plugin: override ``admit``, ``validate`` or both.

    ``name`` is Kubernetes' plugin name (``LimitRanger``, ``PodSecurity``);
    ``operations`` are the operations it cares about: the chain does not call
    it for others.
    """

    name: str = ""
    operations: frozenset[str] = frozenset({CREATE, UPDATE, DELETE, CONNECT})

    def handles(self, attributes: Attributes) -> bool:
        """Whether this plugin looks at this request at all (cheap: called for every write)."""
        return attributes.operation in self.operations

    async def admit(self, attributes: Attributes) -> None:
        """Mutating phase: change ``attributes.obj`` in place, or raise a StatusError."""

    async def validate(self, attributes: Attributes) -> None:
        """Validating phase: raise a StatusError to refuse; never change anything."""
