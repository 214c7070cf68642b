"""Score normalization shared by several plugins (upstream ``helper.DefaultNormalizeScore``)."""

from __future__ import annotations

from kubeling.scheduler.framework.types import MAX_NODE_SCORE, NodeScore

__all__ = ["default_normalize_score"]


def default_normalize_score(scores: list[NodeScore], *, reverse: bool) -> None:
    """Scale scores so the highest becomes ``MAX_NODE_SCORE``; ``reverse`` flips them.

    When every score is 0 they stay 0 (or all become the maximum with ``reverse``).

    >>> scores = [NodeScore("a", 2), NodeScore("b", 4), NodeScore("c", 0)]
    >>> default_normalize_score(scores, reverse=True)
    >>> [s.score for s in scores]
    [50, 0, 100]
    """
    highest = max((s.score for s in scores), default=0)
    if highest == 0:
        if reverse:
            for item in scores:
                item.score = MAX_NODE_SCORE
        return
    for item in scores:
        value = MAX_NODE_SCORE * item.score // highest
        item.score = MAX_NODE_SCORE - value if reverse else value
