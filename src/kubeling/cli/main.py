"""``kubeling``: the command line entry point.

Subcommands are thin: they parse flags into a config and hand it to the
component that does the work.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import socket
import sys
from pathlib import Path

from kubeling import __version__
from kubeling.storage import open_store

__all__ = ["main"]

DEFAULT_DATA_DIR = Path(os.environ.get("KUBELING_DATA_DIR", "~/.kubeling")).expanduser()


def _default_datastore(data_dir: Path) -> str:
    return f"sqlite://{data_dir.resolve() / 'state.db'}"


async def _serve(args: argparse.Namespace) -> int:
    from kubeling.cli.serve import ServeOptions, serve

    _logging(args.log_level)
    data_dir: Path = args.data_dir
    options = ServeOptions(
        data_dir=data_dir,
        datastore=args.datastore or _default_datastore(data_dir),
        bind_address=args.bind_address,
        port=args.port,
        service_account_issuer=args.service_account_issuer,
        api_audiences=tuple(a for a in args.api_audiences.split(",") if a),
        controllers=("*",) if args.command == "up" else None,
        local_storage_path=args.default_local_storage_path,
        node_name=(args.node_name or default_node_name()) if args.command == "up" else None,
    )
    return await serve(options)


def _logging(level: str) -> None:
    logging.basicConfig(
        level=level.upper(),
        format="time=%(asctime)s level=%(levelname)s logger=%(name)s %(message)s",
        stream=sys.stderr,
    )


async def _controller_manager(args: argparse.Namespace) -> int:
    from kubeling.client import load_client_config
    from kubeling.controllers.manager import ControllerManagerOptions, run_controller_manager

    _logging(args.log_level)
    options = ControllerManagerOptions(
        controllers=tuple(c for c in args.controllers.split(",") if c),
        leader_elect=args.leader_elect == "true",
        local_storage_path=str(args.default_local_storage_path.expanduser().resolve()),
    )
    await run_controller_manager(load_client_config(args.kubeconfig), options)
    return 0


def _labels(text: str) -> dict[str, str]:
    """``--node-labels``: ``key=value,key2=value2``."""
    labels = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ValueError(f"invalid node label {item!r}: want key=value")
        labels[key] = value
    return labels


def default_node_name() -> str:
    """The node's name when none is given: the host name, lowercased (as the kubelet does)."""
    return socket.gethostname().lower()


async def _kubelet(args: argparse.Namespace) -> int:
    from kubeling.client import load_client_config
    from kubeling.kubelet import KubeletConfig, run_kubelet

    _logging(args.log_level)
    config = KubeletConfig(
        node_name=args.node_name or default_node_name(),
        root_dir=args.root_dir.resolve(),
        node_ip=args.node_ip,
        node_labels=_labels(args.node_labels),
        stop_pods_on_exit=args.stop_pods_on_exit == "true",
        cgroups=args.cgroups == "true",
        mount_namespaces=args.mount_namespaces == "true",
    )
    await run_kubelet(config, load_client_config(args.kubeconfig))
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

    for name, help_text in (
        ("up", "run the all-in-one cluster on this machine (API server, controllers, kubelet)"),
        ("server", "run the API server"),
    ):
        cmd = sub.add_parser(name, help=help_text)
        cmd.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
        cmd.add_argument("--datastore", help="sqlite:///path, etcd://host:port[,...] or memory://")
        cmd.add_argument("--bind-address", default="127.0.0.1")
        cmd.add_argument("--port", type=int, default=6443, help="0 picks a free port")
        cmd.add_argument(
            "--service-account-issuer",
            help="the iss claim of service account tokens "
            "(default: https://kubernetes.default.svc.cluster.local)",
        )
        cmd.add_argument(
            "--api-audiences",
            default="",
            help="comma-separated audiences of the API server (default: the issuer)",
        )
        cmd.add_argument(
            "--log-level",
            default="info",
            choices=["debug", "info", "warning", "error"],
            help="debug logs one line per API request",
        )
        cmd.add_argument(
            "--default-local-storage-path",
            type=Path,
            help="where local-path volumes live on each node (default: <data dir>/storage)",
        )
        if name == "up":
            cmd.add_argument(
                "--node-name", default="", help="the node's name (default: the host name)"
            )
        cmd.set_defaults(run=_serve)

    manager = sub.add_parser("controller-manager", help="run the controllers against an API server")
    manager.add_argument("--kubeconfig", type=Path, default=DEFAULT_DATA_DIR / "kubeconfig.yaml")
    manager.add_argument(
        "--controllers",
        default="*",
        help="comma-separated: * for all, name to add, -name to leave out",
    )
    manager.add_argument("--leader-elect", choices=["true", "false"], default="true")
    manager.add_argument(
        "--default-local-storage-path",
        type=Path,
        default=DEFAULT_DATA_DIR / "storage",
        help="where local-path volumes live on each node",
    )
    manager.add_argument(
        "--log-level", default="info", choices=["debug", "info", "warning", "error"]
    )
    manager.set_defaults(run=_controller_manager)

    kubelet = sub.add_parser("kubelet", help="run a node agent: register a Node, run its pods")
    kubelet.add_argument("--kubeconfig", type=Path, default=DEFAULT_DATA_DIR / "kubeconfig.yaml")
    kubelet.add_argument("--node-name", default="", help="default: the host name")
    kubelet.add_argument(
        "--root-dir", type=Path, default=DEFAULT_DATA_DIR / "kubelet", help="the kubelet's state"
    )
    kubelet.add_argument(
        "--node-ip", default="", help="the node's address (default: the host name's, or 127.0.0.1)"
    )
    kubelet.add_argument("--node-labels", default="", help="extra labels: key=value,...")
    kubelet.add_argument(
        "--stop-pods-on-exit",
        choices=["true", "false"],
        default="false",
        help="stop every container when the kubelet stops (else they keep running)",
    )
    kubelet.add_argument(
        "--cgroups",
        choices=["true", "false"],
        default="true",
        help="enforce container limits with cgroups where the kernel allows",
    )
    kubelet.add_argument(
        "--mount-namespaces",
        choices=["true", "false"],
        default="true",
        help="mount volumes at their mountPath in a mount namespace per container where "
        "the kernel allows (else: symlinks under $KUBELING_ROOT)",
    )
    kubelet.add_argument(
        "--log-level", default="info", choices=["debug", "info", "warning", "error"]
    )
    kubelet.set_defaults(run=_kubelet)

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
