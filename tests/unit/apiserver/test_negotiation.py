"""Accept and Accept-Encoding read as goautoneg and gziphandler read them."""

from __future__ import annotations

import pytest

from kubeling.apiserver.negotiation import accepts_gzip, etag_matches, negotiate, parse_accept


@pytest.mark.parametrize(
    ("header", "clauses"),
    [
        ("*", ["*/*;1.0"]),
        ("application", []),  # no "/": dropped
        ("a/b/c", []),
        ("a/b; q=0.5; v=1", ["a/b;0.5"]),
        ("a/b;q=x", ["a/b;0.0"]),  # unparsable q: 0
        ("a/b;q= 1", ["a/b;0.0"]),  # Go's ParseFloat takes no spaces
        ("*/*, a/*, a/b", ["a/b;1.0", "a/*;1.0", "*/*;1.0"]),
        ("a/b;q=0.1, c/d;q=0.9, */*;q=0.5", ["c/d;0.9", "*/*;0.5", "a/b;0.1"]),
    ],
)
def test_parse_accept(header: str, clauses: list[str]) -> None:
    assert [f"{c.type}/{c.subtype};{c.q}" for c in parse_accept(header)] == clauses


def test_parse_accept_keeps_parameters() -> None:
    (clause,) = parse_accept("application/json;as=Table;v=v1 ;g=meta.k8s.io")
    assert clause.params == {"as": "Table", "v": "v1", "g": "meta.k8s.io"}


OFFERS = [("application", "json"), ("application", "x+protobuf")]


@pytest.mark.parametrize(
    ("header", "choice"),
    [
        ("", 0),
        ("application/x+protobuf", 1),
        ("application/x+protobuf;q=0", 1),  # upstream does not skip q=0 clauses
        ("text/*, application/*", 0),
        ("text/plain", None),
        ("Application/JSON", None),  # compared as written
    ],
)
def test_negotiate(header: str, choice: int | None) -> None:
    assert negotiate(header, OFFERS) == choice


@pytest.mark.parametrize(
    ("header", "gzip"),
    [
        ("", False),
        ("gzip, deflate, br", True),
        ("GZip", True),
        ("gzip;q=0", False),
        ("gzip;q=0, gzip", True),  # the last listing wins
        ("gzip;q=0;level=1", True),  # q counts only as the last parameter
        ("gzip;q=bad", False),
        ("identity, *", False),  # gziphandler does not read "*"
    ],
)
def test_accepts_gzip(header: str, gzip: bool) -> None:
    assert accepts_gzip(header) is gzip


def test_etag_matches() -> None:
    assert etag_matches('W/"A"', '"A"')
    assert not etag_matches('"a"', '"A"')
    assert not etag_matches("", '"A"')
