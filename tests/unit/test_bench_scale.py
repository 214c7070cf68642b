"""bench/scale.py: stage names (the named stages and ``<nodes>x<pods>``) and its waits."""

from __future__ import annotations

import asyncio
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

SCALE = Path(__file__).resolve().parents[2] / "bench" / "scale.py"


@pytest.fixture(scope="module")
def scale() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_scale", SCALE)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("name", "size"),
    [
        ("tiny", (50, 1_000)),
        ("full", (5_000, 150_000)),
        ("200x6000", (200, 6_000)),
        ("1x0", (1, 0)),
        ("0x10", None),
        ("x10", None),
        ("200x", None),
        ("200x6k", None),
        ("huge", None),
    ],
)
def test_stage_size(scale: ModuleType, name: str, size: tuple[int, int] | None) -> None:
    assert scale.stage_size(name) == size


def test_wait_until_sees_a_change_made_while_it_slept(scale: ModuleType) -> None:
    observed = scale.Observed()
    checks = []

    def condition() -> bool:
        checks.append(len(observed.pods))
        return bool(observed.pods)

    async def run() -> float:
        async def change_soon() -> None:
            await asyncio.sleep(0.05)  # during the wait's first pause, before it waits
            observed.pods["uid"] = scale.PodState(first_seen=0.0)
            observed.changed.set()

        changer = asyncio.ensure_future(change_soon())
        began = asyncio.get_running_loop().time()
        await scale._wait_until(observed, condition, within=30, what="a pod")
        await changer
        return asyncio.get_running_loop().time() - began

    took = asyncio.run(run())
    assert checks == [0, 1]  # one check per pause, not one per event
    assert took < 5  # woken by the change, not by the 5 s timeout


def test_wait_until_gives_up_at_its_deadline(scale: ModuleType) -> None:
    observed = scale.Observed()
    with pytest.raises(RuntimeError, match="a pod: not within 0 s"):
        asyncio.run(scale._wait_until(observed, lambda: False, within=0.2, what="a pod"))


def test_stragglers_name_the_last_pods_not_running(scale: ModuleType) -> None:
    observed = scale.Observed()
    for i in range(40):
        observed.pods[f"u{i}"] = scale.PodState(first_seen=0.0, name=f"ns/p{i}", running_at=1.0)
    observed.pods["late"] = scale.PodState(first_seen=0.0, name="ns/late", node="sim-00007")
    observed.pods["new"] = scale.PodState(first_seen=0.0, name="ns/new")
    assert observed.stragglers() == "; not Running: ns/late on sim-00007, ns/new on (unbound)"
    for i in range(40):
        observed.pods[f"u{i}"].running_at = 0.0
    assert observed.stragglers() == ""  # too many to name
