"""A small least-recently-used memo of FieldsV1 work, keyed by JSON text.

Every write to an object decodes each of its managedFields entries and encodes the entries it
changed. A burst of like objects (a ReplicaSet's pods, a node's pod statuses) carries the same
entries over and over: the kubelet's status entry of one pod is that of the next. Their JSON
text (cheap to make: the C encoder) names the work already done. Small on purpose: what
repeats, repeats at once, and the memo must not grow the server's memory.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Generic, TypeVar

__all__ = ["Memo"]

K = TypeVar("K")
V = TypeVar("V")


class Memo(Generic[K, V]):
    """At most ``size`` values, the least recently used dropped first."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._values: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        """The value remembered for ``key``, or None."""
        value = self._values.get(key)
        if value is not None:
            self._values.move_to_end(key)
        return value

    def put(self, key: K, value: V) -> None:
        """Remember ``value`` for ``key``."""
        self._values[key] = value
        self._values.move_to_end(key)
        if len(self._values) > self.size:
            self._values.popitem(last=False)
