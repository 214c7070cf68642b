"""Which nodes a pod may run on, as its spec says: node selection and taints.

These are the rules of Kubernetes' ``k8s.io/component-helpers/scheduling/corev1``,
shared there by the scheduler and the DaemonSet controller, and kept here in
the API layer for the same reason:

- ``spec.nodeSelector`` matches a node whose labels hold every listed pair.
- A ``NodeSelector`` (``requiredDuringSchedulingIgnoredDuringExecution``)
  ORs its terms; a term ANDs its ``matchExpressions`` on the node's labels
  (``In``, ``NotIn``, ``Exists``, ``DoesNotExist``, ``Gt``, ``Lt``) and its
  ``matchFields`` on the node's fields (only ``metadata.name`` exists; ``In``
  or ``NotIn`` with exactly one value). A term with neither is skipped, and a
  term that does not parse matches nothing, the other terms still count
  (upstream's "lazy error" selector, kept for backwards compatibility).

Taints and tolerations are :mod:`kubeling.api.taints`.

>>> node = {"metadata": {"name": "n1", "labels": {"disk": "ssd"}}}
>>> pod_spec = {"nodeSelector": {"disk": "ssd"}}
>>> matches_required_node_affinity(pod_spec, node)
True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from kubeling.api.labels import Operator, Requirement, SelectorParseError, new_requirement

__all__ = [
    "NODE_NAME_FIELD",
    "matches_node_selector",
    "matches_required_node_affinity",
    "node_fields",
]

#: The only node field a ``matchFields`` requirement can name.
NODE_NAME_FIELD: Final = "metadata.name"

_LABEL_OPERATORS: Final = {
    "In": Operator.IN,
    "NotIn": Operator.NOT_IN,
    "Exists": Operator.EXISTS,
    "DoesNotExist": Operator.DOES_NOT_EXIST,
    "Gt": Operator.GREATER_THAN,
    "Lt": Operator.LESS_THAN,
}


def node_fields(node: Mapping[str, Any]) -> dict[str, str]:
    """The fields ``matchFields`` sees: ``{"metadata.name": <name>}``."""
    name = (node.get("metadata") or {}).get("name") or ""
    return {NODE_NAME_FIELD: str(name)} if name else {}


def _label_requirements(expressions: Sequence[Mapping[str, Any]]) -> list[Requirement] | None:
    """The parsed ``matchExpressions``, or None if one does not parse."""
    requirements: list[Requirement] = []
    for expression in expressions:
        operator = _LABEL_OPERATORS.get(str(expression.get("operator", "")))
        if operator is None:
            return None
        values = [str(v) for v in expression.get("values") or ()]
        try:
            requirements.append(new_requirement(str(expression.get("key", "")), operator, values))
        except SelectorParseError:
            return None
    return requirements


def _fields_match(
    expressions: Sequence[Mapping[str, Any]], fields: Mapping[str, str]
) -> bool | None:
    """Whether the ``matchFields`` hold for ``fields``; None if one does not parse."""
    verdict = True
    for expression in expressions:
        operator = expression.get("operator")
        values = list(expression.get("values") or ())
        if operator not in ("In", "NotIn") or len(values) != 1:
            return None
        have = fields.get(str(expression.get("key", "")), "")
        if (have == values[0]) != (operator == "In"):
            verdict = False
    return verdict


def _term_matches(
    term: Mapping[str, Any], labels: Mapping[str, str], fields: Mapping[str, str]
) -> bool:
    expressions = term.get("matchExpressions") or ()
    field_expressions = term.get("matchFields") or ()
    requirements = _label_requirements(expressions)
    fields_ok = _fields_match(field_expressions, fields)
    if requirements is None or fields_ok is None:
        return False  # a term that does not parse selects nothing
    if not all(r.matches(labels) for r in requirements):
        return False
    # Upstream skips the field check when the node has no fields at all.
    return fields_ok or not (field_expressions and fields)


def matches_node_selector(selector: Mapping[str, Any], node: Mapping[str, Any]) -> bool:
    """Whether ``node`` matches a ``NodeSelector`` (its terms ORed; empty terms skipped).

    >>> term = {"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["n1"]}]}
    >>> matches_node_selector({"nodeSelectorTerms": [term]}, {"metadata": {"name": "n1"}})
    True
    """
    labels = (node.get("metadata") or {}).get("labels") or {}
    fields = node_fields(node)
    for term in selector.get("nodeSelectorTerms") or ():
        if not isinstance(term, Mapping):
            continue
        if not term.get("matchExpressions") and not term.get("matchFields"):
            continue  # an empty term selects nothing
        if _term_matches(term, labels, fields):
            return True
    return False


def matches_required_node_affinity(pod_spec: Mapping[str, Any], node: Mapping[str, Any]) -> bool:
    """``GetRequiredNodeAffinity(pod).Match(node)``: ``nodeSelector`` and the required
    node affinity, both of which must hold."""
    labels = (node.get("metadata") or {}).get("labels") or {}
    node_selector = pod_spec.get("nodeSelector") or {}
    if any(labels.get(key) != value for key, value in node_selector.items()):
        return False
    affinity = (pod_spec.get("affinity") or {}).get("nodeAffinity") or {}
    required = affinity.get("requiredDuringSchedulingIgnoredDuringExecution")
    if isinstance(required, Mapping):
        return matches_node_selector(required, node)
    return True
