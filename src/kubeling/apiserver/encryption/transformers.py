"""From an EncryptionConfiguration to one transformer per resource.

As kube-apiserver's ``encryptionconfig``: each entry's providers become
prefix transformers (``k8s:enc:aesgcm:v1:<key name>:``,
``k8s:enc:aescbc:v1:<key name>:``, identity with no prefix), appended to
every resource the entry names, in file order; a resource's transformer
writes with its first provider and reads with whichever matches. A resource
takes its own entry, else its group's ``*.<group>``, else ``*.*``; without
any it is stored as it is, read through identity (which refuses encrypted
values). Without a configuration file no transformer is involved at all.

Not supported here, refused at start: ``secretbox`` (needs NaCl, which
kubeling does not ship) and ``kms`` (needs a KMS plugin over gRPC).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from kubeling.apiserver.encryption.config import (
    EncryptionConfigError,
    EncryptionConfiguration,
    Provider,
    decode_secret,
    load_config,
    parse_group_resource,
)
from kubeling.storage import Store
from kubeling.storage.value import (
    CbcTransformer,
    GcmTransformer,
    IdentityTransformer,
    PrefixTransformer,
    PrefixTransformers,
    TransformedStore,
    Transformer,
)

__all__ = ["ResourceTransformers", "build_transformers", "load_encryption_config"]

AESGCM_PREFIX = b"k8s:enc:aesgcm:v1:"
AESCBC_PREFIX = b"k8s:enc:aescbc:v1:"

GroupResource = tuple[str, str]

_IDENTITY = IdentityTransformer()


@dataclass(frozen=True, slots=True)
class ResourceTransformers:
    """The transformer of each configured (group, resource), ``*`` for wildcards."""

    by_resource: Mapping[GroupResource, Transformer]

    def transformer_for(self, group: str, resource: str) -> Transformer | None:
        """The resource's transformer, its group's, everything's, or None."""
        table = self.by_resource
        return table.get((group, resource)) or table.get((group, "*")) or table.get(("*", "*"))

    def store_for(self, store: Store, group: str, resource: str) -> Store:
        """``store`` as the resource sees it. A resource the file does not name is read
        through identity, as Kubernetes does, so that an encrypted value found there
        reports ``identity transformer tried to read encrypted data``."""
        transformer = self.transformer_for(group, resource) or _IDENTITY
        return TransformedStore(store, transformer)


def load_encryption_config(path: Path) -> ResourceTransformers:
    """Read, validate and build ``path``; EncryptionConfigError with Kubernetes' message."""
    return build_transformers(load_config(path))


def _yaml_name(group: str, resource: str) -> str:
    if group == "" and resource == "*":
        return "*."
    return f"{resource}.{group}" if group else resource


def build_transformers(config: EncryptionConfiguration) -> ResourceTransformers:
    """The transformers of a validated configuration (EncryptionConfigError if unsupported)."""
    chains: dict[GroupResource, list[PrefixTransformer]] = {}
    try:
        for entry in config.resources:
            providers = [_provider(provider) for provider in entry.providers]
            for name in entry.resources:
                group, resource = parse_group_resource(name)
                for masking in ((group, "*"), ("*", "*")):
                    if masking in chains:
                        raise EncryptionConfigError(
                            f'resource "{_yaml_name(group, resource)}" is masked by earlier '
                            f'rule "{_yaml_name(*masking)}"'
                        )
                chains.setdefault((group, resource), []).extend(providers)
    except EncryptionConfigError as err:
        raise EncryptionConfigError(f"error while building transformers: {err}") from None
    return ResourceTransformers(
        {
            resource: PrefixTransformers(chain, no_match="no matching prefix found")
            for resource, chain in chains.items()
        }
    )


def _provider(provider: Provider) -> PrefixTransformer:
    kind = provider.kind
    if kind == "identity":
        return PrefixTransformer(b"", IdentityTransformer())
    if kind in ("aesgcm", "aescbc"):
        cipher = GcmTransformer if kind == "aesgcm" else CbcTransformer
        keys = []
        for key in provider.keys:
            secret = decode_secret(key.secret)
            if secret is None:  # validation has refused it already
                raise EncryptionConfigError(f"could not obtain secret for named key {key.name}")
            keys.append(PrefixTransformer(f"{key.name}:".encode(), cipher(secret)))
        chooser = PrefixTransformers(
            keys, no_match="no matching key was found for the provided AES transformer"
        )
        return PrefixTransformer(AESGCM_PREFIX if kind == "aesgcm" else AESCBC_PREFIX, chooser)
    if kind == "secretbox":
        raise EncryptionConfigError(
            "the secretbox provider is not supported by kubeling (use aesgcm or aescbc)"
        )
    name = provider.kms.get("name") or ""
    raise EncryptionConfigError(
        f'could not configure KMS plugin "{name}": KMS providers are not supported by '
        "kubeling (use aesgcm or aescbc)"
    )
