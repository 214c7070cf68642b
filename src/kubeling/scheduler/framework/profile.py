"""A scheduler profile: its name, its plugins in order, their weights and arguments.

``default_profile()`` is Kubernetes 1.32's default plugin set (upstream
``getDefaultPlugins``) restricted to the plugins kubeling implements, in upstream's
order (which is also the order Filter plugins run, so it decides which reason a node
reports) and with upstream's score weights: TaintToleration 3, NodeAffinity 2,
PodTopologySpread 2, InterPodAffinity 2, NodeResourcesFit 1,
NodeResourcesBalancedAllocation 1. Not implemented from that set: VolumeRestrictions,
NodeVolumeLimits (and the cloud volume limits), VolumeZone, ImageLocality
(see docs/differences.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

__all__ = ["DEFAULT_SCHEDULER_NAME", "PluginSpec", "Profile", "default_profile"]

DEFAULT_SCHEDULER_NAME: Final = "default-scheduler"


@dataclass(frozen=True, slots=True)
class PluginSpec:
    """One enabled plugin; ``weight`` only matters for Score (0 means 1, as upstream)."""

    name: str
    weight: int = 0


@dataclass(frozen=True, slots=True)
class Profile:
    """One scheduling profile (upstream ``KubeSchedulerProfile``)."""

    scheduler_name: str = DEFAULT_SCHEDULER_NAME
    plugins: tuple[PluginSpec, ...] = ()
    # Per-plugin arguments by plugin name (upstream pluginConfig[].args).
    plugin_args: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    # None: adaptive, as upstream's default of 0 (see Scheduler.num_feasible_nodes_to_find).
    percentage_of_nodes_to_score: int | None = None


_DEFAULT_PLUGINS: Final = (
    PluginSpec("SchedulingGates"),
    PluginSpec("PrioritySort"),
    PluginSpec("NodeUnschedulable"),
    PluginSpec("NodeName"),
    PluginSpec("TaintToleration", 3),
    PluginSpec("NodeAffinity", 2),
    PluginSpec("NodePorts"),
    PluginSpec("NodeResourcesFit", 1),
    PluginSpec("VolumeBinding"),
    PluginSpec("PodTopologySpread", 2),
    PluginSpec("InterPodAffinity", 2),
    PluginSpec("DefaultPreemption"),
    PluginSpec("NodeResourcesBalancedAllocation", 1),
    PluginSpec("DefaultBinder"),
)


def default_profile(
    scheduler_name: str = DEFAULT_SCHEDULER_NAME,
    *,
    percentage_of_nodes_to_score: int | None = None,
    plugin_args: Mapping[str, Mapping[str, Any]] | None = None,
) -> Profile:
    """The default profile under ``scheduler_name``."""
    return Profile(
        scheduler_name,
        _DEFAULT_PLUGINS,
        dict(plugin_args or {}),
        percentage_of_nodes_to_score,
    )
