"""Property tests: every backend behaves exactly like the memory model.

Hypothesis generates sequences of operations (creates, updates and deletes
with and without preconditions, guaranteed updates, gets and lists at random
past revisions, paginated lists with writes and compactions between the
pages, counts and compactions). Each sequence runs against the backend and a
fresh ``MemoryStore`` side by side; every result and every raised error class
must be the same. Two watches per example (one from the start, one opened at
the end from a random readable revision) must deliver the same events as the
model's.

memory and sqlite get a fresh store (revision 1) per example. For etcd,
starting a member per example (~0.5 s) is too slow, so one member serves the
whole test: each example first writes one key outside its keys (so that a
compaction by the previous example is strictly below every revision this one
reads), then works under its own key prefix ``/hyp/<n>`` and maps revisions
with a fixed offset (backend revision = model revision + base - 1, where base is
the revision after that first write). Nothing else writes to the member, so
the offset is exact.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from kubeling.storage import (
    KeyValue,
    ListResult,
    Preconditions,
    Store,
    StoreError,
    WatchEvent,
)
from kubeling.storage.memory import MemoryStore
from tests.conformance.helpers import BACKENDS, open_backend, read_until
from tests.support.etcd import EtcdMember, start_cluster

MAX_EXAMPLES = {"memory": 150, "sqlite": 150, "etcd": 30}

KEYS = ["/m/a", "/m/b", "/m/b/c", "/m/c", "/m/d", "/m/\u00e9"]
PREFIXES = ["/m/", "/m/b", "/m/b/", "/m/c/", "/n/"]
END_KEY = "/m/\uffff-end"
"""Written last in each example, so that both watches have a final event."""


def obj(uid: str) -> bytes:
    return json.dumps({"metadata": {"uid": uid}}).encode()


values = st.one_of(st.sampled_from([obj("u1"), obj("u2"), b"plain", b""]), st.binary(max_size=6))
keys = st.sampled_from(KEYS)
back = st.tuples(st.just("back"), st.integers(0, 8))
"""A revision a few writes back from the current one (resolved when the op runs)."""
revisions = st.one_of(st.just(0), back, back, st.integers(1, 60))
"""A read revision: 0 (now), recent, or absolute (often compacted or in the future)."""
mod_revisions = st.one_of(
    st.none(), st.just("current"), st.just("current"), back, st.integers(1, 60)
)
"""A mod_revision precondition: none, the key's current one, a recent or any revision."""
uids = st.one_of(st.none(), st.none(), st.sampled_from(["u1", "u2"]))
compactions = st.tuples(st.just("compact"), st.one_of(back, back, back, st.integers(1, 40)))

writes = st.one_of(
    st.tuples(st.just("create"), keys, values),
    st.tuples(st.just("update"), keys, values, mod_revisions, uids),
    st.tuples(st.just("delete"), keys, mod_revisions, uids),
    st.tuples(st.just("guaranteed_update"), keys, st.booleans(), mod_revisions, uids),
)
operations = st.one_of(
    writes,
    writes,
    st.tuples(st.just("get"), keys, revisions),
    st.tuples(
        st.just("list"),
        st.one_of(st.just("/m/"), st.sampled_from(PREFIXES)),
        revisions,
        st.sampled_from([1, 2, 3, 0]),
        st.lists(st.one_of(writes, compactions), max_size=4),
    ),
    st.tuples(st.just("count"), st.sampled_from(PREFIXES)),
    compactions,
)
examples = st.tuples(
    st.lists(keys, unique=True, min_size=2, max_size=len(KEYS)).map(
        lambda chosen: [("create", key, obj("u1")) for key in chosen]
    ),
    st.lists(operations, min_size=10, max_size=50),
    st.integers(1, 60),
)
"""(creates to start with, the operations, the start revision of the second watch)."""


