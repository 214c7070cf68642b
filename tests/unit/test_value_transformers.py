"""Values at rest: the AES transformers' layout, prefix selection, and the transformed store."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from kubeling.apiserver.encryption import ResourceTransformers, load_encryption_config
from kubeling.storage import ConflictError, EventType, Preconditions, TransformError
from kubeling.storage.memory import MemoryStore
from kubeling.storage.value import (
    CbcTransformer,
    GcmTransformer,
    IdentityTransformer,
    PrefixTransformer,
    PrefixTransformers,
    TransformedStore,
    TransformFailure,
)

KEY = "/registry/secrets/default/s1"
VALUE = b'{"kind":"Secret","data":{"password":"aHVudGVyMg=="}}'


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def _transformers(
    tmp_path: Path, providers: str, resources: str = "secrets"
) -> ResourceTransformers:
    path = tmp_path / f"config-{os.urandom(4).hex()}.yaml"
    path.write_text(
        "apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n"
        f"- resources: [{resources}]\n  providers:\n{providers}"
    )
    return load_encryption_config(path)


def _aes(kind: str, *keys: tuple[str, bytes]) -> str:
    lines = "".join(f"      - name: {name}\n        secret: {_b64(raw)}\n" for name, raw in keys)
    return f"  - {kind}:\n      keys:\n{lines}"


IDENTITY = "  - identity: {}\n"


# -- the ciphers, byte for byte -----------------------------------------------------


def test_gcm_layout_is_nonce_ciphertext_tag_with_the_key_authenticated() -> None:
    """aesgcm: 12-byte nonce, then ciphertext and tag; the store key is the AAD."""
    key = os.urandom(32)
    stored = GcmTransformer(key).to_storage(VALUE, KEY.encode())
    assert len(stored) == 12 + len(VALUE) + 16
    assert AESGCM(key).decrypt(stored[:12], stored[12:], KEY.encode()) == VALUE
    with pytest.raises(TransformFailure, match="cipher: message authentication failed"):
        GcmTransformer(key).from_storage(stored, b"/registry/secrets/default/other")


def test_cbc_layout_is_iv_then_pkcs7_padded_ciphertext() -> None:
    """aescbc: 16-byte IV, then CBC of the value with PKCS#7 padding."""
    key = os.urandom(32)
    stored = CbcTransformer(key).to_storage(VALUE, KEY.encode())
    padding = 16 - len(VALUE) % 16
    assert len(stored) == 16 + len(VALUE) + padding
    decryptor = Cipher(algorithms.AES(key), modes.CBC(stored[:16])).decryptor()
    plain = decryptor.update(stored[16:]) + decryptor.finalize()
    assert plain == VALUE + bytes([padding]) * padding
    assert CbcTransformer(key).from_storage(stored, b"")[0] == VALUE


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"short", "the stored data was shorter than the required size"),
        (b"x" * 20, "the stored data is not a multiple of the block size"),
    ],
)
def test_cbc_refuses_malformed_data(data: bytes, message: str) -> None:
    """Malformed ciphertext fails with Kubernetes' reasons."""
    with pytest.raises(TransformFailure, match=message):
        CbcTransformer(os.urandom(32)).from_storage(data, b"")


def test_identity_refuses_encrypted_values() -> None:
    """identity reads plain values as they are, and not ``k8s:enc:`` ones."""
    assert IdentityTransformer().from_storage(b"{}", b"") == (b"{}", False)
    with pytest.raises(TransformFailure, match="identity transformer tried to read encrypted"):
        IdentityTransformer().from_storage(b"k8s:enc:aescbc:v1:k:xxxx", b"")


# -- prefixes, keys and staleness ------------------------------------------------------


def test_writes_use_the_first_provider_and_key(tmp_path: Path) -> None:
    """The value at rest starts with the first provider's prefix and first key's name."""
    k1, k2 = os.urandom(32), os.urandom(16)
    built = _transformers(tmp_path, _aes("aescbc", ("key1", k1), ("key2", k2)) + IDENTITY)
    transformer = built.transformer_for("", "secrets")
    assert transformer is not None
    stored = transformer.to_storage(VALUE, KEY.encode())
    assert stored.startswith(b"k8s:enc:aescbc:v1:key1:")
    assert VALUE not in stored
    assert transformer.from_storage(stored, KEY.encode()) == (VALUE, False)


def test_gcm_prefix(tmp_path: Path) -> None:
    """aesgcm values carry ``k8s:enc:aesgcm:v1:<key>:``."""
    built = _transformers(tmp_path, _aes("aesgcm", ("g1", os.urandom(24))))
    transformer = built.transformer_for("", "secrets")
    assert transformer is not None
    assert transformer.to_storage(VALUE, KEY.encode()).startswith(b"k8s:enc:aesgcm:v1:g1:")


