"""Which nodes a DaemonSet runs on, and the pod it makes for one.

The daemon controller's own scheduling checks (``NodeShouldRunDaemonPod`` in
``daemon_controller.go``, helpers of ``util/daemonset_util.go``), pure:

- The controller judges a node by the pod it *would* create there: the
  template, with ``nodeName`` set and the daemon tolerations added. Every
  daemon pod tolerates ``node.kubernetes.io/not-ready`` and ``unreachable``
  (NoExecute: node trouble never evicts it), ``disk-pressure``,
  ``memory-pressure``, ``pid-pressure`` and ``unschedulable`` (NoSchedule),
  and with ``hostNetwork`` also ``network-unavailable``.
- A node *should run* the pod when the template's ``nodeName`` (if any) is
  the node, the node matches ``nodeSelector`` and the required node affinity,
  and every NoSchedule or NoExecute taint is tolerated. A pod already there
  *should continue running* when only NoSchedule taints are untolerated.
- The pod is created unbound, with its required node affinity replaced by one
  term ``matchFields metadata.name In [<node>]``: the scheduler places it, on
  that node only.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any, Final

from kubeling.api.node_affinity import NODE_NAME_FIELD, matches_required_node_affinity
from kubeling.api.taints import (
    NO_EXECUTE,
    NO_SCHEDULE,
    find_untolerated_taint,
    toleration_matches,
)
from kubeling.controllers.history import POD_REVISION_LABEL

__all__ = [
    "DAEMON_TOLERATIONS",
    "TEMPLATE_GENERATION_ANNOTATION",
    "TEMPLATE_GENERATION_LABEL",
    "add_daemon_tolerations",
    "pod_template",
    "replace_node_affinity",
    "should_run",
    "target_node",
    "template_generation",
]

Obj = dict[str, Any]

#: Where apps/v1 keeps a DaemonSet's template generation.
TEMPLATE_GENERATION_ANNOTATION: Final = "deprecated.daemonset.template.generation"
#: The template generation a daemon pod was made from.
TEMPLATE_GENERATION_LABEL: Final = "pod-template-generation"


def _toleration(key: str, effect: str) -> Obj:
    return {"key": key, "operator": "Exists", "effect": effect}


#: Added to every daemon pod, in this order (the last only with ``hostNetwork``).
DAEMON_TOLERATIONS: Final = (
    _toleration("node.kubernetes.io/not-ready", NO_EXECUTE),
    _toleration("node.kubernetes.io/unreachable", NO_EXECUTE),
    _toleration("node.kubernetes.io/disk-pressure", NO_SCHEDULE),
    _toleration("node.kubernetes.io/memory-pressure", NO_SCHEDULE),
    _toleration("node.kubernetes.io/pid-pressure", NO_SCHEDULE),
    _toleration("node.kubernetes.io/unschedulable", NO_SCHEDULE),
)
_NETWORK_UNAVAILABLE: Final = _toleration("node.kubernetes.io/network-unavailable", NO_SCHEDULE)


def _add_or_update_toleration(spec: Obj, toleration: Mapping[str, Any]) -> None:
    """``AddOrUpdateTolerationInPodSpec``: replace the same toleration (whatever its
    ``tolerationSeconds``), or append it."""
    tolerations: list[Any] = []
    replaced = False
    for existing in spec.get("tolerations") or ():
        if toleration_matches(existing, toleration):
            tolerations.append(dict(toleration))
            replaced = True
        else:
            tolerations.append(existing)
    if not replaced:
        tolerations.append(dict(toleration))
    spec["tolerations"] = tolerations


def add_daemon_tolerations(spec: Obj) -> None:
    """``AddOrUpdateDaemonPodTolerations``: the tolerations every daemon pod carries."""
    for toleration in DAEMON_TOLERATIONS:
        _add_or_update_toleration(spec, toleration)
    if spec.get("hostNetwork"):
        _add_or_update_toleration(spec, _NETWORK_UNAVAILABLE)


def _name(obj: Mapping[str, Any]) -> str:
    return str((obj.get("metadata") or {}).get("name", ""))


def should_run(node: Mapping[str, Any], ds: Mapping[str, Any]) -> tuple[bool, bool]:
    """``NodeShouldRunDaemonPod``: (should a pod be started here, may a pod already here
    keep running)."""
    template_spec = ((ds.get("spec") or {}).get("template") or {}).get("spec") or {}
    wanted_node = template_spec.get("nodeName") or ""
    if wanted_node and wanted_node != _name(node):
        return False, False
    spec: Obj = copy.deepcopy(dict(template_spec))
    spec["nodeName"] = _name(node)
    add_daemon_tolerations(spec)
    if not matches_required_node_affinity(spec, node):
        return False, False
    taints = (node.get("spec") or {}).get("taints") or ()
    tolerations = spec.get("tolerations") or ()
    blocking = find_untolerated_taint(taints, tolerations, (NO_SCHEDULE, NO_EXECUTE))
    if blocking is None:
        return True, True
    evicting = find_untolerated_taint(taints, tolerations, (NO_EXECUTE,))
    return False, evicting is None


def template_generation(ds: Mapping[str, Any]) -> int | None:
    """The template generation annotation; None when absent or not a number."""
    text = ((ds.get("metadata") or {}).get("annotations") or {}).get(TEMPLATE_GENERATION_ANNOTATION)
    if text is None:
        return None
    try:
        return int(str(text), 10)
    except ValueError:
        return None


def pod_template(template: Mapping[str, Any], generation: int | None, hash_: str) -> Obj:
    """``CreatePodTemplate``: the template with the daemon tolerations and the
    generation and revision hash labels."""
    result: Obj = copy.deepcopy(dict(template))
    add_daemon_tolerations(result.setdefault("spec", {}))
    labels = result.setdefault("metadata", {}).setdefault("labels", {})
    if generation is not None:
        labels[TEMPLATE_GENERATION_LABEL] = str(generation)
    if hash_:
        labels[POD_REVISION_LABEL] = hash_
    return result


def replace_node_affinity(affinity: Mapping[str, Any] | None, node_name: str) -> Obj:
    """``ReplaceDaemonSetPodNodeNameNodeAffinity``: the affinity with its required node
    terms replaced by the one term that picks ``node_name`` (other parts kept)."""
    term = {"matchFields": [{"key": NODE_NAME_FIELD, "operator": "In", "values": [node_name]}]}
    result: Obj = copy.deepcopy(dict(affinity or {}))
    node_affinity = result.setdefault("nodeAffinity", {})
    required = node_affinity.get("requiredDuringSchedulingIgnoredDuringExecution")
    if not isinstance(required, dict):
        required = node_affinity["requiredDuringSchedulingIgnoredDuringExecution"] = {}
    required["nodeSelectorTerms"] = [term]
    return result


def target_node(pod: Mapping[str, Any]) -> str | None:
    """``GetTargetNodeName``: ``spec.nodeName``, or for a pod not yet bound the node its
    ``metadata.name In [node]`` field term names; None if neither."""
    spec = pod.get("spec") or {}
    if spec.get("nodeName"):
        return str(spec["nodeName"])
    affinity = (spec.get("affinity") or {}).get("nodeAffinity") or {}
    required = affinity.get("requiredDuringSchedulingIgnoredDuringExecution") or {}
    for term in required.get("nodeSelectorTerms") or ():
        for expression in (term or {}).get("matchFields") or ():
            if expression.get("key") == NODE_NAME_FIELD and expression.get("operator") == "In":
                values = list(expression.get("values") or ())
                return str(values[0]) if len(values) == 1 else None
    return None
