"""Field selector parsing, matching, escaping and canonical strings."""

from __future__ import annotations

import pytest

from kubeling.api import fields
from kubeling.api.fields import FieldSelectorParseError


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("", ""),
        ("metadata.name=x", "metadata.name=x"),
        ("metadata.name==x", "metadata.name=x"),
        ("status.phase!=Running,metadata.name=x", "metadata.name=x,status.phase!=Running"),
        ("a=,b!=", "a=,b!="),
        (",a=b,", "a=b"),
        ("a=x\\,y\\=z\\\\", "a=x\\,y\\=z\\\\"),
        ("=", ""),
        ("a=b!\\=c", "a=b!\\=c"),
        ("a!=b", "a!=b"),
    ],
)
def test_canonical_string(text: str, canonical: str) -> None:
    """Terms sort as raw strings and values are re-escaped."""
    assert str(fields.parse(text)) == canonical


@pytest.mark.parametrize(
    ("text", "object_fields", "matches"),
    [
        ("metadata.name=x", {"metadata.name": "x"}, True),
        ("metadata.name=x", {"metadata.name": "y"}, False),
        ("status.phase!=Running", {"status.phase": "Pending"}, True),
        ("status.phase!=Running", {"status.phase": "Running"}, False),
        ("spec.nodeName=", {}, True),
        ("spec.nodeName!=", {}, False),
        ("a=x\\,y", {"a": "x,y"}, True),
        ("a=1,b=2", {"a": "1", "b": "3"}, False),
        ("", {"anything": "x"}, True),
    ],
)
def test_matches(text: str, object_fields: dict[str, str], matches: bool) -> None:
    """Every term must hold; a missing field has the value ""."""
    assert fields.parse(text).matches(object_fields) is matches


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("status.phase", "invalid selector: 'status.phase'; can't understand 'status.phase'"),
        ("a=b,c", "invalid selector: 'a=b,c'; can't understand 'c'"),
        ("a=b=c", "invalid field selector: unescaped character in value: 61"),
        ("a=b\\", "invalid field selector: invalid escape sequence: \\"),
        ("a=b\\x", "invalid field selector: invalid escape sequence: \\x"),
    ],
)
def test_parse_errors(text: str, message: str) -> None:
    """Malformed selectors raise with apimachinery's messages."""
    with pytest.raises(FieldSelectorParseError) as info:
        fields.parse(text)
    assert str(info.value) == message


def test_sentinels() -> None:
    """everything() matches all and is empty; nothing() matches none."""
    assert fields.everything().matches({})
    assert fields.everything().is_empty()
    assert not fields.nothing().matches({})
    assert not fields.nothing().is_empty()
    assert str(fields.nothing()) == ""
    assert fields.parse("").is_empty()


@pytest.mark.parametrize(
    ("value", "escaped"), [("a", "a"), ("a,b", "a\\,b"), ("a=b", "a\\=b"), ("a\\b", "a\\\\b")]
)
def test_escape_round_trip(value: str, escaped: str) -> None:
    """escape_value and unescape_value are inverses."""
    assert fields.escape_value(value) == escaped
    assert fields.unescape_value(escaped) == value


def test_requires_exact_match() -> None:
    """Only an "=" term pins a field."""
    selector = fields.parse("metadata.name=x,spec.nodeName!=n")
    assert selector.requires_exact_match("metadata.name") == "x"
    assert selector.requires_exact_match("spec.nodeName") is None


def test_transform_rewrites_and_drops_terms() -> None:
    """transform renames fields; a term mapped to ("", "") disappears."""
    selector = fields.parse("host=n1,drop=me")

    def rename(name: str, value: str) -> tuple[str, str]:
        return ("", "") if name == "drop" else ("spec.nodeName", value)

    assert str(selector.transform(rename)) == "spec.nodeName=n1"


def test_selector_from_set() -> None:
    """A set becomes "=" terms; None is everything."""
    assert str(fields.selector_from_set({"b": "2", "a": "1"})) == "a=1,b=2"
    assert fields.selector_from_set(None).is_empty()
    assert str(fields.one_term_equal_selector("metadata.name", "a,b")) == "metadata.name=a\\,b"
