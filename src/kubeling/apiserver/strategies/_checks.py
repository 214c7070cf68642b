"""Small field checks shared by the strategies.

These are the apimachinery ``util/validation`` helpers that ``naming`` does
not cover yet (port numbers and names, config keys, IP addresses), plus safe
accessors for the plain JSON dicts strategies work on. Every check returns the
messages Kubernetes prints, as ``naming`` does, and never raises.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping, Sequence
from typing import Any, Final

from kubeling.api import naming
from kubeling.api.field import FieldError, FieldPath, forbidden, invalid, not_supported, required
from kubeling.api.quantity import Quantity, QuantityParseError, parse_quantity

__all__ = [
    "MAX_SECRET_SIZE",
    "PROTOCOLS",
    "TAINT_EFFECTS",
    "as_list",
    "as_map",
    "dns_label_errors",
    "go_string_slice",
    "inclusive_range_error",
    "is_config_map_key",
    "is_valid_ip",
    "is_valid_port_name",
    "is_valid_port_num",
    "nonnegative",
    "one_volume_source_errors",
    "quantity_of",
    "required_one_of",
    "validate_port_num_or_name",
]

MAX_SECRET_SIZE: Final = 1024 * 1024
"""1 MiB: the most a Secret's or a ConfigMap's data may hold (``core.MaxSecretSize``)."""

PROTOCOLS: Final = ("SCTP", "TCP", "UDP")
"""A port's ``protocol`` (container, service and endpoints ports alike)."""

TAINT_EFFECTS: Final = ("NoSchedule", "PreferNoSchedule", "NoExecute")
"""A node taint's ``effect``, also what a pod's tolerations may name."""

_CONFIG_KEY_FMT: Final = "[-._a-zA-Z0-9]+"
_CONFIG_KEY_RE: Final = re.compile("^" + _CONFIG_KEY_FMT + r"\Z")
_CONFIG_KEY_MSG: Final = (
    "a valid config key must consist of alphanumeric characters, '-', '_' or '.'"
)

_PORT_NAME_CHARS: Final = re.compile(r"^[-a-z0-9]+\Z")
_PORT_NAME_LETTER: Final = re.compile(r"[a-z]")


def as_map(value: object) -> Mapping[str, Any]:
    """``value`` if it is a JSON object, else an empty one."""
    return value if isinstance(value, Mapping) else {}


def as_list(value: object) -> list[Any]:
    """``value`` if it is a JSON array, else an empty one."""
    return value if isinstance(value, list) else []


def as_strings(value: object) -> list[str]:
    """The items of a JSON array as strings (none if it is not an array)."""
    return [str(v) for v in as_list(value)]


def inclusive_range_error(low: int, high: int) -> str:
    """``must be between 1 and 65535, inclusive``."""
    return f"must be between {low} and {high}, inclusive"


def is_valid_port_num(port: object) -> list[str]:
    """A TCP/UDP port number: 1-65535.

    >>> is_valid_port_num(80), is_valid_port_num(0)
    ([], ['must be between 1 and 65535, inclusive'])
    """
    if isinstance(port, int) and not isinstance(port, bool) and 1 <= port <= 65535:
        return []
    return [inclusive_range_error(1, 65535)]


def is_valid_port_name(name: str) -> list[str]:
    """An IANA_SVC_NAME: at most 15 of ``[-a-z0-9]``, a letter, no ``--``, no edge ``-``.

    >>> is_valid_port_name("http"), is_valid_port_name("80")
    ([], ['must contain at least one letter (a-z)'])
    """
    errs: list[str] = []
    if len(name) > 15:
        errs.append("must be no more than 15 characters")
    if not _PORT_NAME_CHARS.match(name):
        errs.append("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)")
    if not _PORT_NAME_LETTER.search(name):
        errs.append("must contain at least one letter (a-z)")
    if "--" in name:
        errs.append("must not contain consecutive hyphens")
    if name.startswith("-") or name.endswith("-"):
        errs.append("must not begin or end with a hyphen")
    return errs


