"""Values at rest: transformers (encryption) and the store that applies them.

Kubernetes' ``storage/value``: ``transformer`` (the interface, prefix
selection, identity), ``aes`` (the aesgcm and aescbc providers) and
``transformed_store`` (one resource's store, its values transformed).
Which resource uses which transformer is the API server's EncryptionConfiguration
(``apiserver.encryption``).
"""

from kubeling.storage.value.aes import AES_KEY_SIZES, CbcTransformer, GcmTransformer
from kubeling.storage.value.transformed_store import TransformedStore
from kubeling.storage.value.transformer import (
    ENCRYPTED_PREFIX,
    IdentityTransformer,
    PrefixTransformer,
    PrefixTransformers,
    Transformer,
    TransformFailure,
)

__all__ = [
    "AES_KEY_SIZES",
    "ENCRYPTED_PREFIX",
    "CbcTransformer",
    "GcmTransformer",
    "IdentityTransformer",
    "PrefixTransformer",
    "PrefixTransformers",
    "TransformFailure",
    "TransformedStore",
    "Transformer",
]
