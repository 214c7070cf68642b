"""kube-scheduler 1.32 as a sans-IO core (see ``docs/scheduler.md``).

The adapter builds a ``Scheduler`` with ``SideEffects`` implementing the Protocols,
feeds it watch events through its ``on_*`` methods, and awaits ``run()``.
"""

from kubeling.scheduler.framework.objects import ObjectKind
from kubeling.scheduler.framework.profile import PluginSpec, Profile, default_profile
from kubeling.scheduler.protocols import (
    Binder,
    ClaimAnnotator,
    Clock,
    EventRecorder,
    PodDeleter,
    PodStatusPatcher,
    SideEffects,
    SystemClock,
)
from kubeling.scheduler.scheduler import Scheduler

__all__ = [
    "Binder",
    "ClaimAnnotator",
    "Clock",
    "EventRecorder",
    "ObjectKind",
    "PluginSpec",
    "PodDeleter",
    "PodStatusPatcher",
    "Profile",
    "Scheduler",
    "SideEffects",
    "SystemClock",
    "default_profile",
]
