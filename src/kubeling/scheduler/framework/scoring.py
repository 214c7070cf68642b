"""Score normalization shared by several plugins (upstream ``helper.DefaultNormalizeScore``)."""

from __future__ import annotations

from kubeling.scheduler.framework.types import MAX_NODE_SCORE

__all__ = ["default_normalize_score"]


def default_normalize_score(scores: list[int], *, reverse: bool) -> None:
    """Scale scores in place so the highest becomes ``MAX_NODE_SCORE``; ``reverse`` flips them.

    When every score is 0 they stay 0 (or all become the maximum with ``reverse``).

    >>> scores = [2, 4, 0]
    >>> default_normalize_score(scores, reverse=True)
    >>> scores
    [50, 0, 100]
    """
    highest = max(scores, default=0)
    if highest == 0:
        if reverse:
            scores[:] = [MAX_NODE_SCORE] * len(scores)
        return
    if reverse:
        scores[:] = [MAX_NODE_SCORE - MAX_NODE_SCORE * s // highest for s in scores]
    else:
        scores[:] = [MAX_NODE_SCORE * s // highest for s in scores]
