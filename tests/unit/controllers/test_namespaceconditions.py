"""The five conditions of a terminating namespace, as Kubernetes writes them."""

from __future__ import annotations

from typing import Any

from kubeling.controllers.namespaceconditions import CONDITION_TYPES, NamespaceConditionUpdater

Obj = dict[str, Any]


def by_type(status: Obj) -> dict[str, tuple[str, str, str]]:
    return {c["type"]: (c["status"], c["reason"], c["message"]) for c in status["conditions"]}


def test_all_ok() -> None:
    """Nothing wrong: every condition False with its "ok" reason."""
    status: Obj = {"phase": "Terminating"}
    assert NamespaceConditionUpdater(now="t1").update(status)
    assert [c["type"] for c in status["conditions"]] == list(CONDITION_TYPES)
    assert by_type(status) == {
        "NamespaceDeletionDiscoveryFailure": (
            "False",
            "ResourcesDiscovered",
            "All resources successfully discovered",
        ),
        "NamespaceDeletionGroupVersionParsingFailure": (
            "False",
            "ParsedGroupVersions",
            "All legacy kube types successfully parsed",
        ),
        "NamespaceDeletionContentFailure": (
            "False",
            "ContentDeleted",
            "All content successfully deleted, may be waiting on finalization",
        ),
        "NamespaceContentRemaining": (
            "False",
            "ContentRemoved",
            "All content successfully removed",
        ),
        "NamespaceFinalizersRemaining": (
            "False",
            "ContentRemoved",
            "All content successfully removed",
        ),
    }
    assert not NamespaceConditionUpdater(now="t2").update(status)  # unchanged: no write


def test_failures_and_remaining_content() -> None:
    """Failures become True conditions with Kubernetes' reasons and messages."""
    status: Obj = {}
    updater = NamespaceConditionUpdater(now="t1")
    updater.discovery_failed("unable to retrieve ...: x/v1: boom", failed_groups=1)
    updater.content_deletion_failed("b failed")
    updater.content_deletion_failed("a failed")
    updater.content_totals({"configmaps.": 2, "crontabs.example.com": 1}, {"example.com/x": 3})
    assert updater.update(status)
    assert by_type(status)["NamespaceDeletionDiscoveryFailure"] == (
        "True",
        "DiscoveryFailed",
        "Discovery failed for some groups, 1 failing: unable to retrieve ...: x/v1: boom",
    )
    assert by_type(status)["NamespaceDeletionContentFailure"] == (
        "True",
        "ContentDeletionFailed",
        "Failed to delete all resource types, 2 remaining: a failed, b failed",
    )
    assert by_type(status)["NamespaceContentRemaining"] == (
        "True",
        "SomeResourcesRemain",
        "Some resources are remaining: configmaps. has 2 resource instances, "
        "crontabs.example.com has 1 resource instances",
    )
    assert by_type(status)["NamespaceFinalizersRemaining"] == (
        "True",
        "SomeFinalizerRemain",
        "Some finalizers are remaining: example.com/x in 3 resource instances",
    )


def test_transition_time_moves_only_when_the_status_flips() -> None:
    """A new message keeps the time; a status change takes the new one."""
    status: Obj = {}
    first = NamespaceConditionUpdater(now="t1")
    first.content_totals({"configmaps.": 2}, {})
    first.update(status)
    second = NamespaceConditionUpdater(now="t2")
    second.content_totals({"configmaps.": 1}, {})
    assert second.update(status)
    remaining = next(c for c in status["conditions"] if c["type"] == "NamespaceContentRemaining")
    assert remaining["lastTransitionTime"] == "t1"
    assert NamespaceConditionUpdater(now="t3").update(status)
    assert remaining["status"] == "False"
    assert remaining["lastTransitionTime"] == "t3"
