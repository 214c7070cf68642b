"""Name formats (DNS-1123, DNS-1035, qualified names, label values) and generateName.

Every validator returns the list of *all* rules the value breaks, as message
strings, and an empty list when it is valid (apimachinery's
``util/validation`` convention); the caller wraps them into ``FieldError``s.
The messages, regexes and example lists are the ones Kubernetes prints, down to
the doubled space ``RegexError`` leaves between examples (``'MyName',  or``).

Lengths count bytes of UTF-8, as Go's ``len`` does; any non-ASCII character
fails the regexes anyway.

``generate_name`` takes its randomness as an argument so that tests can pin it.
"""

from __future__ import annotations

import random
import re
from typing import Final

__all__ = [
    "DNS1035_LABEL_MAX_LENGTH",
    "DNS1123_LABEL_MAX_LENGTH",
    "DNS1123_SUBDOMAIN_MAX_LENGTH",
    "LABEL_VALUE_MAX_LENGTH",
    "MAX_GENERATED_NAME_LENGTH",
    "QUALIFIED_NAME_MAX_LENGTH",
    "empty_error",
    "generate_name",
    "is_dns1035_label",
    "is_dns1123_label",
    "is_dns1123_subdomain",
    "is_qualified_name",
    "is_valid_label_value",
    "max_len_error",
    "name_is_dns1035_label",
    "name_is_dns_label",
    "name_is_dns_subdomain",
    "name_is_path_segment",
    "regex_error",
]

DNS1123_LABEL_MAX_LENGTH: Final = 63
DNS1123_SUBDOMAIN_MAX_LENGTH: Final = 253
DNS1035_LABEL_MAX_LENGTH: Final = 63
QUALIFIED_NAME_MAX_LENGTH: Final = 63
LABEL_VALUE_MAX_LENGTH: Final = 63

_DNS1123_LABEL_FMT: Final = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS1123_LABEL_MSG: Final = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
    "and must start and end with an alphanumeric character"
)
_DNS1123_SUBDOMAIN_FMT: Final = _DNS1123_LABEL_FMT + "(\\." + _DNS1123_LABEL_FMT + ")*"
_DNS1123_SUBDOMAIN_MSG: Final = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, "
    "'-' or '.', and must start and end with an alphanumeric character"
)
_DNS1035_LABEL_FMT: Final = "[a-z]([-a-z0-9]*[a-z0-9])?"
_DNS1035_LABEL_MSG: Final = (
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', "
    "start with an alphabetic character, and end with an alphanumeric character"
)
_QUALIFIED_NAME_FMT: Final = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
_QUALIFIED_NAME_MSG: Final = (
    "must consist of alphanumeric characters, '-', '_' or '.', "
    "and must start and end with an alphanumeric character"
)
_LABEL_VALUE_FMT: Final = "(" + _QUALIFIED_NAME_FMT + ")?"
_LABEL_VALUE_MSG: Final = (
    "a valid label must be an empty string or consist of alphanumeric characters, "
    "'-', '_' or '.', and must start and end with an alphanumeric character"
)


def _full(pattern: str) -> re.Pattern[str]:
    # \Z rather than $: Go's $ (without the m flag) does not match before a final newline.
    return re.compile("^" + pattern + r"\Z")


_DNS1123_LABEL_RE: Final = _full(_DNS1123_LABEL_FMT)
_DNS1123_SUBDOMAIN_RE: Final = _full(_DNS1123_SUBDOMAIN_FMT)
_DNS1035_LABEL_RE: Final = _full(_DNS1035_LABEL_FMT)
_QUALIFIED_NAME_RE: Final = _full(_QUALIFIED_NAME_FMT)
_LABEL_VALUE_RE: Final = _full(_LABEL_VALUE_FMT)


def _byte_len(value: str) -> int:
    return len(value.encode("utf-8", "surrogatepass"))


def max_len_error(length: int) -> str:
    """``must be no more than 63 characters``."""
    return f"must be no more than {length} characters"


def empty_error() -> str:
    """``must be non-empty``."""
    return "must be non-empty"


def regex_error(message: str, fmt: str, *examples: str) -> str:
    """A regex failure with examples, in upstream's exact (oddly spaced) form.

    >>> regex_error("bad", "[a-z]+", "ab", "cd")
    "bad (e.g. 'ab',  or 'cd', regex used for validation is '[a-z]+')"
    """
    if not examples:
        return f"{message} (regex used for validation is '{fmt}')"
    listed = " or ".join(f"'{example}', " for example in examples)
    return f"{message} (e.g. {listed}regex used for validation is '{fmt}')"


def is_dns1123_label(value: str) -> list[str]:
    """Check an RFC 1123 label (namespace names, most label-like names).

    >>> is_dns1123_label("my-name"), is_dns1123_label("a.b")
    ([], ['must not contain dots'])
    """
    errs: list[str] = []
    if _byte_len(value) > DNS1123_LABEL_MAX_LENGTH:
        errs.append(max_len_error(DNS1123_LABEL_MAX_LENGTH))
    if not _DNS1123_LABEL_RE.match(value):
        if _DNS1123_SUBDOMAIN_RE.match(value):
            # A valid subdomain but not a label: the length is checked above, so it is the dots.
            errs.append("must not contain dots")
        else:
            errs.append(regex_error(_DNS1123_LABEL_MSG, _DNS1123_LABEL_FMT, "my-name", "123-abc"))
    return errs