def test_reads_of_older_keys_and_providers_are_stale(tmp_path: Path) -> None:
    """A value written with a later key, or as plain text, reads back marked stale."""
    k1, k2 = os.urandom(32), os.urandom(32)
    old = _transformers(tmp_path, _aes("aescbc", ("key1", k1)) + IDENTITY)
    new = _transformers(tmp_path, _aes("aescbc", ("key2", k2), ("key1", k1)) + IDENTITY)
    old_t, new_t = old.transformer_for("", "secrets"), new.transformer_for("", "secrets")
    assert old_t is not None
    assert new_t is not None
    assert new_t.from_storage(old_t.to_storage(VALUE, KEY.encode()), KEY.encode()) == (VALUE, True)
    assert new_t.from_storage(VALUE, KEY.encode()) == (VALUE, True)  # identity, not first


def test_a_removed_key_fails_with_kubernetes_reason(tmp_path: Path) -> None:
    """A value written with a key no longer configured cannot be read."""
    old = _transformers(tmp_path, _aes("aescbc", ("key1", os.urandom(32))))
    new = _transformers(tmp_path, _aes("aescbc", ("key2", os.urandom(32))) + IDENTITY)
    gcm = _transformers(tmp_path, _aes("aesgcm", ("key1", os.urandom(32))))
    old_t, new_t, gcm_t = (t.transformer_for("", "secrets") for t in (old, new, gcm))
    assert old_t is not None
    assert new_t is not None
    assert gcm_t is not None
    stored = old_t.to_storage(VALUE, KEY.encode())
    with pytest.raises(TransformFailure) as caught:
        new_t.from_storage(stored, KEY.encode())
    assert str(caught.value) == "no matching key was found for the provided AES transformer"
    with pytest.raises(TransformFailure) as caught:
        gcm_t.from_storage(stored, KEY.encode())
    assert str(caught.value) == "no matching prefix found"


def test_identity_first_decrypts_on_read_and_writes_plain(tmp_path: Path) -> None:
    """identity first (decrypting everything): encrypted values read, stale; writes plain."""
    k1 = os.urandom(32)
    enc = _transformers(tmp_path, _aes("aesgcm", ("key1", k1)))
    plain = _transformers(tmp_path, IDENTITY + _aes("aesgcm", ("key1", k1)))
    enc_t, plain_t = enc.transformer_for("", "secrets"), plain.transformer_for("", "secrets")
    assert enc_t is not None
    assert plain_t is not None
    assert plain_t.from_storage(enc_t.to_storage(VALUE, KEY.encode()), KEY.encode()) == (
        VALUE,
        True,
    )
    assert plain_t.to_storage(VALUE, KEY.encode()) == VALUE


def test_same_prefix_in_two_providers_falls_through() -> None:
    """A failed match does not end the search: two aescbc providers during rotation."""
    k_old, k_new = os.urandom(32), os.urandom(32)
    stored = b"k:" + CbcTransformer(k_old).to_storage(VALUE, b"")
    chain = PrefixTransformers(
        [
            PrefixTransformer(b"k:", GcmTransformer(k_new)),
            PrefixTransformer(b"k:", CbcTransformer(k_old)),
        ],
        no_match="none",
    )
    assert chain.from_storage(stored, b"") == (VALUE, True)


# -- the transformed store ---------------------------------------------------------------


