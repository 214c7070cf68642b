"""Revision and replicas annotations, as deployment_util.go keeps them."""

from __future__ import annotations

from typing import Any

import pytest

from kubeling.controllers.deployment.revisions import (
    DESIRED_REPLICAS,
    LAST_APPLIED,
    MAX_REPLICAS,
    REVISION,
    REVISION_HISTORY,
    ROLLBACK_TO,
    desired_replicas,
    last_revision,
    max_revision,
    parse_go_int,
    replicas_annotations_need_update,
    revision,
    set_deployment_annotations_to,
    set_deployment_revision,
    set_new_replica_set_annotations,
    set_replicas_annotations,
)
from tests.unit.controllers.deployment.builders import deployment, replica_set

Obj = dict[str, Any]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1", 1), ("+7", 7), ("-3", -3), ("007", 7), ("9223372036854775807", 2**63 - 1)],
)
def test_parse_go_int(text: str, expected: int) -> None:
    assert parse_go_int(text) == expected


@pytest.mark.parametrize("text", ["", " 1", "1 ", "1_000", "٣", "1.0", "9223372036854775808", "x"])
def test_parse_go_int_refuses_what_strconv_refuses(text: str) -> None:
    with pytest.raises(ValueError, match=r"^strconv\.ParseInt: parsing "):
        parse_go_int(text)


def _rs(rev: str | None) -> Obj:
    return replica_set(f"rs-{rev}", 0, annotations={REVISION: rev} if rev is not None else {})


def test_revisions_skip_what_does_not_parse() -> None:
    sets = [_rs("3"), _rs("x"), _rs(None), _rs("10"), _rs("7")]
    assert (max_revision(sets), last_revision(sets)) == (10, 7)
    assert (max_revision([]), last_revision([_rs("4")])) == (0, 0)
    assert revision(_rs(None)) == 0
    with pytest.raises(ValueError, match="invalid syntax"):
        revision(_rs("x"))


def test_a_new_replica_set_gets_the_deployment_annotations_revision_and_sizes() -> None:
    d = deployment(
        10,
        max_surge="25%",
        annotations={
            "team": "a",
            "empty": "",
            LAST_APPLIED: "{}",
            REVISION: "4",
            ROLLBACK_TO: "1",
        },
    )
    rs: Obj = {"metadata": {}}
    assert set_new_replica_set_annotations(d, rs, "5", exists=False)
    # "empty" is not copied: Go reads the missing key as "" already.
    assert rs["metadata"]["annotations"] == {
        "team": "a",
        REVISION: "5",
        DESIRED_REPLICAS: "10",
        MAX_REPLICAS: "13",
    }


@pytest.mark.parametrize(
    ("before", "new", "after", "changed"),
    [
        ({REVISION: "1"}, "3", {REVISION: "3", REVISION_HISTORY: "1"}, True),
        (
            {REVISION: "4", REVISION_HISTORY: "1,2"},
            "6",
            {REVISION: "6", REVISION_HISTORY: "1,2,4"},
            True,
        ),
        ({REVISION: "5"}, "3", {REVISION: "5"}, False),  # already newer: kept
        ({REVISION: "3"}, "3", {REVISION: "3"}, False),
        ({}, "2", {REVISION: "2"}, True),  # no revision: no history either
        ({REVISION: ""}, "2", {REVISION: "2", REVISION_HISTORY: ""}, True),
        ({REVISION: "x"}, "2", {REVISION: "x"}, False),  # unreadable: left alone
        ({REVISION: "1"}, "y", {REVISION: "1"}, False),
    ],
)
def test_an_existing_replica_set_revision_moves_up_keeping_its_history(
    before: dict[str, str], new: str, after: dict[str, str], changed: bool
) -> None:
    rs: Obj = {"metadata": {"annotations": dict(before)}}
    assert set_new_replica_set_annotations(deployment(), rs, new, exists=True) is changed
    assert rs["metadata"]["annotations"] == after


@pytest.mark.parametrize(
    ("history", "limit", "expected"),
    [
        ("10,11", 8, "10,11,12"),  # fits exactly
        ("10,11", 5, "11,12"),  # the oldest goes
        ("10,11", 2, "12"),  # all the old ones go
        ("10,11", 1, "10,11"),  # even alone it does not fit: not appended
    ],
)
def test_revision_history_is_bounded_in_characters(history: str, limit: int, expected: str) -> None:
    rs: Obj = {"metadata": {"annotations": {REVISION: "12", REVISION_HISTORY: history}}}
    set_new_replica_set_annotations(deployment(), rs, "13", exists=True, history_limit_chars=limit)
    assert rs["metadata"]["annotations"][REVISION_HISTORY] == expected


def test_replicas_annotations() -> None:
    rs = replica_set("a", 1)
    assert replicas_annotations_need_update(rs, 3, 4)
    assert set_replicas_annotations(rs, 3, 4)
    assert not set_replicas_annotations(rs, 3, 4)
    assert not replicas_annotations_need_update(rs, 3, 4)
    assert desired_replicas(rs) == 3
    rs["metadata"]["annotations"][DESIRED_REPLICAS] = "three"
    assert desired_replicas(rs) is None


def test_deployment_revision_and_rollback_annotations() -> None:
    d = deployment(annotations={REVISION: "2", "team": "new", LAST_APPLIED: "{}"})
    assert not set_deployment_revision(d, "2")
    assert set_deployment_revision(d, "3")
    old = replica_set("old", 0, annotations={REVISION: "1", "team": "old", "extra": "x"})
    set_deployment_annotations_to(d, old)
    assert d["metadata"]["annotations"] == {
        REVISION: "3",
        LAST_APPLIED: "{}",
        "team": "old",
        "extra": "x",
    }
