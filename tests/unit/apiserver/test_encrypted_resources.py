"""Encrypted resources in the API server: the registry's stores, the watch cache, no-op
updates that rotate keys, and values the server cannot decrypt."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest

from kubeling.apiserver.encryption import ResourceTransformers, load_encryption_config
from kubeling.apiserver.registry.builtin import builtin_resources
from kubeling.apiserver.registry.registry import Registry
from kubeling.apiserver.rest.options import ListOptions, WriteOptions
from kubeling.apiserver.rest.resource_store import ResourceStore
from kubeling.storage import TransformError
from kubeling.storage.memory import MemoryStore
from tests.support.waiting import eventually

W = WriteOptions()
S1 = "/registry/secrets/default/s1"
SECRET = {"metadata": {"name": "s1"}, "data": {"password": "aHVudGVyMg=="}}


def _config(tmp_path: Path, *keys: tuple[str, bytes]) -> ResourceTransformers:
    entries = "".join(
        f"      - name: {name}\n        secret: {base64.b64encode(raw).decode()}\n"
        for name, raw in keys
    )
    path = tmp_path / f"enc-{os.urandom(4).hex()}.yaml"
    path.write_text(
        "apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n"
        f"- resources: [secrets]\n  providers:\n  - aesgcm:\n      keys:\n{entries}"
        "  - identity: {}\n"
    )
    return load_encryption_config(path)


def _secrets(store: MemoryStore, transformers: ResourceTransformers) -> ResourceStore:
    registry = Registry(store, transformers=transformers)
    for resource in builtin_resources():
        registry.add(resource)
    rest = registry.lookup("", "v1", "secrets")
    assert rest is not None
    return rest


async def test_secrets_are_written_encrypted_and_served_plain(tmp_path: Path) -> None:
    """The store holds ciphertext; get, lists (store and cache) serve the object."""
    store = MemoryStore()
    rest = _secrets(store, _config(tmp_path, ("key1", os.urandom(32))))
    await rest.create("default", dict(SECRET), W)
    raw = await store.get(S1)
    assert raw is not None
    assert raw.value.startswith(b"k8s:enc:aesgcm:v1:key1:")
    assert (await rest.get("default", "s1"))["data"] == SECRET["data"]
    listed = await rest.list("default", ListOptions.parse({"limit": "10"}))
    assert [item["data"] for item in listed["items"]] == [SECRET["data"]]
    cached = await rest.list_json("default", ListOptions.parse({}))
    assert cached is not None
    assert b"aHVudGVyMg==" in cached
    await rest.watch_cache().stop()


async def test_an_unchanged_update_rewrites_a_stale_secret_with_the_new_key(
    tmp_path: Path,
) -> None:
    """``kubectl replace`` of an unchanged object moves it to the first key, at a new
    resourceVersion; once moved, the same replace is a no-op again."""
    store = MemoryStore()
    key1, key2 = os.urandom(32), os.urandom(32)
    old = _secrets(store, _config(tmp_path, ("key1", key1)))
    created = await old.create("default", dict(SECRET), W)
    rest = _secrets(store, _config(tmp_path, ("key2", key2), ("key1", key1)))
    current = await rest.get("default", "s1")
    replaced = await rest.update("default", "s1", current, W)
    assert replaced["metadata"]["resourceVersion"] != created["metadata"]["resourceVersion"]
    raw = await store.get(S1)
    assert raw is not None
    assert raw.value.startswith(b"k8s:enc:aesgcm:v1:key2:")
    again = await rest.update("default", "s1", replaced, W)
    assert again["metadata"]["resourceVersion"] == replaced["metadata"]["resourceVersion"]


async def test_a_value_the_server_cannot_decrypt_stops_the_cache_not_the_server(
    tmp_path: Path,
) -> None:
    """A change written with a key this server lacks: reads of it fail with Kubernetes'
    messages, the watch cache stops and lists fail, other objects still read."""
    store = MemoryStore()
    rest = _secrets(store, _config(tmp_path, ("key1", os.urandom(32))))
    await rest.create("default", dict(SECRET), W)
    assert await rest.list_json("default", ListOptions.parse({})) is not None
    cache = rest.watch_cache()
    foreign = _secrets(store, _config(tmp_path, ("other", os.urandom(32))))
    await foreign.create("default", {"metadata": {"name": "x"}}, W)
    await eventually(
        lambda: cache.peek(S1) is None, within=2, what="the watch cache to stop following"
    )
    with pytest.raises(TransformError) as one:
        await rest.get("default", "x")
    assert str(one.value) == "no matching key was found for the provided AES transformer"
    with pytest.raises(TransformError) as every:
        await rest.list_json("default", ListOptions.parse({}))
    assert str(every.value) == (
        'unable to transform key "/registry/secrets/default/x": no matching key was found for '
        "the provided AES transformer"
    )
    assert (await rest.get("default", "s1"))["data"] == SECRET["data"]
    await cache.stop()
