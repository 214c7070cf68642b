"""Taints and tolerations as the scheduler reads them.

Whether a toleration tolerates a taint is decided in :mod:`kubeling.api.taints`
(shared with the node lifecycle and taint eviction controllers). The scheduler
looks for the *first* taint of a node, in the node's own order, that no
toleration of the pod tolerates: that taint is the one named in the failure
message.
"""

from __future__ import annotations

from typing import Final

from kubeling.api.taints import (
    NO_EXECUTE,
    NO_SCHEDULE,
    PREFER_NO_SCHEDULE,
    find_untolerated_taint,
    tolerates,
    tolerations_tolerate,
)

__all__ = [
    "DO_NOT_SCHEDULE_EFFECTS",
    "NO_EXECUTE",
    "NO_SCHEDULE",
    "PREFER_NO_SCHEDULE",
    "find_untolerated_taint",
    "tolerates",
    "tolerations_tolerate",
]

DO_NOT_SCHEDULE_EFFECTS: Final = frozenset({NO_SCHEDULE, NO_EXECUTE})
