"""The FieldsV1 memos: a remembered answer is the answer, and a caller's copy is its own."""

from __future__ import annotations

from typing import Any

from kubeling.api.managedfields.fieldpath import FieldSet, decode_fields_v1, to_fields_v1
from kubeling.api.managedfields.memo import Memo


def test_memo_drops_the_least_recently_used() -> None:
    memo: Memo[str, int] = Memo(2)
    memo.put("a", 1)
    memo.put("b", 2)
    assert memo.get("a") == 1  # "b" is now the least recently used
    memo.put("c", 3)
    assert (memo.get("a"), memo.get("b"), memo.get("c")) == (1, None, 3)


def test_decoding_tells_key_order_apart() -> None:
    """The same fields in another order are not canonical, though the canonical form was
    decoded just before."""
    canonical: dict[str, Any] = {"f:metadata": {"f:labels": {"f:a": {}, "f:b": {}}}}
    reordered: dict[str, Any] = {"f:metadata": {"f:labels": {"f:b": {}, "f:a": {}}}}
    first = decode_fields_v1(canonical)
    second = decode_fields_v1(reordered)
    assert first == (second[0], True)
    assert second[1] is False
    assert decode_fields_v1(canonical) == first


def test_encoded_fields_are_a_new_tree_each_time() -> None:
    fields = FieldSet.of([("f:status", "f:phase"), ("f:metadata", "f:labels", "f:app")])
    first = to_fields_v1(fields)
    first["f:status"]["f:changed"] = {}
    assert to_fields_v1(fields) == {
        "f:metadata": {"f:labels": {"f:app": {}}},
        "f:status": {"f:phase": {}},
    }