@dataclass(frozen=True)
class Target:
    """A store plus the key prefix and revision offset its results are mapped by."""

    store: Store
    prefix: str = ""
    offset: int = 0

    def key(self, key: str) -> str:
        return self.prefix + key

    def rev(self, revision: int) -> int:
        return revision + self.offset if revision > 0 else 0

    def kv(self, kv: KeyValue | None) -> tuple[Any, ...] | None:
        if kv is None:
            return None
        assert kv.key.startswith(self.prefix), kv.key
        return (
            kv.key[len(self.prefix) :],
            kv.value,
            kv.create_revision - self.offset,
            kv.mod_revision - self.offset,
            kv.version,
        )

    def page(self, page: ListResult) -> tuple[Any, ...]:
        kvs = tuple(self.kv(kv) for kv in page.kvs)
        return (kvs, page.revision - self.offset, page.continue_token is not None, page.remaining)

    def event(self, event: WatchEvent) -> tuple[Any, ...]:
        key = event.key[len(self.prefix) :] if event.key else ""
        revision = event.revision - self.offset
        return (event.type, key, revision, self.kv(event.kv), self.kv(event.prev_kv))


async def grow(current: KeyValue | None) -> bytes | None:
    """A deterministic update function: create, append, or (when long) no change."""
    if current is None:
        return b"new"
    if len(current.value) >= 6:
        return None
    return current.value + b"+"


async def write(target: Target, op: tuple[Any, ...]) -> object:
    """Run one resolved write (or compact) on ``target``; return its mapped result or error."""
    kind = op[0]
    try:
        if kind == "compact":
            await target.store.compact(target.rev(op[1]))
            return ("compacted", await target.store.compacted_revision() - target.offset)
        key = target.key(op[1])
        preconditions = None
        mod_revision = None if kind == "create" else op[-2]
        if kind != "create" and (mod_revision is not None or op[-1] is not None):
            mapped = None if mod_revision is None else target.rev(mod_revision)
            preconditions = Preconditions(mod_revision=mapped, uid=op[-1])
        if kind == "create":
            return target.kv(await target.store.create(key, op[2]))
        if kind == "update":
            return target.kv(await target.store.update(key, op[2], preconditions=preconditions))
        if kind == "delete":
            result = await target.store.delete(key, preconditions=preconditions)
            return (target.kv(result.prev_kv), result.revision - target.offset)
        assert kind == "guaranteed_update"
        return target.kv(
            await target.store.guaranteed_update(
                key, grow, preconditions=preconditions, ignore_not_found=op[2]
            )
        )
    except StoreError as error:
        return ("error", type(error).__name__)


async def read(target: Target, op: tuple[Any, ...]) -> object:
    """Run one get or count on ``target``; return its mapped result or error class."""
    try:
        if op[0] == "get":
            return target.kv(await target.store.get(target.key(op[1]), revision=target.rev(op[2])))
        assert op[0] == "count"
        return await target.store.count(target.key(op[1]))
    except StoreError as error:
        return ("error", type(error).__name__)


async def list_page(
    target: Target, prefix: str, revision: int, limit: int, token: str | None
) -> tuple[object, str | None]:
    try:
        page = await target.store.list(
            target.key(prefix), revision=target.rev(revision), limit=limit, continue_token=token
        )
    except StoreError as error:
        return ("error", type(error).__name__), None
    return target.page(page), page.continue_token


async def resolve(model: Store, op: tuple[Any, ...]) -> tuple[Any, ...]:
    """``op`` with its relative revisions made absolute, against the model's state now."""
    current = await model.current_revision()
    resolved: list[Any] = []
    for field in op:
        if field == "current":
            kv = await model.get(op[1])
            field = kv.mod_revision if kv is not None else 1
        elif isinstance(field, tuple) and field[0] == "back":
            field = max(current - field[1], 1)
        resolved.append(field)
    return tuple(resolved)


async def both_write(model: Target, backend: Target, op: tuple[Any, ...], step: str) -> None:
    op = await resolve(model.store, op)
    expected = await write(model, op)
    got = await write(backend, op)
    note(f"{step} {op} -> {expected}")
    assert got == expected, f"{step} {op}: backend {got}, model {expected}"


