"""bench/scale.py's stage names: the named stages and ``<nodes>x<pods>``."""

from __future__ import annotations

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
