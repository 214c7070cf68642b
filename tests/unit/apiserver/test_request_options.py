"""Query options the fuzzers broke: int64 bounds, Go's booleans, watch-list checks."""

from __future__ import annotations

import pytest

from kubeling.api.errors import StatusError
from kubeling.apiserver.rest.options import DeleteOptions, ListOptions


@pytest.mark.parametrize("limit", ["9223372036854775808", "99999999999999999999999", "-1"])
def test_limits_beyond_int64_or_negative_are_400(limit: str) -> None:
    """A limit past int64 was a 500 OverflowError in the store; it is a 400, as the
    int64 parse error is in Kubernetes."""
    with pytest.raises(StatusError) as info:
        ListOptions.parse({"limit": limit})
    assert info.value.code == 400


def test_largest_int64_limit_is_accepted() -> None:
    """The int64 range itself is fine."""
    assert ListOptions.parse({"limit": "9223372036854775807"}).limit == 2**63 - 1


def test_grace_period_beyond_int64_is_400() -> None:
    with pytest.raises(StatusError) as info:
        DeleteOptions.parse({"gracePeriodSeconds": "1" + "0" * 30}, None)
    assert info.value.code == 400


@pytest.mark.parametrize(
    ("query", "watch", "message"),
    [
        ({"sendInitialEvents": "true"}, False, "sendInitialEvents is forbidden for list"),
        (
            {"sendInitialEvents": "maybe"},
            True,
            "sendInitialEvents requires setting resourceVersionMatch to NotOlderThan",
        ),
        (
            {"sendInitialEvents": "false", "resourceVersionMatch": "Exact", "resourceVersion": "1"},
            True,
            "sendInitialEvents requires setting resourceVersionMatch to NotOlderThan",
        ),
        (
            {"resourceVersionMatch": "NotOlderThan"},
            False,
            "resourceVersionMatch is forbidden unless resourceVersion is provided",
        ),
        (
            {"resourceVersionMatch": "NotOlderThan", "resourceVersion": "1"},
            True,
            "resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided",
        ),
    ],
)
def test_watch_list_options_are_validated_as_kubernetes_does(
    query: dict[str, str], watch: bool, message: str
) -> None:
    """A misused sendInitialEvents is 422 Invalid ListOptions (a watch from an empty
    resourceVersion without initial events was a 500)."""
    options = ListOptions.parse(query)
    with pytest.raises(StatusError) as info:
        options.check_for(watch=watch)
    assert (info.value.code, info.value.reason) == (422, "Invalid")
    assert info.value.message.startswith('ListOptions.meta.k8s.io "" is invalid: ')
    assert message in info.value.message


def test_a_proper_watch_list_passes() -> None:
    options = ListOptions.parse(
        {"sendInitialEvents": "true", "resourceVersionMatch": "NotOlderThan", "watch": "1"}
    )
    options.check_for(watch=True)
    assert options.send_initial_events is True
