"""NamespaceStrategy: Active with the kubernetes finalizer, Terminating on delete."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from kubeling.apiserver.strategies.namespaces import (
    TERMINATING_CONFLICT,
    NamespaceFinalizeStrategy,
    NamespaceStrategy,
)

Obj = dict[str, Any]


def _created(name: str = "team-a", **extra: Any) -> Obj:
    ns: Obj = {"metadata": {"name": name}, **extra}
    strategy = NamespaceStrategy()
    strategy.default(ns)
    strategy.prepare_for_create(ns)
    return ns


def test_create_sets_phase_finalizer_and_name_label() -> None:
    """A new namespace is Active, held by `kubernetes`, labelled with its name."""
    ns = _created(status={"phase": "Terminating"})
    assert ns["status"] == {"phase": "Active"}
    assert ns["spec"] == {"finalizers": ["kubernetes"]}
    assert ns["metadata"]["labels"] == {"kubernetes.io/metadata.name": "team-a"}


@pytest.mark.parametrize(
    ("name", "message"),
    [
        (
            "a.b",
            'metadata.name: Invalid value: "a.b": must not contain dots',
        ),
        (
            "Team",
            'metadata.name: Invalid value: "Team": a lowercase RFC 1123 label must consist of '
            "lower case alphanumeric characters or '-', and must start and end with an "
            "alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation "
            "is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
        ),
    ],
)
def test_name_is_a_dns_label(name: str, message: str) -> None:
    """Namespace names are DNS labels, not subdomains."""
    ns = _created(name)
    assert message in [str(e) for e in NamespaceStrategy().validate(ns, namespaced=False)]


def test_update_keeps_spec_finalizers() -> None:
    """The main resource cannot drop spec finalizers; /finalize can."""
    old = _created()
    new = copy.deepcopy(old)
    new["spec"]["finalizers"] = []
    NamespaceStrategy().prepare_for_update(new, old)
    assert new["spec"]["finalizers"] == ["kubernetes"]
    finalize = NamespaceFinalizeStrategy()
    new = copy.deepcopy(old)
    new["spec"]["finalizers"] = []
    new["metadata"]["labels"] = {"changed": "no"}
    finalize.prepare_for_update(new, old)
    assert "finalizers" not in new["spec"]
    assert new["metadata"]["labels"] == old["metadata"]["labels"]


def test_finalizer_names_are_checked() -> None:
    """Unqualified finalizers must be standard ones."""
    ns = _created(spec={"finalizers": ["custom"]})
    assert (
        'spec.finalizers[0]: Invalid value: "custom": name is neither a standard finalizer '
        "name nor is it fully qualified"
    ) in [str(e) for e in NamespaceStrategy().validate(ns, namespaced=False)]


def test_two_phase_delete() -> None:
    """First delete marks Terminating; a second one conflicts while spec finalizers remain."""
    strategy = NamespaceStrategy()
    ns = _created()
    assert strategy.delete_conflict(ns) is None
    strategy.begin_termination(ns, now="2025-01-01T00:00:00Z")
    assert ns["status"]["phase"] == "Terminating"
    assert ns["metadata"]["deletionTimestamp"] == "2025-01-01T00:00:00Z"
    assert strategy.delete_conflict(ns) == TERMINATING_CONFLICT
    assert not strategy.should_delete_during_update(ns)
    ns["spec"]["finalizers"] = []
    assert strategy.delete_conflict(ns) is None
    assert strategy.should_delete_during_update(ns)
    assert strategy.field_set(ns, namespaced=False)["status.phase"] == "Terminating"
