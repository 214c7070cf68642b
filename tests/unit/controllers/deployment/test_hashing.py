"""The pod-template-hash: FNV-1a, the collision count, the safe alphabet."""

from __future__ import annotations

import json
import re

import pytest

from kubeling.controllers.deployment.hashing import compute_hash, fnv32a, safe_encode_string
from tests.unit.controllers.deployment.builders import template


@pytest.mark.parametrize(
    ("data", "expected"),
    [(b"", 0x811C9DC5), (b"a", 0xE40C292C), (b"foobar", 0xBF9CF968)],  # FNV-1a test vectors
)
def test_fnv32a(data: bytes, expected: int) -> None:
    assert fnv32a(data) == expected


def test_fnv32a_continues_from_a_sum() -> None:
    assert fnv32a(b"bar", fnv32a(b"foo")) == fnv32a(b"foobar")


def test_safe_encode_string_maps_digits_as_rand_does() -> None:
    assert safe_encode_string("0123456789") == "456789bcdf"
    assert safe_encode_string("") == ""


def _canonical_sum(obj: object) -> int:
    return fnv32a(json.dumps(obj, sort_keys=True, separators=(",", ":")).encode())


def test_the_hash_is_fnv_of_the_canonical_template_in_the_safe_alphabet() -> None:
    plain = template("v1", app="web")
    assert compute_hash(plain, None) == safe_encode_string(str(_canonical_sum(plain)))
    assert re.fullmatch(r"[4-9bcdf]{1,10}", compute_hash(plain, None))


def test_the_collision_count_follows_as_eight_little_endian_bytes() -> None:
    plain = template("v1", app="web")
    after = fnv32a(b"\x05\x00\x00\x00\x00\x00\x00\x00", _canonical_sum(plain))
    assert compute_hash(plain, 5) == safe_encode_string(str(after))
    # A count of 0 is hashed too (unlike no count); the count is a uint32.
    assert len({compute_hash(plain, count) for count in (None, 0, 1, 2)}) == 4
    assert compute_hash(plain, 2**32 + 1) == compute_hash(plain, 1)


def test_equal_templates_hash_alike_whatever_their_key_order_and_empty_fields() -> None:
    plain = template("v1", app="web")
    noisy = {
        "spec": {**plain["spec"], "volumes": []},
        "metadata": {"creationTimestamp": None, "annotations": {}, **plain["metadata"]},
    }
    assert compute_hash(noisy, None) == compute_hash(plain, None)
    assert compute_hash(template("v2", app="web"), None) != compute_hash(plain, None)
