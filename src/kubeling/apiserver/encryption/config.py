"""Reading and validating an EncryptionConfiguration (``--encryption-provider-config``).

The file is ``apiserver.config.k8s.io/v1`` ``EncryptionConfiguration``, in
YAML or JSON, decoded strictly (an unknown field is an error) and validated
with kube-apiserver 1.32's rules and messages (``ValidateEncryptionConfiguration``):

1. ``resources`` has at least one entry; each has at least one resource and
   one provider.
2. A resource is ``<resource>``, ``<resource>.<group>``, ``*.<group>``,
   ``*.`` (the core group) or ``*.*``; no capitals, no bare ``*``, no
   ``<resource>.*``, no ``events.k8s.io`` or ``extensions`` group, none of
   the allocator records; no duplicates or overlaps within one entry.
3. Each provider names exactly one of aesgcm, aescbc, secretbox, identity,
   kms. Keys have a name and a base64 secret of 16, 24 or 32 bytes (aesgcm,
   aescbc) or 32 bytes (secretbox); a KMS provider has a name, a ``unix://``
   endpoint, API version v1 or v2 and a positive timeout.

Errors read as Kubernetes prints them (``error while parsing file: ...``);
secrets print as ``REDACTED``. Key secrets never appear in a ``repr``.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from kubeling.api.field import FieldError, FieldPath, aggregate_message, invalid, required

__all__ = [
    "API_VERSION",
    "KIND",
    "EncryptionConfigError",
    "EncryptionConfiguration",
    "Key",
    "Provider",
    "ResourceConfiguration",
    "load_config",
    "parse_config",
    "parse_group_resource",
    "validate",
]

API_VERSION = "apiserver.config.k8s.io/v1"
KIND = "EncryptionConfiguration"
PROVIDER_KINDS = ("aesgcm", "aescbc", "secretbox", "identity", "kms")
AES_KEY_SIZES = (16, 24, 32)
SECRETBOX_KEY_SIZES = (32,)
_NON_REST = ("apiserveripinfo", "serviceipallocations", "servicenodeportallocations")
_GO_TYPES = {
    "aesgcm": "AESGCM:(*apiserver.AESConfiguration)",
    "aescbc": "AESCBC:(*apiserver.AESConfiguration)",
    "secretbox": "Secretbox:(*apiserver.SecretboxConfiguration)",
    "identity": "Identity:(*apiserver.IdentityConfiguration)",
    "kms": "KMS:(*apiserver.KMSConfiguration)",
}


class EncryptionConfigError(ValueError):
    """The file cannot be used: the message is kube-apiserver's (no secret in it)."""


@dataclass(frozen=True, slots=True)
class Key:
    """A named key; its secret is base64 and stays out of every repr."""

    name: str
    secret: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class Provider:
    """One provider entry: ``kinds`` lists what it names (exactly one when valid)."""

    kinds: tuple[str, ...]
    keys: tuple[Key, ...] = ()
    kms: Mapping[str, Any] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        return self.kinds[0] if self.kinds else ""


@dataclass(frozen=True, slots=True)
class ResourceConfiguration:
    resources: tuple[str, ...]
    providers: tuple[Provider, ...]


@dataclass(frozen=True, slots=True)
class EncryptionConfiguration:
    resources: tuple[ResourceConfiguration, ...]


def parse_group_resource(text: str) -> tuple[str, str]:
    """``(group, resource)`` as ``schema.ParseGroupResource`` splits it.

    >>> parse_group_resource("secrets"), parse_group_resource("*.apps"), parse_group_resource("*.")
    (('', 'secrets'), ('apps', '*'), ('', '*'))
    """
    resource, dot, group = text.partition(".")
    return (group, resource) if dot else ("", text)


