"""Statuses and the failure message (upstream FitError.Error)."""

from __future__ import annotations

import pytest

from kubeling.scheduler.framework.diagnosis import Diagnosis, FitError, NodeToStatus
from kubeling.scheduler.framework.status import Code, Status


def _statuses(*reasons_per_node: tuple[str, ...]) -> NodeToStatus:
    statuses = NodeToStatus()
    for index, reasons in enumerate(reasons_per_node):
        statuses.set(f"n{index}", Status.unschedulable(*reasons))
    return statuses


@pytest.mark.parametrize(
    ("diagnosis", "nodes", "message"),
    [
        (
            Diagnosis(
                _statuses(("Insufficient cpu",), ("Insufficient cpu", "Insufficient memory"))
            ),
            2,
            "0/2 nodes are available: 1 Insufficient memory, 2 Insufficient cpu.",
        ),
        # Counts sort as strings, as Go's sort.Strings does.
        (
            Diagnosis(_statuses(*[("b",)] * 10, ("a",), ("a",))),
            12,
            "0/12 nodes are available: 10 b, 2 a.",
        ),
        (
            Diagnosis(
                NodeToStatus(),
                pre_filter_message="pod has unbound immediate PersistentVolumeClaims",
            ),
            3,
            "0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims.",
        ),
        (
            Diagnosis(
                _statuses(("x",)),
                post_filter_message="preemption: not eligible due to preemptionPolicy=Never.",
            ),
            1,
            "0/1 nodes are available: 1 x. preemption: not eligible due to preemptionPolicy=Never.",
        ),
    ],
)
def test_fit_error_message(diagnosis: Diagnosis, nodes: int, message: str) -> None:
    """Histogram of reasons, the PreFilter message instead of it, the PostFilter message after."""
    assert FitError(nodes, diagnosis).message() == message


def test_absent_nodes_are_counted_with_the_absent_status() -> None:
    """Nodes without an explicit status count under the absent-nodes reasons."""
    statuses = _statuses(("Insufficient cpu",))
    statuses.set_absent(Status.unresolvable("node(s) didn't satisfy plugin(s) [NodeAffinity]"))
    assert FitError(4, Diagnosis(statuses)).message() == (
        "0/4 nodes are available: 1 Insufficient cpu, "
        "3 node(s) didn't satisfy plugin(s) [NodeAffinity]."
    )


def test_status_helpers() -> None:
    """Messages join reasons; an error's text comes first; with_plugin copies."""
    status = Status.as_error(ValueError("bad"), "P")
    assert status.message() == "bad"
    assert status.code is Code.ERROR
    assert not status.is_rejected()
    assert Status(Code.UNSCHEDULABLE, ("a", "b")).with_plugin("X").plugin == "X"
    assert Status.skip().is_skip()
