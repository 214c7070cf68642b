"""DefaultBinder: binds through the Binder port."""

from __future__ import annotations

from kubeling.scheduler.framework.cycle_state import CycleState
from kubeling.scheduler.framework.types import PodInfo
from kubeling.scheduler.plugins.default_binder import DefaultBinder

from ..fakes import Harness, make_pod


async def test_bind_posts_the_binding() -> None:
    """The binder receives namespace, name, uid and node."""
    harness = Harness()
    pod = make_pod("p")
    harness.cluster.pods["default/p"] = pod
    plugin = harness.plugin("DefaultBinder")
    assert isinstance(plugin, DefaultBinder)
    status = await plugin.bind(CycleState(), PodInfo(pod), "n1")
    assert status.is_success()
    assert harness.cluster.binds == [("p", "n1")]
