"""Per-pod, per-cycle scratch space shared by the extension points of one attempt.

PreFilter computes something once (the pod's requests, topology counts) and Filter,
called once per node, reads it back. Preemption evaluates each candidate node on a
``clone()`` so that adding and removing victims on one node never leaks into another,
which is why every stored value knows how to clone itself.
"""

from __future__ import annotations

from typing import Protocol, TypeVar

__all__ = ["CycleState", "StateData", "StateNotFoundError"]


class StateData(Protocol):
    """A value stored in the cycle state."""

    def clone(self) -> StateData:
        """A copy that can be changed without affecting this one (or ``self`` if immutable)."""
        ...


T = TypeVar("T", bound=StateData)


class StateNotFoundError(LookupError):
    """The key was never written: the plugin's PreFilter/PreScore did not run."""


class CycleState:
    """Typed key/value storage plus the plugins PreFilter/PreScore asked to skip."""

    __slots__ = ("_data", "skip_filter_plugins", "skip_score_plugins")

    def __init__(self) -> None:
        self._data: dict[str, StateData] = {}
        # Plugins whose PreFilter returned Skip: their Filter is not called.
        self.skip_filter_plugins: frozenset[str] = frozenset()
        # Plugins whose PreScore returned Skip: their Score is not called.
        self.skip_score_plugins: frozenset[str] = frozenset()

    def write(self, key: str, value: StateData) -> None:
        """Store ``value`` under ``key``, replacing any previous value."""
        self._data[key] = value

    def read(self, key: str, kind: type[T]) -> T:
        """The value under ``key``, checked to be a ``kind``.

        >>> try:
        ...     CycleState().read("missing", CycleState)
        ... except StateNotFoundError as err:
        ...     print(err)
        reading "missing" from cycleState: not found
        """
        try:
            value = self._data[key]
        except KeyError:
            raise StateNotFoundError(f'reading "{key}" from cycleState: not found') from None
        if not isinstance(value, kind):
            raise StateNotFoundError(f'reading "{key}" from cycleState: not a {kind.__name__}')
        return value

    def delete(self, key: str) -> None:
        """Forget ``key`` (absent keys are fine)."""
        self._data.pop(key, None)

    def clone(self) -> CycleState:
        """A copy whose values are clones of these."""
        copy = CycleState()
        copy._data = {key: value.clone() for key, value in self._data.items()}
        copy.skip_filter_plugins = self.skip_filter_plugins
        copy.skip_score_plugins = self.skip_score_plugins
        return copy