def validate_port_num_or_name(value: object, path: FieldPath) -> list[FieldError]:
    """An IntOrString port: a valid number or a valid name (``targetPort``, probes)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return [invalid(path, value, msg) for msg in is_valid_port_num(value)]
    if isinstance(value, str):
        if not value:
            return [required(path, "")]
        return [invalid(path, value, msg) for msg in is_valid_port_name(value)]
    return [invalid(path, value, "must contain an int or a string")]


def is_config_map_key(key: str) -> list[str]:
    """A ConfigMap or Secret data key.

    >>> is_config_map_key("app.properties"), is_config_map_key("..a")
    ([], ["must not start with '..'"])
    """
    errs: list[str] = []
    if len(key.encode()) > naming.DNS1123_SUBDOMAIN_MAX_LENGTH:
        errs.append(naming.max_len_error(naming.DNS1123_SUBDOMAIN_MAX_LENGTH))
    if not _CONFIG_KEY_RE.match(key):
        errs.append(
            naming.regex_error(_CONFIG_KEY_MSG, _CONFIG_KEY_FMT, "key.name", "KEY_NAME", "key-name")
        )
    if key == ".":
        errs.append("must not be '.'")
    elif key == "..":
        errs.append("must not be '..'")
    elif key.startswith(".."):
        errs.append("must not start with '..'")
    return errs


def is_valid_ip(value: str) -> list[str]:
    """An IPv4 or IPv6 address.

    >>> is_valid_ip("10.0.0.1"), is_valid_ip("nope")
    ([], ['must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)'])
    """
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return ["must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"]
    return []


def dns_label_errors(value: str, path: FieldPath) -> list[FieldError]:
    """``ValidateDNS1123Label``: one Invalid per broken rule."""
    return [invalid(path, value, msg) for msg in naming.is_dns1123_label(value)]


def nonnegative(value: object, path: FieldPath) -> list[FieldError]:
    """``must be greater than or equal to 0`` for a negative integer."""
    if isinstance(value, int) and not isinstance(value, bool) and value < 0:
        return [invalid(path, value, "must be greater than or equal to 0")]
    return []


def required_one_of(value: object, path: FieldPath, allowed: Sequence[str]) -> list[FieldError]:
    """A required enum: ``Required value`` when empty, ``Unsupported value`` when not allowed.

    >>> print(required_one_of("", FieldPath("spec", "type"), ("A", "B"))[0])
    spec.type: Required value
    >>> print(required_one_of("C", FieldPath("spec", "type"), ("A", "B"))[0])
    spec.type: Unsupported value: "C": supported values: "A", "B"
    """
    if not value:
        return [required(path, "")]
    if value not in allowed:
        return [not_supported(path, value, allowed)]
    return []


def one_volume_source_errors(
    body: Mapping[str, Any], sources: Sequence[str], path: FieldPath
) -> list[FieldError]:
    """A volume (or a PersistentVolume's spec) sets exactly one of ``sources``.

    >>> sources, spec = ("nfs", "csi"), FieldPath("spec")
    >>> [str(e) for e in one_volume_source_errors({}, sources, spec)]
    ['spec: Required value: must specify a volume type']
    >>> [str(e) for e in one_volume_source_errors({"nfs": {}, "csi": {}}, sources, spec)]
    ['spec.csi: Forbidden: may not specify more than 1 volume type']
    """
    present = [source for source in sources if body.get(source) is not None]
    if not present:
        return [required(path, "must specify a volume type")]
    if len(present) > 1:
        return [forbidden(path.child(present[1]), "may not specify more than 1 volume type")]
    return []


def quantity_of(value: object) -> Quantity | None:
    """A resource quantity from its JSON form (string or number), or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        value = str(value)
    if not isinstance(value, str):
        return None
    try:
        return parse_quantity(value)
    except QuantityParseError:
        return None


class _GoStringSlice:
    """Renders as Go's ``%#v`` of a ``[]string`` (``[]string{"a"}``) in field errors.

    Upstream's allocator errors carry ``spec.clusterIPs`` itself as the bad
    value; ``FieldError`` prints what it cannot encode as JSON with ``str``.
    """

    def __init__(self, items: Sequence[str], type_name: str) -> None:
        self.items = tuple(items)
        self.type_name = type_name

    def __str__(self) -> str:
        quoted = ", ".join('"' + item + '"' for item in self.items)
        return f"[]{self.type_name}{{{quoted}}}"

    def __repr__(self) -> str:
        return str(self)

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, _GoStringSlice)
            and other.items == self.items
            and other.type_name == self.type_name
        )

    def __hash__(self) -> int:
        return hash(self.items)


def go_string_slice(items: Sequence[str], type_name: str = "string") -> object:
    """A bad value that prints as ``[]string{"10.96.0.10"}``, as upstream's does;
    ``type_name`` names a string type (``admissionregistration.OperationType``).

    >>> str(go_string_slice(["*", "CREATE"], "admissionregistration.OperationType"))
    '[]admissionregistration.OperationType{"*", "CREATE"}'
    """
    return _GoStringSlice(items, type_name)
