"""Inter-pod affinity terms, parsed once per pod (upstream ``framework.AffinityTerm``).

A term selects pods by label *and* by namespace: the namespaces it lists, or, when it
lists none and has no ``namespaceSelector``, the namespace of the pod that owns the
term; a ``namespaceSelector`` adds every namespace whose labels it matches (``{}``
matches all namespaces, an absent one none).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kubeling.api.labels import Selector, label_selector_as_selector, nothing

__all__ = ["AffinityTerm", "WeightedAffinityTerm", "parse_terms", "parse_weighted_terms"]


@dataclass(frozen=True, slots=True)
class AffinityTerm:
    """A parsed ``PodAffinityTerm``."""

    namespaces: frozenset[str]
    selector: Selector
    topology_key: str
    namespace_selector: Selector

    @classmethod
    def parse(cls, owner_namespace: str, term: Mapping[str, Any]) -> AffinityTerm:
        """Parse a term of a pod in ``owner_namespace``; raises ``SelectorParseError``."""
        listed = [str(ns) for ns in term.get("namespaces") or ()]
        raw_ns_selector = term.get("namespaceSelector")
        if not listed and raw_ns_selector is None:
            listed = [owner_namespace]
        return cls(
            frozenset(listed),
            label_selector_as_selector(term.get("labelSelector")),
            str(term.get("topologyKey", "")),
            label_selector_as_selector(raw_ns_selector),
        )

    def matches(
        self,
        namespace: str,
        labels: Mapping[str, str],
        namespace_labels: Mapping[str, str] | None,
    ) -> bool:
        """Whether a pod in ``namespace`` with ``labels`` is selected by this term.

        ``namespace_labels`` are the labels of ``namespace`` (None when unknown, which
        only an empty namespace selector, ``{}``, still matches).
        """
        in_namespace = namespace in self.namespaces or self.namespace_selector.matches(
            namespace_labels or {}
        )
        return in_namespace and self.selector.matches(labels)

    def with_namespaces(self, extra: frozenset[str]) -> AffinityTerm:
        """The term with its namespace selector resolved into extra namespaces."""
        return AffinityTerm(self.namespaces | extra, self.selector, self.topology_key, nothing())


@dataclass(frozen=True, slots=True)
class WeightedAffinityTerm:
    """A parsed ``WeightedPodAffinityTerm``."""

    term: AffinityTerm
    weight: int


def parse_terms(owner_namespace: str, raw: Sequence[Mapping[str, Any]]) -> tuple[AffinityTerm, ...]:
    """Parse required terms; raises ``SelectorParseError`` on a bad selector."""
    return tuple(AffinityTerm.parse(owner_namespace, term) for term in raw)


def parse_weighted_terms(
    owner_namespace: str, raw: Sequence[Mapping[str, Any]]
) -> tuple[WeightedAffinityTerm, ...]:
    """Parse preferred terms; raises ``SelectorParseError`` on a bad selector."""
    return tuple(
        WeightedAffinityTerm(
            AffinityTerm.parse(owner_namespace, item.get("podAffinityTerm") or {}),
            int(item.get("weight") or 0),
        )
        for item in raw
    )