async def run_example(
    model: Target,
    backend: Target,
    prefill: list[tuple[Any, ...]],
    ops: list[tuple[Any, ...]],
    watch_from: int,
) -> None:
    """Run ``ops`` on both stores, comparing every result, then compare two watches."""
    watches = [
        (await model.store.watch(model.key("/m/"), prefix=True, start_revision=1),
         await backend.store.watch(backend.key("/m/"), prefix=True, start_revision=backend.rev(1)))
    ]  # fmt: skip
    try:
        for op in prefill:
            await both_write(model, backend, op, "prefill")
        for step, op in enumerate(ops):
            op = await resolve(model.store, op)
            kind = op[0]
            if kind in ("get", "count"):
                expected, got = await read(model, op), await read(backend, op)
                note(f"{step} {op} -> {expected}")
                assert got == expected, f"{step} {op}: backend {got}, model {expected}"
            elif kind == "list":
                _, prefix, revision, limit, between = op
                pending = iter(between)
                model_token: str | None = None
                backend_token: str | None = None
                for page_number in itertools.count():
                    assert page_number < 20, "the pages never end"
                    args = (prefix, revision if page_number == 0 else 0, limit)
                    expected, model_token = await list_page(model, *args, model_token)
                    got, backend_token = await list_page(backend, *args, backend_token)
                    note(f"{step} {op} page {page_number} -> {expected}")
                    assert got == expected, f"{step} {op} page {page_number}: {got} != {expected}"
                    if model_token is None:
                        break
                    between_op = next(pending, None)
                    if between_op is not None:
                        await both_write(model, backend, between_op, f"{step}.{page_number}")
            else:
                await both_write(model, backend, op, str(step))
        # A second watch from a random revision that can still be read.
        compacted = await model.store.compacted_revision()
        current = await model.store.current_revision()
        start = min(max(watch_from, compacted, 1), current)
        model_watch = await model.store.watch(model.key("/m/"), prefix=True, start_revision=start)
        backend_watch = await backend.store.watch(
            backend.key("/m/"), prefix=True, start_revision=backend.rev(start)
        )
        watches.append((model_watch, backend_watch))
        end = await model.store.create(END_KEY, b"end")
        await backend.store.create(backend.key(END_KEY), b"end")
        for number, (model_watch, backend_watch) in enumerate(watches):
            expected_events = [
                model.event(e) for e in await read_until(model_watch, end.mod_revision)
            ]
            got_events = [
                backend.event(e)
                for e in await read_until(backend_watch, backend.rev(end.mod_revision))
            ]
            assert got_events == expected_events, (
                f"watch {number}: {got_events} != {expected_events}"
            )
    finally:
        for pair in watches:
            for watcher in pair:
                await watcher.close()


@pytest.fixture(scope="module")
def shared_etcd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EtcdMember]:
    """One etcd member for every example of the etcd model test (see the module docstring)."""
    member = start_cluster(tmp_path_factory.mktemp("model-etcd"), 1)[0]
    try:
        yield member
    finally:
        member.kill()


@pytest.mark.parametrize("backend", BACKENDS)
def test_backend_matches_the_reference_model(request: pytest.FixtureRequest, backend: str) -> None:
    """Random operation sequences give the same results, errors and watch events as the model."""
    endpoint = request.getfixturevalue("shared_etcd").endpoint if backend == "etcd" else None
    example_numbers = itertools.count()

    async def one_example(
        prefill: list[tuple[Any, ...]], ops: list[tuple[Any, ...]], watch_from: int
    ) -> None:
        with tempfile.TemporaryDirectory() as workdir:
            store = await open_backend(backend, Path(workdir), endpoint)
            model_store = MemoryStore()
            try:
                target = Target(store)
                if backend == "etcd":
                    prefix = f"/hyp/{next(example_numbers)}"
                    base = (await store.create(prefix + "-base", b"")).mod_revision
                    target = Target(store, prefix, base - 1)
                else:
                    assert await store.current_revision() == 1
                await run_example(Target(model_store), target, prefill, ops, watch_from)
            finally:
                await store.close()
                await model_store.close()

    @settings(
        max_examples=MAX_EXAMPLES[backend],
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        database=None,
    )
    @given(examples)
    def check(example: tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], int]) -> None:
        asyncio.run(one_example(*example))

    check()
