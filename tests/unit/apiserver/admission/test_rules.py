"""Admission rules: operations, groups, versions, resources/subresources and scope."""

from __future__ import annotations

from typing import Any

import pytest

from kubeling.apiserver.admission.rules import rule_matches
from tests.unit.apiserver.admission.policy.fakes import attributes

ALL: dict[str, Any] = {
    "operations": ["*"],
    "apiGroups": ["*"],
    "apiVersions": ["*"],
    "resources": ["*"],
}


@pytest.mark.parametrize(
    ("rule", "request_kwargs", "matches"),
    [
        (ALL, {}, True),
        ({**ALL, "operations": ["UPDATE"]}, {}, False),
        ({**ALL, "operations": ["CREATE"]}, {}, True),
        ({**ALL, "apiGroups": [""]}, {}, False),
        ({**ALL, "apiVersions": ["v2"]}, {}, False),
        ({**ALL, "resources": ["pods"]}, {}, False),
        # "*" is every resource but no subresource; "*/*" is everything
        (ALL, {"subresource": "status"}, False),
        ({**ALL, "resources": ["*/*"]}, {"subresource": "status"}, True),
        ({**ALL, "resources": ["deployments/*"]}, {"subresource": "scale"}, True),
        ({**ALL, "resources": ["deployments/*"]}, {}, True),
        ({**ALL, "resources": ["*/scale"]}, {"subresource": "scale"}, True),
        ({**ALL, "resources": ["deployments/status"]}, {"subresource": "scale"}, False),
        ({**ALL, "resources": ["deployments"]}, {"subresource": "scale"}, False),
        # scope
        ({**ALL, "scope": "Namespaced"}, {}, True),
        ({**ALL, "scope": "Cluster"}, {}, False),
        ({**ALL, "scope": "Cluster"}, {"namespace": ""}, True),
        (
            {**ALL, "scope": "Namespaced"},
            {"group": "", "resource": "namespaces", "namespace": "ns", "kind": "Namespace"},
            False,
        ),
        (
            {**ALL, "scope": "Cluster"},
            {"group": "", "resource": "namespaces", "namespace": "ns", "kind": "Namespace"},
            True,
        ),
        ({**ALL, "scope": "Nowhere"}, {}, False),
    ],
)
def test_rule_matches(rule: dict[str, Any], request_kwargs: dict[str, Any], matches: bool) -> None:
    """Each part of a rule must match the request."""
    assert rule_matches(rule, attributes(**request_kwargs)) is matches