async def test_store_encrypts_at_rest_and_decrypts_every_read(tmp_path: Path) -> None:
    """get, list, watch events, updates and deletes come out decrypted; the store keeps
    only ciphertext."""
    inner = MemoryStore()
    built = _transformers(tmp_path, _aes("aesgcm", ("key1", os.urandom(32))))
    store = built.store_for(inner, "", "secrets")
    assert isinstance(store, TransformedStore)
    plain = built.store_for(inner, "", "configmaps")  # not configured: identity
    await plain.create("/registry/configmaps/default/c", b"{}")
    c = await inner.get("/registry/configmaps/default/c")
    assert c is not None
    assert c.value == b"{}"
    watcher = await store.watch("/registry/secrets/", prefix=True)
    created = await store.create(KEY, VALUE)
    assert created.value == VALUE
    raw = await inner.get(KEY)
    assert raw is not None
    assert raw.value.startswith(b"k8s:enc:aesgcm:v1:key1:")
    assert b"password" not in raw.value
    got = await store.get(KEY)
    assert got is not None
    assert got.value == VALUE
    assert not got.stale
    listed = await store.list("/registry/secrets/")
    assert [kv.value for kv in listed.kvs] == [VALUE]
    await inner.create("/registry/configmaps/default/enc", raw.value)
    with pytest.raises(TransformError, match="identity transformer tried to read encrypted data"):
        await plain.get("/registry/configmaps/default/enc")
    updated = await store.update(
        KEY, VALUE + b" ", preconditions=Preconditions(mod_revision=created.mod_revision)
    )
    assert updated.value == VALUE + b" "
    deleted = await store.delete(KEY)
    assert deleted.prev_kv.value == VALUE + b" "
    events = [await watcher.__anext__() for _ in range(3)]
    await watcher.close()
    assert [e.type for e in events] == [EventType.ADDED, EventType.MODIFIED, EventType.DELETED]
    assert events[0].kv is not None
    assert events[0].kv.value == VALUE
    assert events[1].prev_kv is not None
    assert events[1].prev_kv.value == VALUE
    assert events[2].prev_kv is not None
    assert events[2].prev_kv.value == VALUE + b" "


async def test_store_checks_uid_preconditions_and_conflicts_on_plain_values(
    tmp_path: Path,
) -> None:
    """A uid precondition reads the decrypted object; a conflict carries it decrypted."""
    inner = MemoryStore()
    store = _transformers(tmp_path, _aes("aescbc", ("k", os.urandom(32)))).store_for(
        inner, "", "secrets"
    )
    await store.create(KEY, b'{"metadata":{"uid":"u1"}}')
    with pytest.raises(ConflictError) as caught:
        await store.update(KEY, b"{}", preconditions=Preconditions(uid="u2"))
    assert caught.value.current.value == b'{"metadata":{"uid":"u1"}}'
    with pytest.raises(ConflictError) as stale:
        await store.update(KEY, b"{}", preconditions=Preconditions(mod_revision=1))
    assert stale.value.current.value == b'{"metadata":{"uid":"u1"}}'
    await store.delete(KEY, preconditions=Preconditions(uid="u1"))
    assert await inner.get(KEY) is None


async def test_plain_values_stay_readable_after_encryption_is_enabled(tmp_path: Path) -> None:
    """Objects written before encryption read back (via identity), stale until rewritten."""
    inner = MemoryStore()
    await inner.create(KEY, VALUE)
    built = _transformers(tmp_path, _aes("aescbc", ("key1", os.urandom(32))) + IDENTITY)
    store = built.store_for(inner, "", "secrets")
    got = await store.get(KEY)
    assert got is not None
    assert got.value == VALUE
    assert got.stale


async def test_no_op_update_of_a_stale_value_rewrites_it_with_the_new_key(
    tmp_path: Path,
) -> None:
    """guaranteed_update writes a stale value back even when nothing changed (rotation)."""
    inner = MemoryStore()
    k1, k2 = os.urandom(32), os.urandom(32)
    old = _transformers(tmp_path, _aes("aescbc", ("key1", k1))).store_for(inner, "", "secrets")
    await old.create(KEY, VALUE)
    rotated = _transformers(tmp_path, _aes("aescbc", ("key2", k2), ("key1", k1)))
    store = rotated.store_for(inner, "", "secrets")

    async def unchanged(current: object) -> None:
        return None

    result = await store.guaranteed_update(KEY, unchanged)
    assert result.mod_revision == 3
    assert result.value == VALUE
    raw = await inner.get(KEY)
    assert raw is not None
    assert raw.value.startswith(b"k8s:enc:aescbc:v1:key2:")
    again = await store.guaranteed_update(KEY, unchanged)  # no longer stale: no write
    assert again.mod_revision == 3


async def test_undecryptable_values_raise_kubernetes_errors(tmp_path: Path) -> None:
    """get reports the reason; list names the key, as kube-apiserver's etcd3 store does."""
    inner = MemoryStore()
    old = _transformers(tmp_path, _aes("aescbc", ("key1", os.urandom(32))))
    await old.store_for(inner, "", "secrets").create(KEY, VALUE)
    store = _transformers(tmp_path, _aes("aescbc", ("key2", os.urandom(32)))).store_for(
        inner, "", "secrets"
    )
    with pytest.raises(TransformError) as got:
        await store.get(KEY)
    assert str(got.value) == "no matching key was found for the provided AES transformer"
    with pytest.raises(TransformError) as listed:
        await store.list("/registry/secrets/")
    assert str(listed.value) == (
        f'unable to transform key "{KEY}": no matching key was found for the provided AES '
        "transformer"
    )
