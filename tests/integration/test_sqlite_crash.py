"""Crash safety of the SQLite store: SIGKILL at random moments loses nothing.

A child process (tests/support/sqlite_writer.py) writes continuously with
several concurrent writers and prints every write the store acknowledged. The
test kills it with SIGKILL at a random moment (while opening, writing,
compacting or purging), reopens the same file and checks that

- every acknowledged write is there: the key holds the acknowledged value or a
  later one, at the acknowledged revision or a later one;
- the log's revisions from the compacted revision on are contiguous, without
  gaps or duplicates, and end at the store's current revision;
- ``current`` equals the log replayed, and versions and create revisions
  chain correctly;
- the store still takes writes, at the next revisions.

The same database file is reused across all kills.
"""

from __future__ import annotations

import asyncio
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

from kubeling.storage.sqlite import SqliteStore

KILLS = 36
WRITERS = 16
SCRIPT = Path(__file__).resolve().parents[1] / "support" / "sqlite_writer.py"


class _Child:
    """The writer process and the lines it printed, read on a thread."""

    def __init__(self, db: Path, run: str, stderr: Path) -> None:
        self._stderr = stderr.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, str(SCRIPT), str(db), run, str(WRITERS)],
            stdout=subprocess.PIPE,
            stderr=self._stderr,
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            # A line cut short by the kill has no newline: it was not fully
            # printed, so the parent never saw that acknowledgement.
            if raw.endswith(b"\n"):
                self.lines.append(raw.decode().rstrip("\n"))

    def kill(self) -> int:
        self.proc.send_signal(signal.SIGKILL)
        code = self.proc.wait(timeout=10)
        self._reader.join(timeout=10)
        assert self.proc.stdout is not None
        self.proc.stdout.close()
        self._stderr.close()
        return code


def _check_log(db: Path) -> tuple[int, int, int]:
    """Check the raw tables; (first checked revision, last revision, rows)."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        conn.execute("BEGIN")
        (compacted,) = conn.execute("SELECT value FROM meta WHERE name = 'compacted'").fetchone()
        rows = conn.execute(
            "SELECT revision, key, value, create_revision, version, prev_revision, deleted "
            "FROM log ORDER BY revision"
        ).fetchall()
        current = dict(conn.execute("SELECT key, revision FROM current").fetchall())
        conn.execute("COMMIT")
    finally:
        conn.close()
    revisions = [row[0] for row in rows]
    assert len(revisions) == len(set(revisions)), "duplicate revisions"
    first = max(compacted, 2)
    tail = [r for r in revisions if r >= first]
    last = revisions[-1] if revisions else 1
    assert tail == list(range(first, last + 1)), f"gap in the log from {first} to {last}"
    # Replay: the newest row per key, unless a tombstone, is the current one.
    state: dict[str, int] = {}
    latest: dict[str, tuple[int, int, int]] = {}  # key -> (revision, create_rev, version)
    for rev, key, _value, create_rev, version, prev_rev, deleted in rows:
        before = latest.get(key)
        if deleted:
            state.pop(key, None)
            if before is not None:
                assert prev_rev == before[0], f"delete {rev} of {key} does not follow {before}"
            latest.pop(key, None)
            continue
        if prev_rev == 0:
            assert (create_rev, version) == (rev, 1), f"create {rev} of {key}"
        elif before is not None:
            assert prev_rev == before[0], f"write {rev} of {key} does not follow {before}"
            assert (create_rev, version) == (before[1], before[2] + 1), f"write {rev} of {key}"
        state[key] = rev
        latest[key] = (rev, create_rev, version)
    assert state == current, "the current table differs from the log replayed"
    return first, last, len(rows)


async def test_acknowledged_writes_survive_sigkill(tmp_path: Path) -> None:
    """36 random SIGKILLs of a busy writer: no acknowledged write is ever lost."""
    db = tmp_path / "state.db"
    stderr = tmp_path / "child-stderr.log"
    rng = random.Random(20240611)
    acked: dict[str, tuple[int, str]] = {}  # key -> newest acknowledged (revision, value)
    started = time.monotonic()
    total_acks = 0
    for run in range(KILLS):
        child = _Child(db, f"r{run}", stderr)
        try:
            # Sometimes during start-up or schema creation, mostly mid-stream.
            await asyncio.sleep(rng.choice([rng.uniform(0.0, 0.25), rng.uniform(0.25, 0.9)]))
        finally:
            code = child.kill()
        assert code == -signal.SIGKILL, f"the writer died on its own ({code}): see {stderr}"
        for line in child.lines:
            if line == "ready":
                continue
            key, rev_text, value = line.split(" ")
            total_acks += 1
            if key not in acked or int(rev_text) > acked[key][0]:
                acked[key] = (int(rev_text), value)

        store = await SqliteStore.open(str(db), auto_compact_interval=None)
        try:
            found = {kv.key: kv for kv in (await store.list("/crash/")).kvs}
            for key, (revision, value) in acked.items():
                kv = found.get(key)
                assert kv is not None, f"run {run}: acknowledged {key}@{revision} is missing"
                assert kv.mod_revision >= revision, (run, key, kv, revision)
                writer, seq = value.split(".")
                got_writer, got_seq = kv.value.decode().split(".")
                assert got_writer == writer
                assert int(got_seq) >= int(seq), (run, key, kv, value)
                if kv.mod_revision == revision:
                    assert kv.value == value.encode()
            first, last, _rows = _check_log(db)
            current = await store.current_revision()
            assert current == last
            probe = await store.create(f"/probe/{run}", b"after crash")
            assert probe.mod_revision == current + 1
            again = await store.update(f"/probe/{run}", b"still writing")
            assert again.mod_revision == current + 2
        finally:
            await store.close()
    elapsed = time.monotonic() - started
    first, last, rows = _check_log(db)
    print(
        f"sqlite crash test: {KILLS} kills, {total_acks} acknowledged writes, "
        f"{len(acked)} keys, log rows {rows} (revisions {first}..{last}), {elapsed:.1f} s"
    )
    assert total_acks > 10 * KILLS, "the child hardly wrote anything before being killed"
