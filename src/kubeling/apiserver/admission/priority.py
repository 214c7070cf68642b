"""The Priority admission plugin (``plugin/pkg/admission/priority``).

Pods (created, not their subresources):

- ``spec.priorityClassName`` is resolved to ``spec.priority`` and
  ``spec.preemptionPolicy`` from the named PriorityClass; an unknown name is
  403 ``no PriorityClass with name x was found``;
- a pod naming no class gets the ``globalDefault`` class (the one of lowest
  value when several claim it), or priority 0, ``PreemptLowerPriority`` and
  no class when there is none;
- a ``priority`` or ``preemptionPolicy`` the pod sets itself that differs from
  the class's is 403 (the ``must not be provided in pod spec`` messages).

On update a pod keeps the priority and preemption policy it has (validation
refuses any change). PriorityClasses: a second ``globalDefault`` class is 403
``PriorityClass x is already marked as default. Only one default can exist``.

The two built-in classes, ``system-node-critical`` (2000001000) and
``system-cluster-critical`` (2000000000), are created by the API server at
start (:data:`SYSTEM_PRIORITY_CLASSES`), as Kubernetes' scheduling storage
does in its post-start hook.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from kubeling.api import errors
from kubeling.apiserver.admission.errors import forbidden
from kubeling.apiserver.admission.interfaces import CREATE, UPDATE, AdmissionPlugin, Attributes
from kubeling.apiserver.admission.lookup import ObjectReader

__all__ = ["NAME", "SYSTEM_PRIORITY_CLASSES", "Priority", "default_priority_class"]

NAME: Final = "Priority"
PREEMPT_LOWER_PRIORITY: Final = "PreemptLowerPriority"
GROUP: Final = "scheduling.k8s.io"

#: Kubernetes' ``scheduling.SystemPriorityClasses()``.
SYSTEM_PRIORITY_CLASSES: Final[tuple[dict[str, Any], ...]] = (
    {
        "apiVersion": "scheduling.k8s.io/v1",
        "kind": "PriorityClass",
        "metadata": {"name": "system-node-critical"},
        "value": 2000001000,
        "description": "Used for system critical pods that must not be moved from their "
        "current node.",
    },
    {
        "apiVersion": "scheduling.k8s.io/v1",
        "kind": "PriorityClass",
        "metadata": {"name": "system-cluster-critical"},
        "value": 2000000000,
        "description": "Used for system critical pods that must run in the cluster, but can "
        "be moved to another node if necessary.",
    },
)


def _name(obj: Mapping[str, Any]) -> str:
    return str((obj.get("metadata") or {}).get("name") or "")


def default_priority_class(classes: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The global default class: of those marked so, the one of lowest value.

    >>> default_priority_class([{"metadata": {"name": "a"}, "value": 5, "globalDefault": True},
    ...                         {"metadata": {"name": "b"}, "value": 3, "globalDefault": True},
    ...                         {"metadata": {"name": "c"}, "value": 1}])["metadata"]["name"]
    'b'
    """
    defaults = [c for c in classes if c.get("globalDefault") is True]
    if not defaults:
        return None
    return min(defaults, key=lambda c: int(c.get("value") or 0))


class Priority(AdmissionPlugin):
    """Pods get their class's priority; one global default class at most."""

    name = NAME
    operations = frozenset({CREATE, UPDATE})

    def __init__(self, priority_classes: ObjectReader) -> None:
        self._classes = priority_classes

    def handles(self, attributes: Attributes) -> bool:
        if attributes.subresource or attributes.operation not in self.operations:
            return False
        if attributes.resource == "pods":
            return not attributes.group
        return attributes.resource == "priorityclasses" and attributes.group == GROUP

    async def admit(self, attributes: Attributes) -> None:
        if attributes.resource != "pods":
            return
        pod = attributes.obj
        spec = pod.get("spec") if pod is not None else None
        if not isinstance(spec, dict):
            return  # validation reports it
        if attributes.operation == UPDATE:
            # set on create; validation refuses any other change
            old_spec = (attributes.old_obj or {}).get("spec") or {}
            for field in ("priority", "preemptionPolicy"):
                if spec.get(field) is None and old_spec.get(field) is not None:
                    spec[field] = old_spec[field]
            return
        await self._admit_new_pod(attributes, spec)

    async def _admit_new_pod(self, attributes: Attributes, spec: dict[str, Any]) -> None:
        class_name = spec.get("priorityClassName") or ""
        if not class_name:
            chosen = default_priority_class(await self._classes.list(""))
            if chosen is not None:
                spec["priorityClassName"] = _name(chosen)
        else:
            chosen = await self._classes.get("", str(class_name))
            if chosen is None:
                raise forbidden(attributes, f"no PriorityClass with name {class_name} was found")
        priority = int(chosen.get("value") or 0) if chosen is not None else 0
        # without any class Kubernetes still sets its default policy
        policy = chosen.get("preemptionPolicy") if chosen is not None else PREEMPT_LOWER_PRIORITY
        given = spec.get("priority")
        if given is not None and given != priority:
            raise forbidden(
                attributes,
                f"the integer value of priority ({given}) must not be provided in pod spec; "
                f"priority admission controller computed {priority} from the given "
                "PriorityClass name",
            )
        spec["priority"] = priority
        if policy is not None:
            given_policy = spec.get("preemptionPolicy")
            if given_policy is not None and given_policy != policy:
                raise forbidden(
                    attributes,
                    f"the string value of PreemptionPolicy ({given_policy}) must not be provided "
                    f"in pod spec; priority admission controller computed {policy} from the "
                    "given PriorityClass name",
                )
            spec["preemptionPolicy"] = policy

    async def validate(self, attributes: Attributes) -> None:
        if attributes.resource != "priorityclasses":
            return
        pc = attributes.obj
        if pc is None:
            return
        if not isinstance(pc, dict):
            raise errors.bad_request(
                "resource was marked with kind PriorityClass but was unable to be converted"
            )
        if pc.get("globalDefault") is not True:
            return
        current = default_priority_class(await self._classes.list(""))
        if current is None:
            return
        if attributes.operation == CREATE or _name(current) != _name(pc):
            raise forbidden(
                attributes,
                f"PriorityClass {_name(current)} is already marked as default. Only one "
                "default can exist",
            )
