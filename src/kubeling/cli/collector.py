"""The cycle collector's settings for kubeling's processes.

Every kubeling command is a long-running server with large caches (informers hold every pod
and node; the API server's watch cache every object) that allocates a lot per request. With
CPython's default thresholds, ``(700, 10, 10)``, a young collection runs every 700 net
allocations and every hundredth one walks the whole heap. Measured with 5,000 simulated nodes
renewing their Leases (docs/benchmarks.md, Scale), the collector took half of ``kubeling
simulate``'s CPU and 13% of the server's; in the scheduler, 8% of its time. Collecting young
objects every 50,000 allocations, and the older generations after 20 and 10 of those, costs a
few milliseconds each time and far less in all; the cycles in between are not lost, only
collected later.
"""

from __future__ import annotations

import gc
from typing import Final

__all__ = ["THRESHOLDS", "collect_less_often"]

#: ``gc.set_threshold``'s three numbers: young collections, then middle and old ones.
THRESHOLDS: Final = (50_000, 20, 10)


def collect_less_often() -> None:
    """Give this process the thresholds above (see the module docstring)."""
    gc.set_threshold(*THRESHOLDS)
