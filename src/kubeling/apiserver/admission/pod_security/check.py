"""What a Pod Security check is, and the small readers every check shares.

A check (``policy.Check`` upstream) belongs to a level (baseline or
restricted) and has one function per policy version it changed in: a
namespace pinned to ``v1.24`` gets, for each check, the newest function whose
minimum version is at most 1.24 (none at all if the check is newer). A
function reads the pod's metadata and spec as JSON and returns a
:class:`Violation` (the short reason, and the detail naming what is wrong) or
None when the pod passes.

Containers are visited as upstream visits them: init containers, then
containers, then ephemeral containers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "Check",
    "CheckFn",
    "Violation",
    "containers",
    "join_quote",
    "mapping",
    "named",
    "pluralize",
    "security_context",
]


@dataclass(frozen=True, slots=True)
class Violation:
    """Why a pod fails a check: ``host namespaces`` / ``hostNetwork=true``."""

    reason: str
    detail: str = ""


CheckFn = Callable[[Mapping[str, Any], Mapping[str, Any]], Violation | None]
"""``(pod metadata, pod spec) -> Violation or None``."""


@dataclass(frozen=True, slots=True)
class Check:
    """One check, its level, and its function per minimum policy version (ascending).

    ``overlap``: a baseline check that a restricted check replaces (evaluated
    for baseline only).
    """

    id: str
    level: str
    versions: tuple[tuple[int, CheckFn], ...]
    overlap: bool = False

    def at(self, minor: int) -> CheckFn | None:
        """The function that applies at policy version ``v1.<minor>``, if any."""
        found = None
        for minimum, fn in self.versions:
            if minimum <= minor:
                found = fn
        return found


def mapping(value: object) -> Mapping[str, Any]:
    """``value`` if it is a JSON object, else an empty one (a field left unset)."""
    return value if isinstance(value, Mapping) else {}


def containers(spec: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """Init containers, containers, then ephemeral containers."""
    for kind in ("initContainers", "containers", "ephemeralContainers"):
        items = spec.get(kind)
        for container in items if isinstance(items, list) else ():
            if isinstance(container, Mapping):
                yield container


def security_context(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    """A container's or pod spec's ``securityContext`` (empty when unset)."""
    return mapping(obj.get("securityContext"))


def join_quote(items: Iterable[str]) -> str:
    """``"a", "b"`` (upstream's ``joinQuote``)."""
    listed = list(items)
    return '"' + '", "'.join(listed) + '"' if listed else ""


def pluralize(singular: str, plural: str, count: int) -> str:
    """``singular`` for one, ``plural`` otherwise."""
    return singular if count == 1 else plural


def named(names: list[str]) -> str:
    """``container "a"`` or ``containers "a", "b"``."""
    return f"{pluralize('container', 'containers', len(names))} {join_quote(names)}"