def load_config(path: Path) -> EncryptionConfiguration:
    """Read, decode and validate the file; EncryptionConfigError with Kubernetes' message."""
    try:
        try:
            data = path.read_bytes()
        except OSError as err:
            raise EncryptionConfigError(
                f'error reading encryption provider configuration file "{path}": '
                f"open {path}: {(err.strerror or str(err)).lower()}"  # Go's lowercase errno text
            ) from None
        if not data:
            raise EncryptionConfigError(f'encryption provider configuration file "{path}" is empty')
        try:
            config = parse_config(data)
        except EncryptionConfigError as err:
            raise EncryptionConfigError(
                f'error decoding encryption provider configuration file "{path}": {err}'
            ) from None
        problems = validate(config)
        if problems:
            raise EncryptionConfigError(aggregate_message(str(p) for p in problems))
    except EncryptionConfigError as err:
        raise EncryptionConfigError(f"error while parsing file: {err}") from None
    return config


# -- decoding ---------------------------------------------------------------------


class _Decoder:
    """Strict decoding: unknown fields are collected, wrong types raise at once."""

    def __init__(self) -> None:
        self.unknown: list[str] = []

    def fields(self, value: Any, path: str, go_type: str, known: Sequence[str]) -> dict[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise EncryptionConfigError(
                f"json: cannot unmarshal {_json_type(value)} into Go value of type {go_type}"
            )
        for name in value:
            if name not in known:
                self.unknown.append(f"{path}.{name}" if path else str(name))
        return value

    @staticmethod
    def items(value: Any, go_field: str, go_type: str) -> list[Any]:
        if value is None:
            return []
        if not isinstance(value, list):
            raise EncryptionConfigError(
                f"json: cannot unmarshal {_json_type(value)} into Go struct field "
                f"{go_field} of type {go_type}"
            )
        return value

    @staticmethod
    def string(value: Any, go_field: str) -> str:
        if value is None:
            return ""
        if not isinstance(value, str):
            raise EncryptionConfigError(
                f"json: cannot unmarshal {_json_type(value)} into Go struct field "
                f"{go_field} of type string"
            )
        return value


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def parse_config(data: bytes) -> EncryptionConfiguration:
    """Decode YAML or JSON into an EncryptionConfiguration (not yet validated)."""
    try:
        document = yaml.safe_load(data)
    except (yaml.YAMLError, UnicodeDecodeError) as err:
        # the parser's message quotes the offending line, which may hold a key
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise EncryptionConfigError(
            f"error converting YAML to JSON: yaml: invalid YAML{where}"
        ) from None
    if not isinstance(document, dict):
        raise EncryptionConfigError("couldn't get version/kind; json parse error: not an object")
    kind, api_version = document.get("kind"), document.get("apiVersion")
    if not kind:
        raise EncryptionConfigError("Object 'Kind' is missing in the file")
    if api_version != API_VERSION or kind != KIND:
        raise EncryptionConfigError(
            f'no kind "{kind}" is registered for version "{api_version}" in scheme '
            '"k8s.io/apiserver/pkg/server/options/encryptionconfig/config.go"'
        )
    decoder = _Decoder()
    top = decoder.fields(
        document, "", "v1.EncryptionConfiguration", ("kind", "apiVersion", "resources")
    )
    entries = []
    for i, raw in enumerate(
        decoder.items(
            top.get("resources"), "EncryptionConfiguration.resources", "[]v1.ResourceConfiguration"
        )
    ):
        path = f"resources[{i}]"
        entry = decoder.fields(raw, path, "v1.ResourceConfiguration", ("resources", "providers"))
        names = tuple(
            decoder.string(name, "ResourceConfiguration.resources")
            for name in decoder.items(
                entry.get("resources"), "ResourceConfiguration.resources", "[]string"
            )
        )
        providers = tuple(
            _provider(decoder, raw_provider, f"{path}.providers[{j}]")
            for j, raw_provider in enumerate(
                decoder.items(
                    entry.get("providers"),
                    "ResourceConfiguration.providers",
                    "[]v1.ProviderConfiguration",
                )
            )
        )
        entries.append(ResourceConfiguration(names, providers))
    if decoder.unknown:
        raise EncryptionConfigError(
            "strict decoding error: " + ", ".join(f'unknown field "{f}"' for f in decoder.unknown)
        )
    return EncryptionConfiguration(tuple(entries))


def _provider(decoder: _Decoder, raw: Any, path: str) -> Provider:
    entry = decoder.fields(raw, path, "v1.ProviderConfiguration", PROVIDER_KINDS)
    kinds = tuple(kind for kind in PROVIDER_KINDS if kind in entry and entry[kind] is not None)
    keys: tuple[Key, ...] = ()
    kms: dict[str, Any] = {}
    for kind in kinds:
        if kind in ("aesgcm", "aescbc", "secretbox"):
            go = "AESConfiguration" if kind != "secretbox" else "SecretboxConfiguration"
            body = decoder.fields(entry[kind], f"{path}.{kind}", f"v1.{go}", ("keys",))
            parsed = []
            for k, raw_key in enumerate(decoder.items(body.get("keys"), f"{go}.keys", "[]v1.Key")):
                key = decoder.fields(
                    raw_key, f"{path}.{kind}.keys[{k}]", "v1.Key", ("name", "secret")
                )
                parsed.append(
                    Key(
                        decoder.string(key.get("name"), "Key.name"),
                        decoder.string(key.get("secret"), "Key.secret"),
                    )
                )
            if not keys:
                keys = tuple(parsed)
        elif kind == "identity":
            decoder.fields(entry[kind], f"{path}.identity", "v1.IdentityConfiguration", ())
        else:
            kms = decoder.fields(
                entry[kind],
                f"{path}.kms",
                "v1.KMSConfiguration",
                ("apiVersion", "name", "cachesize", "endpoint", "timeout"),
            )
    # Kubernetes reads the providers in this order when one entry names several
    ordered = tuple(k for k in ("kms", "aesgcm", "aescbc", "secretbox", "identity") if k in kinds)
    return Provider(ordered, keys, kms)


# -- validation -------------------------------------------------------------------


class _GoSyntax:
    """A value Kubernetes prints with ``%#v``: shown as given, unquoted."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __str__(self) -> str:
        return self.text


def _go_strings(values: Sequence[str]) -> _GoSyntax:
    return _GoSyntax("[]string{" + ", ".join(f'"{v}"' for v in values) + "}")


def _go_provider(provider: Provider) -> _GoSyntax:
    parts = [
        f"{_GO_TYPES[kind]}({'0xc000000000' if kind in provider.kinds else 'nil'})"
        for kind in ("aesgcm", "aescbc", "secretbox", "identity", "kms")
    ]
    return _GoSyntax("apiserver.ProviderConfiguration{" + ", ".join(parts) + "}")


def validate(config: EncryptionConfiguration) -> list[FieldError]:
    """Every problem of ``config``, in Kubernetes' order (see the module docstring)."""
    root = FieldPath("resources")
    if not config.resources:
        return [required(root, "at least one resources is required")]
    problems: list[FieldError] = []
    for i, entry in enumerate(config.resources):
        names_path = root.index(i).child("resources")
        providers_path = root.index(i).child("providers")
        if not entry.resources:
            problems.append(required(names_path, f"at least one {names_path} is required"))
        problems += _overlaps(entry.resources, names_path)
        problems += _resource_names(entry.resources, names_path)
        if not entry.providers:
            problems.append(required(providers_path, f"at least one {providers_path} is required"))
        for j, provider in enumerate(entry.providers):
            path = providers_path.index(j)
            if not provider.kinds:
                problems.append(
                    invalid(
                        path,
                        _go_provider(provider),
                        "provider does not contain any of the expected providers: "
                        "KMS, AESGCM, AESCBC, Secretbox, Identity",
                    )
                )
                continue
            if len(provider.kinds) > 1:
                problems.append(
                    invalid(
                        path,
                        _go_provider(provider),
                        "more than one provider specified in a single element, "
                        "should split into different list elements",
                    )
                )
            kind = provider.kind
            if kind == "kms":
                problems += _kms(provider.kms, path.child("kms"))
            elif kind in ("aesgcm", "aescbc"):
                problems += _keys(provider.keys, path.child(kind).child("keys"), AES_KEY_SIZES)
            elif kind == "secretbox":
                problems += _keys(
                    provider.keys, path.child(kind).child("keys"), SECRETBOX_KEY_SIZES
                )
    return problems


def _overlaps(resources: Sequence[str], path: FieldPath) -> list[FieldError]:
    if len(resources) < 2:
        return []
    parsed = [parse_group_resource(r) for r in resources]
    duplicate = overlap = False
    for i, (group1, resource1) in enumerate(parsed):
        for j, (group2, resource2) in enumerate(parsed):
            if i == j:
                continue
            if (group1, resource1) == (group2, resource2) and not duplicate:
                duplicate = True
                continue
            if overlap:
                continue
            any_resource = (group1, resource1) == ("*", "*")
            if any_resource or (group1 == group2 and "*" in (resource1, resource2)):
                overlap = True
    problems = []
    if duplicate:
        problems.append(
            invalid(
                path,
                _go_strings(resources),
                "the same resource cannot be specified multiple times",
            )
        )
    if overlap:
        problems.append(
            invalid(
                path,
                _go_strings(resources),
                "using overlapping resources such as 'secrets' and '*.' in the same resource "
                "list is not allowed as they will be masked",
            )
        )
    return problems


def _resource_names(resources: Sequence[str], path: FieldPath) -> list[FieldError]:
    problems = []
    for j, name in enumerate(resources):
        at = path.index(j)
        group, resource = parse_group_resource(name)
        if name.lower() != name:
            detail = "resource name should not contain capital letters"
        elif name == "*":
            detail = (
                "use '*.' to encrypt all the resources from core API group or *.* to encrypt "
                "all resources"
            )
        elif name in _NON_REST:
            detail = "resources which do not have REST API/s cannot be encrypted"
        elif group == "events.k8s.io":
            detail = (
                "'*.events.k8s.io' objects are stored using the 'events' API group in etcd. "
                "Use 'events' instead in the config file"
            )
        elif group == "extensions":
            detail = "'extensions' group has been removed and cannot be used for encryption"
        elif group == "*" and resource != "*":
            detail = "encrypting the same resource across groups is not supported"
        else:
            continue
        problems.append(invalid(at, name, detail))
    return problems


def _keys(keys: Sequence[Key], path: FieldPath, sizes: Sequence[int]) -> list[FieldError]:
    if not keys:
        return [required(path, "at least one keys is required")]
    problems = []
    for k, key in enumerate(keys):
        at = path.index(k)
        if not key.name:
            problems.append(required(at.child("name"), "name is a mandatory field for a key"))
        if not key.secret:
            problems.append(required(at.child("secret"), "secret is a mandatory field for a key"))
            continue
        secret = decode_secret(key.secret)
        if secret is None:
            problems.append(
                invalid(at.child("secret"), "REDACTED", "secrets must be base64 encoded")
            )
        elif len(secret) not in sizes:
            expected = "[" + " ".join(str(s) for s in sizes) + "]"
            problems.append(
                invalid(
                    at.child("secret"),
                    "REDACTED",
                    f"secret is not of the expected length, got {len(secret)}, "
                    f"expected one of {expected}",
                )
            )
    return problems


def decode_secret(secret: str) -> bytes | None:
    """Go's ``base64.StdEncoding.DecodeString``: padded, newlines ignored; None if invalid."""
    try:
        return base64.b64decode(secret.replace("\n", "").replace("\r", ""), validate=True)
    except (binascii.Error, ValueError):
        return None


def _kms(kms: Mapping[str, Any], path: FieldPath) -> list[FieldError]:
    problems = []
    name = kms.get("name") or ""
    api_version = kms.get("apiVersion") or "v1"
    if not name:
        problems.append(required(path.child("name"), "name is a mandatory field for a provider"))
    endpoint = kms.get("endpoint") or ""
    if not endpoint:
        problems.append(
            invalid(path.child("endpoint"), "", "endpoint is a mandatory field for a kms")
        )
    elif not str(endpoint).startswith("unix:"):
        scheme = str(endpoint).partition(":")[0] if ":" in str(endpoint) else ""
        problems.append(
            invalid(
                path.child("endpoint"),
                endpoint,
                f'unsupported scheme "{scheme}" for KMS provider, only unix is supported',
            )
        )
    if api_version not in ("v1", "v2"):
        problems.append(
            invalid(
                path.child("apiVersion"),
                api_version,
                "unsupported apiVersion apiVersion for KMS provider, only v1 and v2 are supported",
            )
        )
    return problems
