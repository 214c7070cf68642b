"""Encryption at rest: kube-apiserver's ``--encryption-provider-config``.

``config`` reads and validates the EncryptionConfiguration file;
``transformers`` turns it into one transformer per resource, which the
registry applies to each resource's store (``storage.value``).
"""

from kubeling.apiserver.encryption.config import EncryptionConfigError
from kubeling.apiserver.encryption.transformers import (
    ResourceTransformers,
    build_transformers,
    load_encryption_config,
)

__all__ = [
    "EncryptionConfigError",
    "ResourceTransformers",
    "build_transformers",
    "load_encryption_config",
]
