"""``kubeling``: the command line entry point.

Subcommands are thin: they parse flags into a config and hand it to the
component that does the work.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path

from kubeling import __version__
from kubeling.storage import open_store

__all__ = ["main"]

DEFAULT_DATA_DIR = Path(os.environ.get("KUBELING_DATA_DIR", "~/.kubeling")).expanduser()


def _default_datastore(data_dir: Path) -> str:
    return f"sqlite://{data_dir.resolve() / 'state.db'}"


async def _up(args: argparse.Namespace) -> int:
    data_dir: Path = args.data_dir
    await asyncio.to_thread(data_dir.mkdir, parents=True, exist_ok=True)
    url = args.datastore or _default_datastore(data_dir)
    store = await open_store(url)
    try:
        revision = await store.current_revision()
        count = await store.count("/registry/")
    finally:
        await store.close()
    print(f"kubeling {__version__}: datastore {url} is open at revision {revision}")
    print(f"{count} objects stored")
    print(
        "The store is ready. The API server, scheduler, controllers and kubelet that make "
        "`kubeling up` a cluster are being built (see the issues); this command will start them."
    )
    return 0


async def _store_info(args: argparse.Namespace) -> int:
    store = await open_store(args.datastore)
    try:
        print(f"revision={await store.current_revision()}")
        print(f"compacted={await store.compacted_revision()}")
        print(f"keys={await store.count(args.prefix)}")
    finally:
        await store.close()
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kubeling", description="Kubernetes, written in Python.")
    parser.add_argument("--version", action="version", version=f"kubeling {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    up = sub.add_parser("up", help="run the all-in-one cluster on this machine")
    up.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    up.add_argument("--datastore", help="sqlite:///path, etcd://host:port[,...] or memory://")
    up.set_defaults(run=_up)

    info = sub.add_parser("store-info", help="print a datastore's revision and key count")
    info.add_argument("--datastore", required=True)
    info.add_argument("--prefix", default="/")
    info.set_defaults(run=_store_info)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        status: int = asyncio.run(args.run(args))
        return status
    except KeyboardInterrupt:
        return 130
    except Exception as err:
        print(f"kubeling: error: {err}", file=sys.stderr)
        return 1
