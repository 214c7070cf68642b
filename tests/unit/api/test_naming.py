"""DNS-1123 / DNS-1035 / qualified-name validators and generateName."""

from __future__ import annotations

import random

import pytest

from kubeling.api import naming

SUBDOMAIN_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used "
    "for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)
LABEL_MSG = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and "
    "must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex "
    "used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
)
DNS1035_MSG = (
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an "
    "alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or "
    "'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"
)
NAME_PART_MSG = (
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end "
    "with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used "
    "for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
)
LABEL_VALUE_MSG = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or "
    "'my_value',  or '12345', regex used for validation is "
    "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("example.com", []),
        ("a", []),
        ("a-b.c-d", []),
        ("a" * 253, []),
        ("Example.com", [SUBDOMAIN_MSG]),
        ("-a", [SUBDOMAIN_MSG]),
        ("a..b", [SUBDOMAIN_MSG]),
        ("a\n", [SUBDOMAIN_MSG]),
        ("", [SUBDOMAIN_MSG]),
        ("a" * 254, ["must be no more than 253 characters"]),
        ("A" * 254, ["must be no more than 253 characters", SUBDOMAIN_MSG]),
    ],
)
def test_dns1123_subdomain(value: str, expected: list[str]) -> None:
    """Subdomains: lowercase alphanumerics, '-', '.', at most 253 characters."""
    assert naming.is_dns1123_subdomain(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("my-name", []),
        ("123-abc", []),
        ("a.b", ["must not contain dots"]),
        ("my_name", [LABEL_MSG]),
        ("a-", [LABEL_MSG]),
        ("a" * 64, ["must be no more than 63 characters"]),
    ],
)
def test_dns1123_label(value: str, expected: list[str]) -> None:
    """Labels: no dots (with a dedicated message), at most 63 characters."""
    assert naming.is_dns1123_label(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("my-name", []),
        ("abc-123", []),
        ("1abc", [DNS1035_MSG]),
        ("a" * 64, ["must be no more than 63 characters"]),
    ],
)
def test_dns1035_label(value: str, expected: list[str]) -> None:
    """DNS-1035 labels must start with a letter."""
    assert naming.is_dns1035_label(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("app", []),
        ("MyName", []),
        ("app.kubernetes.io/name", []),
        ("example.com/My_Name-1", []),
        ("-app", [NAME_PART_MSG]),
        ("", ["name part must be non-empty", NAME_PART_MSG]),
        ("/app", ["prefix part must be non-empty"]),
        ("Example.com/app", ["prefix part " + SUBDOMAIN_MSG]),
        ("a" * 64, ["name part must be no more than 63 characters"]),
        (
            "a/b/c",
            [
                "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and "
                "must start and end with an alphanumeric character (e.g. 'MyName',  or "
                "'my.name',  or '123-abc', regex used for validation is "
                "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain "
                "prefix and '/' (e.g. 'example.com/MyName')"
            ],
        ),
    ],
)
def test_qualified_name(value: str, expected: list[str]) -> None:
    """Qualified names: optional DNS prefix and a 63-character name part."""
    assert naming.is_qualified_name(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", []),
        ("my_value", []),
        ("12345", []),
        ("-x", [LABEL_VALUE_MSG]),
        ("a b", [LABEL_VALUE_MSG]),
        ("a" * 64, ["must be no more than 63 characters"]),
    ],
)
def test_label_value(value: str, expected: list[str]) -> None:
    """Label values: empty or a 63-character qualified-name-like string."""
    assert naming.is_valid_label_value(value) == expected


@pytest.mark.parametrize(
    ("name", "prefix", "valid"),
    [
        ("web-", True, True),
        ("web-", False, False),
        ("-", True, False),
        ("a-", True, True),
        ("Web", True, False),
    ],
)
def test_generate_name_prefix_may_end_with_dash(name: str, prefix: bool, valid: bool) -> None:
    """A generateName prefix may end in '-' because a suffix will follow."""
    assert (naming.name_is_dns_subdomain(name, prefix=prefix) == []) is valid
    assert (naming.name_is_dns_label(name, prefix=prefix) == []) is valid


def test_generate_name_uses_the_kubernetes_alphabet() -> None:
    """The suffix is 5 characters from Kubernetes' vowel-free alphabet."""
    name = naming.generate_name("web-", rng=random.Random(7))
    assert name.startswith("web-")
    assert len(name) == 9
    assert set(name[4:]) <= set("bcdfghjklmnpqrstvwxz2456789")


def test_generate_name_is_deterministic_with_a_seeded_rng() -> None:
    """The same seed gives the same name; different seeds almost surely differ."""
    first = naming.generate_name("a-", rng=random.Random(1))
    assert first == naming.generate_name("a-", rng=random.Random(1))
    assert first != naming.generate_name("a-", rng=random.Random(2))


@pytest.mark.parametrize(("length", "kept"), [(10, 10), (58, 58), (59, 58), (300, 58)])
def test_generate_name_truncates_base_to_58(length: int, kept: int) -> None:
    """A long base is cut to 58 characters so that the name fits 63."""
    name = naming.generate_name("x" * length)
    assert name[:kept] == "x" * kept
    assert len(name) == kept + 5
