"""Matching nodes against a pod's ``nodeSelector`` and node affinity.

The rules of ``k8s.io/component-helpers/scheduling/corev1/nodeaffinity``, which
Kubernetes shares between the scheduler and the DaemonSet controller, as
kubeling does (parsed once per pod, for the scheduler's sake):

* ``nodeSelector`` is an exact match on every listed label;
* a ``NodeSelector`` is a list of terms that are ORed; a term ANDs its
  ``matchExpressions`` (on labels: ``In``, ``NotIn``, ``Exists``, ``DoesNotExist``,
  ``Gt``, ``Lt``) and its ``matchFields`` (only ``metadata.name``, with ``In`` or
  ``NotIn`` and exactly one value);
* a term with neither matches nothing, and so does a term that does not parse (an
  unknown operator, ``Gt`` with a non-integer): upstream ignores parse errors here for
  backwards compatibility, and so do we.

Label requirements are built with ``kubeling.api.labels.new_requirement``, which
checks the same rules as upstream's ``labels.NewRequirement``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from kubeling.api.labels import Operator, Requirement, SelectorParseError, new_requirement

__all__ = [
    "NODE_NAME_FIELD",
    "NodeSelector",
    "NodeSelectorTerm",
    "PreferredSchedulingTerm",
    "RequiredNodeAffinity",
    "matches_node_selector",
    "matches_required_node_affinity",
    "node_name_of_term",
]

_LABEL_OPERATORS: Final = {
    "In": Operator.IN,
    "NotIn": Operator.NOT_IN,
    "Exists": Operator.EXISTS,
    "DoesNotExist": Operator.DOES_NOT_EXIST,
    "Gt": Operator.GREATER_THAN,
    "Lt": Operator.LESS_THAN,
}
#: The only node field a ``matchFields`` requirement can name.
NODE_NAME_FIELD: Final = "metadata.name"


@dataclass(frozen=True, slots=True)
class NodeSelectorTerm:
    """One parsed term; ``valid`` is False when it is empty or does not parse."""

    requirements: tuple[Requirement, ...]
    # (operator, value) pairs on metadata.name: "In" or "NotIn".
    name_fields: tuple[tuple[str, str], ...]
    valid: bool

    @classmethod
    def parse(cls, term: Mapping[str, Any] | None) -> NodeSelectorTerm:
        """Parse a ``NodeSelectorTerm`` object."""
        term = term or {}
        expressions: Sequence[Mapping[str, Any]] = term.get("matchExpressions") or ()
        fields: Sequence[Mapping[str, Any]] = term.get("matchFields") or ()
        if not expressions and not fields:
            return _INVALID
        requirements: list[Requirement] = []
        for expression in expressions:
            operator = _LABEL_OPERATORS.get(str(expression.get("operator", "")))
            if operator is None:
                return _INVALID
            values = [str(v) for v in expression.get("values") or ()]
            try:
                requirements.append(
                    new_requirement(str(expression.get("key", "")), operator, values)
                )
            except SelectorParseError:
                return _INVALID
        name_fields: list[tuple[str, str]] = []
        for expression in fields:
            values = list(expression.get("values") or ())
            field_operator = str(expression.get("operator", ""))
            if field_operator not in ("In", "NotIn") or len(values) != 1:
                return _INVALID
            if expression.get("key") != NODE_NAME_FIELD:
                # a node has no other field: upstream reads it as "", which In never
                # matches (the term matches nothing) and NotIn always does (no condition)
                if field_operator == "In" and values[0] != "":
                    return _NEVER
                continue
            name_fields.append((field_operator, str(values[0])))
        return cls(tuple(requirements), tuple(name_fields), True)

    def matches(self, labels: Mapping[str, str], node_name: str) -> bool:
        """Whether a node with these labels and name satisfies the term."""
        if not self.valid:
            return False
        for requirement in self.requirements:
            if not requirement.matches(labels):
                return False
        for operator, value in self.name_fields:
            if (node_name == value) != (operator == "In"):
                return False
        return True


_INVALID: Final = NodeSelectorTerm((), (), False)
#: A term that parses but that no node can satisfy.
_NEVER: Final = _INVALID


def node_name_of_term(term: Mapping[str, Any]) -> set[str] | None:
    """The node names a term pins with ``metadata.name In``, or None when it pins none.

    Several such requirements in one term are ANDed, so their values intersect
    (upstream NodeAffinity PreFilter).

    >>> node_name_of_term({"matchFields": [{"key": "metadata.name", "operator": "In",
    ...     "values": ["a", "b"]}]}) == {"a", "b"}
    True
    """
    names: set[str] | None = None
    for expression in term.get("matchFields") or ():
        if expression.get("key") == NODE_NAME_FIELD and expression.get("operator") == "In":
            values = {str(v) for v in expression.get("values") or ()}
            names = values if names is None else names & values
    return names


@dataclass(frozen=True, slots=True)
class NodeSelector:
    """ORed terms of a ``NodeSelector``."""

    terms: tuple[NodeSelectorTerm, ...]

    @classmethod
    def parse(cls, selector: Mapping[str, Any]) -> NodeSelector:
        """Parse a ``NodeSelector`` object (``{"nodeSelectorTerms": [...]}``)."""
        raw: Sequence[Mapping[str, Any]] = selector.get("nodeSelectorTerms") or ()
        return cls(tuple(NodeSelectorTerm.parse(term) for term in raw))

    def matches(self, labels: Mapping[str, str], node_name: str) -> bool:
        """Whether any term matches."""
        return any(term.matches(labels, node_name) for term in self.terms)


@dataclass(frozen=True, slots=True)
class RequiredNodeAffinity:
    """A pod's ``nodeSelector`` and required node affinity, both of which must match.

    >>> pod = {"spec": {"nodeSelector": {"disk": "ssd"}}}
    >>> RequiredNodeAffinity.of(pod).matches({"metadata": {"name": "n1",
    ...     "labels": {"disk": "ssd"}}})
    True
    """

    node_selector: Mapping[str, str]
    required: NodeSelector | None

    @classmethod
    def of(cls, pod: Mapping[str, Any]) -> RequiredNodeAffinity:
        """Read it from a pod object."""
        spec: Mapping[str, Any] = pod.get("spec") or {}
        required = ((spec.get("affinity") or {}).get("nodeAffinity") or {}).get(
            "requiredDuringSchedulingIgnoredDuringExecution"
        )
        return cls(
            dict(spec.get("nodeSelector") or {}),
            NodeSelector.parse(required) if required is not None else None,
        )

    def is_empty(self) -> bool:
        """True when the pod constrains nodes in neither way."""
        return not self.node_selector and self.required is None

    def matches_labels(self, labels: Mapping[str, str], node_name: str) -> bool:
        """Whether a node with these labels and this name satisfies both parts."""
        for key, value in self.node_selector.items():
            if labels.get(key) != value:
                return False
        return self.required is None or self.required.matches(labels, node_name)

    def matches(self, node: Mapping[str, Any]) -> bool:
        """Whether a node object satisfies both parts."""
        metadata: Mapping[str, Any] = node.get("metadata") or {}
        return self.matches_labels(metadata.get("labels") or {}, str(metadata.get("name", "")))


@dataclass(frozen=True, slots=True)
class PreferredSchedulingTerm:
    """A weighted preference (``preferredDuringSchedulingIgnoredDuringExecution``)."""

    weight: int
    term: NodeSelectorTerm

    @classmethod
    def all_of(cls, pod: Mapping[str, Any]) -> tuple[PreferredSchedulingTerm, ...]:
        """The pod's preferred node affinity terms; weight-0 terms are dropped."""
        spec: Mapping[str, Any] = pod.get("spec") or {}
        raw: Sequence[Mapping[str, Any]] = (
            (spec.get("affinity") or {}).get("nodeAffinity") or {}
        ).get("preferredDuringSchedulingIgnoredDuringExecution") or ()
        return tuple(
            cls(int(item.get("weight") or 0), NodeSelectorTerm.parse(item.get("preference")))
            for item in raw
            if item.get("weight")
        )


def _labels_and_name(node: Mapping[str, Any]) -> tuple[Mapping[str, str], str]:
    metadata: Mapping[str, Any] = node.get("metadata") or {}
    return metadata.get("labels") or {}, str(metadata.get("name", ""))


def matches_node_selector(selector: Mapping[str, Any], node: Mapping[str, Any]) -> bool:
    """Whether ``node`` matches a ``NodeSelector`` (its terms ORed).

    >>> term = {"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["n1"]}]}
    >>> matches_node_selector({"nodeSelectorTerms": [term]}, {"metadata": {"name": "n1"}})
    True
    """
    return NodeSelector.parse(selector).matches(*_labels_and_name(node))


def matches_required_node_affinity(pod_spec: Mapping[str, Any], node: Mapping[str, Any]) -> bool:
    """``GetRequiredNodeAffinity(pod).Match(node)`` for a pod spec: ``nodeSelector`` and the
    required node affinity, both of which must hold.

    >>> node = {"metadata": {"name": "n1", "labels": {"disk": "ssd"}}}
    >>> matches_required_node_affinity({"nodeSelector": {"disk": "ssd"}}, node)
    True
    """
    return RequiredNodeAffinity.of({"spec": pod_spec}).matches(node)