def is_dns1123_subdomain(value: str) -> list[str]:
    """Check an RFC 1123 subdomain (most object names).

    >>> is_dns1123_subdomain("example.com")
    []
    """
    errs: list[str] = []
    if _byte_len(value) > DNS1123_SUBDOMAIN_MAX_LENGTH:
        errs.append(max_len_error(DNS1123_SUBDOMAIN_MAX_LENGTH))
    if not _DNS1123_SUBDOMAIN_RE.match(value):
        errs.append(regex_error(_DNS1123_SUBDOMAIN_MSG, _DNS1123_SUBDOMAIN_FMT, "example.com"))
    return errs


def is_dns1035_label(value: str) -> list[str]:
    """Check an RFC 1035 label (service names: must start with a letter).

    >>> is_dns1035_label("abc-123")
    []
    """
    errs: list[str] = []
    if _byte_len(value) > DNS1035_LABEL_MAX_LENGTH:
        errs.append(max_len_error(DNS1035_LABEL_MAX_LENGTH))
    if not _DNS1035_LABEL_RE.match(value):
        errs.append(regex_error(_DNS1035_LABEL_MSG, _DNS1035_LABEL_FMT, "my-name", "abc-123"))
    return errs


def is_qualified_name(value: str) -> list[str]:
    """Check a qualified name: ``[DNS-subdomain prefix "/"] name`` (label and annotation keys).

    Rules: (1) at most one ``/``; (2) a prefix, if present, is a non-empty
    DNS-1123 subdomain; (3) the name part is non-empty, at most 63 characters
    and matches the qualified-name regex.

    >>> is_qualified_name("example.com/MyName")
    []
    """
    errs: list[str] = []
    parts = value.split("/")
    if len(parts) == 1:
        name = parts[0]
    elif len(parts) == 2:
        prefix, name = parts
        if not prefix:
            errs.append("prefix part " + empty_error())
        else:
            errs.extend("prefix part " + msg for msg in is_dns1123_subdomain(prefix))
    else:
        return [
            "a qualified name "
            + regex_error(_QUALIFIED_NAME_MSG, _QUALIFIED_NAME_FMT, "MyName", "my.name", "123-abc")
            + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
        ]
    if not name:
        errs.append("name part " + empty_error())
    elif _byte_len(name) > QUALIFIED_NAME_MAX_LENGTH:
        errs.append("name part " + max_len_error(QUALIFIED_NAME_MAX_LENGTH))
    if not _QUALIFIED_NAME_RE.match(name):
        errs.append(
            "name part "
            + regex_error(_QUALIFIED_NAME_MSG, _QUALIFIED_NAME_FMT, "MyName", "my.name", "123-abc")
        )
    return errs


def is_valid_label_value(value: str) -> list[str]:
    """Check a label value: empty, or at most 63 qualified-name characters.

    >>> is_valid_label_value(""), is_valid_label_value("my_value")
    ([], [])
    """
    errs: list[str] = []
    if _byte_len(value) > LABEL_VALUE_MAX_LENGTH:
        errs.append(max_len_error(LABEL_VALUE_MAX_LENGTH))
    if not _LABEL_VALUE_RE.match(value):
        errs.append(regex_error(_LABEL_VALUE_MSG, _LABEL_VALUE_FMT, "MyValue", "my_value", "12345"))
    return errs


def _mask_trailing_dash(name: str) -> str:
    # Upstream replaces the last *two* characters with "a" (a quirk kept on purpose):
    # the point is only that a trailing dash must not end the checked string.
    if len(name) > 1 and name.endswith("-"):
        return name[:-2] + "a"
    return name


def name_is_dns_subdomain(name: str, *, prefix: bool) -> list[str]:
    """Validate an object name (or, with ``prefix``, a ``generateName``) as a DNS subdomain.

    >>> name_is_dns_subdomain("web-", prefix=True)
    []
    """
    return is_dns1123_subdomain(_mask_trailing_dash(name) if prefix else name)


def name_is_dns_label(name: str, *, prefix: bool) -> list[str]:
    """Validate an object name (or ``generateName``) as a DNS-1123 label."""
    return is_dns1123_label(_mask_trailing_dash(name) if prefix else name)


def name_is_dns1035_label(name: str, *, prefix: bool) -> list[str]:
    """Validate an object name (or ``generateName``) as a DNS-1035 label."""
    return is_dns1035_label(_mask_trailing_dash(name) if prefix else name)


def name_is_path_segment(name: str, *, prefix: bool) -> list[str]:
    """``path.ValidatePathSegmentName``: any name that is one URL path segment.

    >>> name_is_path_segment("a/b", prefix=False), name_is_path_segment("..", prefix=False)
    (["may not contain '/'"], ["may not be '..'"])
    """
    if not prefix and name in (".", ".."):
        return [f"may not be '{name}'"]
    return [f"may not contain '{bad}'" for bad in ("/", "%") if bad in name]


# The apiserver's names.SimpleNameGenerator: 5 characters from an alphabet
# without vowels (no accidental words) or look-alikes (0/o, 1/l, 3/e).
_ALPHABET: Final = "bcdfghjklmnpqrstvwxz2456789"
_RANDOM_LENGTH: Final = 5
MAX_GENERATED_NAME_LENGTH: Final = DNS1123_LABEL_MAX_LENGTH - _RANDOM_LENGTH

_SYSTEM_RANDOM: Final = random.SystemRandom()


def generate_name(base: str, *, rng: random.Random | None = None) -> str:
    """``generateName`` + 5 random characters, the base cut to 58 so the result fits 63.

    >>> len(generate_name("web-")), generate_name("x" * 70)[:58] == "x" * 58
    (9, True)
    """
    if len(base) > MAX_GENERATED_NAME_LENGTH:
        base = base[:MAX_GENERATED_NAME_LENGTH]
    source = rng if rng is not None else _SYSTEM_RANDOM
    return base + "".join(source.choice(_ALPHABET) for _ in range(_RANDOM_LENGTH))
