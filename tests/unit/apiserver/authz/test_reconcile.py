"""Reconciling the default policy with what is stored (union mode)."""

from __future__ import annotations

import copy
from typing import Any

from kubeling.apiserver.authz.reconcile import Operation, reconcile_binding, reconcile_role
from tests.unit.apiserver.authz._support import binding, role, rule, subject

Obj = dict[str, Any]

DEFAULT_LABELS = {"kubernetes.io/bootstrapping": "rbac-defaults"}
AUTOUPDATE = {"rbac.authorization.kubernetes.io/autoupdate": "true"}


def _default(obj: Obj) -> Obj:
    obj = copy.deepcopy(obj)
    obj["metadata"]["labels"] = dict(DEFAULT_LABELS)
    obj["metadata"]["annotations"] = dict(AUTOUPDATE)
    return obj


EXPECTED = _default(role("r", rule(["get", "list"], ["pods"]), rule(["get"], urls=["/x"])))


def test_a_missing_role_is_created_as_is() -> None:
    result = reconcile_role(None, EXPECTED)
    assert (result.operation, result.obj) == (Operation.CREATE, EXPECTED)


def test_an_up_to_date_role_is_left_alone() -> None:
    assert reconcile_role(EXPECTED, EXPECTED).operation is Operation.NONE


def test_missing_rules_are_added_and_nothing_is_removed() -> None:
    """What an administrator added stays; what the defaults miss comes back, atomic."""
    stored = copy.deepcopy(EXPECTED)
    stored["rules"] = [rule(["get"], ["pods"]), rule(["delete"], ["secrets"])]
    stored["metadata"]["labels"]["team"] = "x"
    result = reconcile_role(stored, EXPECTED)
    assert result.operation is Operation.UPDATE
    assert result.obj["rules"] == [
        rule(["get"], ["pods"]),
        rule(["delete"], ["secrets"]),
        rule(["list"], ["pods"]),
        rule(["get"], urls=["/x"]),
    ]
    assert result.obj["metadata"]["labels"] == {**DEFAULT_LABELS, "team": "x"}


def test_labels_and_annotations_are_added_with_stored_values_winning() -> None:
    stored = role("r", rule(["get", "list"], ["pods"]), rule(["get"], urls=["/x"]))
    stored["metadata"]["labels"] = {"kubernetes.io/bootstrapping": "mine"}
    result = reconcile_role(stored, EXPECTED)
    assert result.operation is Operation.UPDATE
    assert result.obj["metadata"]["labels"] == {"kubernetes.io/bootstrapping": "mine"}
    assert result.obj["metadata"]["annotations"] == AUTOUPDATE


def test_autoupdate_false_protects_an_object() -> None:
    stored = copy.deepcopy(EXPECTED)
    stored["rules"] = []
    stored["metadata"]["annotations"] = {"rbac.authorization.kubernetes.io/autoupdate": "false"}
    result = reconcile_role(stored, EXPECTED)
    assert result.protected
    protected_binding = binding("b", "ClusterRole", "other")
    protected_binding["metadata"]["annotations"] = {
        "rbac.authorization.kubernetes.io/autoupdate": "false"
    }
    assert reconcile_binding(protected_binding, binding("b", "ClusterRole", "r")).protected


def test_aggregation_selectors() -> None:
    selector = {"matchLabels": {"a": "true"}}
    other = {"matchLabels": {"b": "true"}}
    aggregated = {**role("agg"), "aggregationRule": {"clusterRoleSelectors": [selector]}}
    stored = {**role("agg"), "aggregationRule": {"clusterRoleSelectors": [other]}}
    stored["rules"] = [rule(["get"], ["anything"])]  # written by the aggregation controller
    result = reconcile_role(stored, aggregated)
    assert result.obj["aggregationRule"] == {"clusterRoleSelectors": [other, selector]}
    assert result.obj["rules"] == stored["rules"]
    # a role the defaults do not aggregate loses its aggregation rule
    plain = reconcile_role(stored, role("agg", rule(["get"], ["anything"])))
    assert (plain.operation, "aggregationRule" in plain.obj) == (Operation.UPDATE, False)


def test_bindings_gain_missing_subjects_and_keep_the_others() -> None:
    expected = binding("b", "ClusterRole", "r", subject("Group", "g"), subject("User", "u"))
    stored = binding("b", "ClusterRole", "r", subject("User", "admin-added"), subject("Group", "g"))
    result = reconcile_binding(stored, expected)
    assert result.operation is Operation.UPDATE
    assert result.obj["subjects"] == [
        subject("User", "admin-added"),
        subject("Group", "g"),
        subject("User", "u"),
    ]
    assert reconcile_binding(result.obj, expected).operation is Operation.NONE


def test_a_binding_to_another_role_is_recreated() -> None:
    """roleRef cannot be updated: the binding is deleted and created again."""
    stored = binding("b", "ClusterRole", "other", subject("User", "u"))
    expected = binding("b", "ClusterRole", "r", subject("User", "u"))
    result = reconcile_binding(stored, expected)
    assert (result.operation, result.obj) == (Operation.RECREATE, expected)
