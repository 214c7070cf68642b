"""The DefaultTolerationSeconds admission plugin.

Every pod created or updated (not through a subresource) that does not
already tolerate the ``node.kubernetes.io/not-ready`` and
``node.kubernetes.io/unreachable`` NoExecute taints gets a toleration for
each, for 300 seconds: a pod on a node that stops answering is evicted five
minutes after the node is tainted, unless it says otherwise. A toleration
with an empty key (or an empty effect) counts as tolerating them already.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from kubeling.api.taints import NO_EXECUTE, TAINT_NODE_NOT_READY, TAINT_NODE_UNREACHABLE
from kubeling.apiserver.admission.interfaces import CREATE, UPDATE, AdmissionPlugin, Attributes

__all__ = ["DEFAULT_TOLERATION_SECONDS", "NAME", "DefaultTolerationSeconds", "admit_pod"]

NAME: Final = "DefaultTolerationSeconds"

#: ``--default-not-ready-toleration-seconds`` and ``--default-unreachable-toleration-seconds``.
DEFAULT_TOLERATION_SECONDS: Final = 300


def _covers(toleration: Mapping[str, Any], key: str) -> bool:
    return (toleration.get("key") or "") in ("", key) and (toleration.get("effect") or "") in (
        "",
        NO_EXECUTE,
    )


def admit_pod(pod: dict[str, Any]) -> None:
    """Add the default not-ready/unreachable tolerations to ``pod`` in place.

    >>> pod = {"spec": {"tolerations": [{"key": "node.kubernetes.io/unreachable",
    ...                                  "operator": "Exists", "effect": "NoExecute"}]}}
    >>> admit_pod(pod)
    >>> [t["key"] for t in pod["spec"]["tolerations"]]
    ['node.kubernetes.io/unreachable', 'node.kubernetes.io/not-ready']
    """
    spec = pod.get("spec")
    if not isinstance(spec, dict):
        return
    tolerations = spec.get("tolerations")
    if tolerations is None:
        tolerations = []
    if not isinstance(tolerations, list):
        return  # validation reports it
    present = [t for t in tolerations if isinstance(t, Mapping)]
    added = [
        {
            "key": key,
            "operator": "Exists",
            "effect": NO_EXECUTE,
            "tolerationSeconds": DEFAULT_TOLERATION_SECONDS,
        }
        for key in (TAINT_NODE_NOT_READY, TAINT_NODE_UNREACHABLE)
        if not any(_covers(t, key) for t in present)
    ]
    if added:
        spec["tolerations"] = [*tolerations, *added]


class DefaultTolerationSeconds(AdmissionPlugin):
    """Creates and updates of pods (not their subresources) get the default tolerations."""

    name = NAME
    operations = frozenset({CREATE, UPDATE})

    def handles(self, attributes: Attributes) -> bool:
        return (
            attributes.resource == "pods"
            and not attributes.group
            and not attributes.subresource
            and attributes.operation in self.operations
        )

    async def admit(self, attributes: Attributes) -> None:
        if attributes.obj is not None:
            admit_pod(attributes.obj)
