"""The in-tree plugins by name (upstream ``plugins.NewInTreeRegistry``).

A profile names plugins; the framework looks each name up here and calls its factory
with the plugin's arguments and the framework as the handle. Out-of-tree plugins can
be added by building a ``Framework`` with an extended mapping.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from kubeling.scheduler.framework.interfaces import PluginFactory
from kubeling.scheduler.plugins import (
    default_binder,
    default_preemption,
    inter_pod_affinity,
    node_affinity,
    node_name,
    node_ports,
    node_resources_balanced_allocation,
    node_resources_fit,
    node_unschedulable,
    pod_topology_spread,
    priority_sort,
    scheduling_gates,
    taint_toleration,
    volume_binding,
)

__all__ = ["IN_TREE"]

IN_TREE: Final[Mapping[str, PluginFactory]] = MappingProxyType(
    {
        module.NAME: module.new
        for module in (
            scheduling_gates,
            priority_sort,
            node_unschedulable,
            node_name,
            taint_toleration,
            node_affinity,
            node_ports,
            node_resources_fit,
            volume_binding,
            pod_topology_spread,
            inter_pod_affinity,
            default_preemption,
            node_resources_balanced_allocation,
            default_binder,
        )
    }
)
