"""``$(VAR)`` expansion, as Kubernetes' forked ``expansion`` package does it."""

from __future__ import annotations

import pytest

from kubeling.kubelet.expansion import expand, expand_all

VARS = {"A": "a", "B": "b", "EMPTY": "", "NESTED": "$(A)"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ""),
        ("plain", "plain"),
        ("$(A)", "a"),
        ("x$(A)y$(B)z", "xaybz"),
        ("$(A)$(B)", "ab"),
        ("$(EMPTY)", ""),
        ("$(MISSING)", "$(MISSING)"),
        ("$$(A)", "$(A)"),
        ("$$$(A)", "$a"),
        ("$$$$(A)", "$$(A)"),
        ("$", "$"),
        ("a$", "a$"),
        ("$x", "$x"),
        ("$(A", "$(A"),
        ("$(", "$("),
        ("$()", "$()"),
        ("$(NESTED)", "$(A)"),  # values are not expanded again
        ("$(A)$", "a$"),
        ("$(A:-default)", "$(A:-default)"),
        ("${A}", "${A}"),
        ("$(A) and $(MISSING) and $$(B)", "a and $(MISSING) and $(B)"),
    ],
)
def test_expand(text: str, expected: str) -> None:
    assert expand(text, VARS) == expected


def test_the_first_context_that_knows_a_name_wins() -> None:
    assert expand("$(A)-$(C)", {"A": "first"}, {"A": "second", "C": "c"}) == "first-c"


def test_expand_all() -> None:
    assert expand_all(["$(A)", "--b=$(B)", "$$(A)"], VARS) == ["a", "--b=b", "$(A)"]
