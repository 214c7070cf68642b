"""``kubeling``: the command line entry point.

Subcommands are thin: they parse flags into a config and hand it to the
component that does the work.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import datetime
import ipaddress
import logging
import os
import signal
import socket
import sys
from collections.abc import Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kubeling import __version__
from kubeling.apiserver.request_seats import DEFAULT_SEATS
from kubeling.cli.collector import collect_less_often
from kubeling.storage import open_store

if TYPE_CHECKING:
    from kubeling.client import ClientConfig
    from kubeling.dns import DnsOptions
    from kubeling.ingress import IngressOptions

__all__ = ["main"]

DEFAULT_DATA_DIR = Path(os.environ.get("KUBELING_DATA_DIR", "~/.kubeling")).expanduser()


def _default_datastore(data_dir: Path) -> str:
    return f"sqlite://{data_dir.resolve() / 'state.db'}"


async def _serve(args: argparse.Namespace) -> int:
    from kubeling.cli.serve import ServeOptions, serve

    _logging(args.log_level)
    data_dir: Path = args.data_dir
    up = args.command == "up"
    node_name = (args.node_name or default_node_name()) if up else None
    options = ServeOptions(
        data_dir=data_dir,
        datastore=args.datastore or _default_datastore(data_dir),
        bind_address=args.bind_address,
        port=args.port,
        service_account_issuer=args.service_account_issuer,
        api_audiences=tuple(a for a in args.api_audiences.split(",") if a),
        controllers=("*",) if args.command == "up" else None,
        scheduler=args.command == "up",
        local_storage_path=args.default_local_storage_path,
        node_name=node_name,
        kubelet_port=args.kubelet_port if args.command == "up" else None,
        housekeeping_interval=args.housekeeping_interval if args.command == "up" else 10.0,
        token_auth_file=args.token_auth_file,
        encryption_provider_config=args.encryption_provider_config,
        anonymous_auth=args.anonymous_auth == "true",
        dns=_up_dns_options(args) if args.command == "up" else None,
        ingress=(
            _up_ingress_options(args, node_name)
            if node_name is not None and not args.disable_ingress
            else None
        ),
        disable_admission_plugins=frozenset(
            p for p in args.disable_admission_plugins.split(",") if p
        ),
        max_requests_inflight=args.max_requests_inflight,
    )
    return await serve(options)


def _default_certificate() -> tuple[bytes, bytes]:
    """The ingress's certificate for hosts without one of their own (made at each start)."""
    from kubeling.pki import self_signed_serving_cert

    return self_signed_serving_cert("Kubernetes Ingress Controller Fake Certificate")


def _up_ingress_options(args: argparse.Namespace, node_name: str) -> IngressOptions:
    from kubeling.ingress import IngressOptions

    return IngressOptions(
        node_name=node_name,
        default_certificate=_default_certificate(),
        # A loopback cluster stays on loopback: the ingress listens where the API server does.
        bind_address=args.bind_address,
        http_port=args.ingress_http_port,
        https_port=args.ingress_https_port,
    )


def _positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be more than 0 seconds: {text!r}")
    return value


def _at_least_one(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {text!r}")
    return value


def _upstream(text: str) -> tuple[str, int]:
    from kubeling.dns.upstream import parse_upstream

    try:
        return parse_upstream(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def _up_dns_options(args: argparse.Namespace) -> DnsOptions:
    from kubeling.dns import DnsOptions

    return DnsOptions(
        cluster_domain=args.cluster_domain,
        cluster_dns=args.cluster_dns,
        port=args.dns_port,
    )


def _logging(level: str) -> None:
    logging.basicConfig(
        level=level.upper(),
        format="time=%(asctime)s level=%(levelname)s logger=%(name)s %(message)s",
        stream=sys.stderr,
    )


async def _controller_manager(args: argparse.Namespace) -> int:
    from kubeling.client import load_client_config
    from kubeling.controllers.manager import ControllerManagerOptions, run_controller_manager
    from kubeling.controllers.nodelifecycle import NodeLifecycleOptions

    _logging(args.log_level)
    node_lifecycle = NodeLifecycleOptions(
        node_monitor_period=_seconds(args.node_monitor_period, "--node-monitor-period"),
        node_monitor_grace_period=_seconds(
            args.node_monitor_grace_period, "--node-monitor-grace-period"
        ),
        node_startup_grace_period=_seconds(
            args.node_startup_grace_period, "--node-startup-grace-period"
        ),
        node_eviction_rate=args.node_eviction_rate,
        secondary_node_eviction_rate=args.secondary_node_eviction_rate,
        large_cluster_size_threshold=args.large_cluster_size_threshold,
        unhealthy_zone_threshold=args.unhealthy_zone_threshold,
    )
    options = ControllerManagerOptions(
        controllers=tuple(c for c in args.controllers.split(",") if c),
        leader_elect=args.leader_elect == "true",
        local_storage_path=str(args.default_local_storage_path.expanduser().resolve()),
        node_lifecycle=node_lifecycle,
    )
    await run_controller_manager(load_client_config(args.kubeconfig), options)
    return 0


def _seconds(text: str, flag: str) -> float:
    """A Go duration flag (``40s``, ``1m30s``) in seconds; ValueError naming ``flag``."""
    from kubeling.api.protobuf import parse_go_duration

    try:
        nanoseconds = parse_go_duration(text)
    except ValueError as err:
        raise ValueError(f"{flag}: {err}") from None
    if nanoseconds <= 0:
        raise ValueError(f"{flag} must be positive: {text}")
    return nanoseconds / 1e9


async def _dns(args: argparse.Namespace) -> int:
    from kubeling.client import load_client_config
    from kubeling.dns import DnsOptions, run_dns
    from kubeling.dns.server import DnsServer

    _logging(args.log_level)
    options = DnsOptions(
        cluster_domain=args.cluster_domain,
        service_cidr=args.service_cidr,
        cluster_dns=args.cluster_dns,
        bind_address=args.bind_address,
        port=args.port,
        fallback_port=args.fallback_port or None,
        ttl=args.ttl,
        pod_records=args.pods,
        resolv_conf=args.resolv_conf,
        upstreams=tuple(args.upstream),
    )

    def ready(server: DnsServer) -> None:
        assert server.address is not None
        host, port = server.address
        print(f"kubeling DNS ready on {host} port {port} (UDP and TCP)", flush=True)

    config = load_client_config(args.kubeconfig)
    return await _until_signalled(run_dns(config, options, on_ready=ready))


async def _until_signalled(component: Coroutine[Any, Any, None]) -> int:
    """Run ``component`` until it ends or SIGINT/SIGTERM cancels it (it then stops in order)."""
    main = asyncio.current_task()
    assert main is not None
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, main.cancel)
    with contextlib.suppress(asyncio.CancelledError):
        await component
    return 0


async def _ingress(args: argparse.Namespace) -> int:
    from kubeling.client import load_client_config
    from kubeling.ingress import IngressOptions, IngressServer, run_ingress

    _logging(args.log_level)
    options = IngressOptions(
        node_name=args.node_name or default_node_name(),
        default_certificate=_default_certificate(),
        bind_address=args.bind_address,
        http_port=args.http_port,
        https_port=args.https_port,
        http_fallback_port=args.http_fallback_port or None,
        https_fallback_port=args.https_fallback_port or None,
        publish_addresses=tuple(args.publish_address),
        update_status=args.update_status == "true",
        max_connections=args.max_connections,
    )

    def ready(server: IngressServer) -> None:
        where = " and ".join(f"{s}://{h}:{p}" for s, (h, p) in server.addresses.items())
        print(f"kubeling ingress ready on {where}", flush=True)

    config = load_client_config(args.kubeconfig)
    return await _until_signalled(run_ingress(config, options, on_ready=ready))


async def _scheduler(args: argparse.Namespace) -> int:
    from kubeling.client import load_client_config
    from kubeling.scheduler.server import SchedulerOptions, run_scheduler

    _logging(args.log_level)
    options = SchedulerOptions(leader_elect=args.leader_elect == "true")
    await run_scheduler(load_client_config(args.kubeconfig), options)
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


def _addresses(text: str) -> tuple[str, ...]:
    """``--cluster-dns``: comma-separated IP addresses."""
    found = []
    for item in filter(None, (part.strip() for part in text.split(","))):
        try:
            found.append(str(ipaddress.ip_address(item)))
        except ValueError:
            raise argparse.ArgumentTypeError(f"invalid IP address {item!r}") from None
    return tuple(found)


def _add_pod_dns_flags(cmd: argparse.ArgumentParser, *, cluster_dns: str) -> None:
    """The kubelet's DNS flags, with Kubernetes' names."""
    cmd.add_argument(
        "--cluster-dns",
        type=_addresses,
        default=_addresses(cluster_dns),
        help="comma-separated cluster DNS addresses, the nameservers of ClusterFirst pods "
        f"(default: {cluster_dns or 'none: such pods get the host resolver'})",
    )
    cmd.add_argument(
        "--cluster-domain",
        default="cluster.local",
        help="the cluster's DNS domain, searched by pods",
    )
    cmd.add_argument(
        "--resolv-conf",
        default="/etc/resolv.conf",
        help="the resolver configuration pods start from ('' : none)",
    )


def default_node_name() -> str:
    """The node's name when none is given: the host name, lowercased (as the kubelet does)."""
    return socket.gethostname().lower()


async def _kubelet(args: argparse.Namespace) -> int:
    from kubeling.cli.kubelet_serving import kubelet_server_config
    from kubeling.client import load_client_config
    from kubeling.kubelet import KubeletConfig, default_node_ip, run_kubelet
    from kubeling.pki import Pki

    _logging(args.log_level)
    config = KubeletConfig(
        node_name=args.node_name or default_node_name(),
        root_dir=args.root_dir.resolve(),
        node_ip=args.node_ip or default_node_ip(),
        node_labels=_labels(args.node_labels),
        stop_pods_on_exit=args.stop_pods_on_exit == "true",
        cgroups=args.cgroups == "true",
        kubelet_port=args.port,
        mount_namespaces=args.mount_namespaces == "true",
        stats_interval=args.housekeeping_interval,
        cluster_dns=args.cluster_dns,
        cluster_domain=args.cluster_domain,
        resolv_conf=args.resolv_conf,
        runtime=args.runtime,
    )
    pki = Pki.at(args.pki_dir.expanduser())
    server = None
    if pki.ca_key.exists():
        server = kubelet_server_config(
            pki,
            node_name=config.node_name,
            node_ip=config.node_ip,
            root_dir=config.root_dir,
            bind_address=args.address,
            port=args.port,
        )
    else:
        logging.getLogger("kubeling.kubelet").warning(
            "no cluster CA key in %s: the kubelet serves no logs, exec or port-forward",
            pki.dir,
        )
    await run_kubelet(config, load_client_config(args.kubeconfig), server)
    return 0


def _simulate_client_config(args: argparse.Namespace) -> ClientConfig:
    """The client of ``kubeling simulate``: the kubeconfig's, with ``--server`` and
    ``--token`` (and its CA options) taking precedence; ``--server`` alone needs a token."""
    from kubeling.client import ClientConfig, load_client_config

    if args.kubeconfig is not None:
        config = load_client_config(args.kubeconfig.expanduser())
        if args.server:
            config = dataclasses.replace(config, server=args.server.rstrip("/"))
    elif args.server:
        config = ClientConfig(server=args.server.rstrip("/"))
    else:
        default = DEFAULT_DATA_DIR / "kubeconfig.yaml"
        config = load_client_config(default)
    if args.token:
        config = dataclasses.replace(
            config, token=args.token, token_file=None, client_cert_pem=None, client_key_pem=None
        )
    if args.certificate_authority is not None:
        config = dataclasses.replace(config, ca_pem=args.certificate_authority.read_bytes())
    if args.insecure_skip_tls_verify:
        config = dataclasses.replace(config, insecure_skip_tls_verify=True)
    return config


async def _simulate(args: argparse.Namespace) -> int:
    from kubeling.api.quantity import parse_quantity
    from kubeling.cli.simulate import FailureSchedule, parse_fraction, run_simulate
    from kubeling.kubelet.runtime.simulated import SimulationOptions, parse_duration
    from kubeling.kubelet.simulator import SimulatorOptions

    _logging(args.log_level)
    simulation = SimulationOptions(
        start_delay=parse_duration(args.start_delay),
        exit_after=parse_duration(args.exit_after),
        exit_code=args.exit_code,
        failure_rate=args.failure_rate,
        failure_after=parse_duration(args.failure_after),
    )
    options = SimulatorOptions(
        nodes=args.nodes,
        name_prefix=args.name_prefix,
        simulation=simulation,
        cpus=args.cpu,
        memory_bytes=parse_quantity(args.memory).value(),
        max_pods=args.pods,
        node_labels=_labels(args.node_labels),
        zones=args.zones,
        sync_frequency=parse_duration(args.sync_frequency),
        fail_fraction=parse_fraction(args.fail_nodes),
    )
    schedule = FailureSchedule(
        fail_after=parse_duration(args.fail_after) if args.fail_after else None,
        recover_after=parse_duration(args.recover_after) if args.recover_after else None,
    )
    return await run_simulate(
        _simulate_client_config(args),
        options,
        schedule,
        max_requests_in_flight=args.max_requests_in_flight,
    )


async def _proxy(args: argparse.Namespace) -> int:
    from kubeling.client import load_client_config
    from kubeling.proxy import ProxyOptions, run_proxy

    _logging(args.log_level)
    options = ProxyOptions(
        node_name=args.node_name or default_node_name(),
        mode=args.proxy_mode,
        balance=args.balance,
        udp_idle_timeout=args.udp_idle_timeout,
    )
    proxy = asyncio.create_task(run_proxy(load_client_config(args.kubeconfig), options))
    # SIGTERM and SIGINT stop it cleanly: frontends closed, connections ended.
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, proxy.cancel)
    with contextlib.suppress(asyncio.CancelledError):
        await proxy
    return 0


async def _token_create(args: argparse.Namespace) -> int:
    from kubeling.api.protobuf import parse_go_duration
    from kubeling.cli.token import TokenOptions, create_token, join_command
    from kubeling.client import load_client_config

    nanoseconds = parse_go_duration(args.ttl)
    if nanoseconds < 0:
        raise ValueError(f"--ttl must not be negative: {args.ttl}")
    config = load_client_config(args.kubeconfig)
    options = TokenOptions(
        token=args.token or "",
        ttl=datetime.timedelta(microseconds=nanoseconds // 1000) if nanoseconds else None,
        description=args.description,
        usages=tuple(u for u in args.usages.split(",") if u),
        groups=tuple(g for g in args.groups.split(",") if g),
    )
    token = await create_token(config, options)
    print(join_command(config, token) if args.print_join_command else token)
    return 0


async def _agent(args: argparse.Namespace) -> int:
    from kubeling.cli.agent import AgentOptions, run_agent

    _logging(args.log_level)
    node_name = args.node_name or default_node_name()
    options = AgentOptions(
        server=args.server,
        token=args.token,
        node_name=node_name,
        data_dir=args.data_dir or DEFAULT_DATA_DIR / "agents" / node_name,
        ca_cert_hash=args.ca_cert_hash,
        node_ip=args.node_ip,
        kubelet_port=args.kubelet_port,
        node_labels=_labels(args.node_labels),
        cgroups=args.cgroups == "true",
        cluster_dns=args.cluster_dns,
        cluster_domain=args.cluster_domain,
        resolv_conf=args.resolv_conf,
    )
    return await run_agent(options)


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
        (
            "up",
            "run the all-in-one cluster on this machine "
            "(API server, scheduler, controllers, and a node: kubelet, proxy, DNS)",
        ),
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
            "--token-auth-file",
            type=Path,
            help='static bearer tokens: a CSV of token,user,uid,"group1,group2"',
        )
        cmd.add_argument(
            "--encryption-provider-config",
            type=Path,
            help="an EncryptionConfiguration (apiserver.config.k8s.io/v1) naming the resources "
            "to encrypt at rest and their providers (aesgcm, aescbc, identity)",
        )
        cmd.add_argument(
            "--anonymous-auth",
            nargs="?",
            const="true",
            default="true",
            choices=["true", "false"],
            help="requests without credentials are system:anonymous (default true), "
            "allowed what RBAC grants them (the public-info paths by default)",
        )
        cmd.add_argument(
            "--log-level",
            default="info",
            choices=["debug", "info", "warning", "error"],
            help="debug logs one line per API request",
        )
        cmd.add_argument(
            "--disable-admission-plugins",
            default="",
            help="comma-separated admission plugins to turn off (e.g. ServiceAccount); "
            "every in-tree plugin kubeling has is on by default",
        )
        cmd.add_argument(
            "--max-requests-inflight",
            type=_at_least_one,
            default=DEFAULT_SEATS,
            help="resource requests served at once; more wait for a seat, in one line per "
            "user (system:masters, node heartbeats, watches and streams never wait)",
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
            cmd.add_argument(
                "--cluster-domain", default="cluster.local", help="the cluster DNS domain"
            )
            cmd.add_argument(
                "--cluster-dns",
                help="the cluster DNS address, the kube-dns ClusterIP (default: 127.96.0.10)",
            )
            cmd.add_argument(
                "--dns-port",
                type=int,
                default=53,
                help="the cluster DNS port (without the right to bind 53: 1053; 0: a free port)",
            )
            cmd.add_argument(
                "--disable-ingress",
                action="store_true",
                help="do not run the built-in ingress controller (IngressClass kubeling)",
            )
            cmd.add_argument(
                "--ingress-http-port",
                type=int,
                default=80,
                help="the ingress's HTTP port (without the right to bind 80: 8080; 0: a free port)",
            )
            cmd.add_argument(
                "--ingress-https-port",
                type=int,
                default=443,
                help="the ingress's HTTPS port (without the right to bind 443: 8443; "
                "0: a free port)",
            )
            cmd.add_argument(
                "--housekeeping-interval",
                type=_positive_seconds,
                default=10.0,
                help="how often the kubelet samples resource usage for kubectl top, seconds "
                "(default 10)",
            )
            cmd.add_argument(
                "--kubelet-port",
                type=int,
                default=None,
                help="the kubelet's HTTPS port for logs, exec and port-forward "
                "(default: 10250, or a free one if 10250 is taken; 0 picks a free one)",
            )
        cmd.set_defaults(run=_serve)

    manager = sub.add_parser("controller-manager", help="run the controllers against an API server")
    manager.add_argument(
        "--kubeconfig",
        type=Path,
        default=DEFAULT_DATA_DIR / "controller-manager.kubeconfig",
        help="its own identity, written by kubeling server (default: %(default)s)",
    )
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
    # The node lifecycle controller's flags, with Kubernetes 1.32's defaults.
    manager.add_argument("--node-monitor-period", default="5s")
    manager.add_argument(
        "--node-monitor-grace-period",
        default="50s",
        help="how long a node may stay silent before it is marked NotReady/Unknown",
    )
    manager.add_argument("--node-startup-grace-period", default="1m")
    manager.add_argument(
        "--node-eviction-rate",
        type=float,
        default=0.1,
        help="nodes per second tainted for eviction in a healthy zone",
    )
    manager.add_argument("--secondary-node-eviction-rate", type=float, default=0.01)
    manager.add_argument("--large-cluster-size-threshold", type=int, default=50)
    manager.add_argument("--unhealthy-zone-threshold", type=float, default=0.55)
    manager.add_argument(
        "--log-level", default="info", choices=["debug", "info", "warning", "error"]
    )
    manager.set_defaults(run=_controller_manager)

    scheduler = sub.add_parser("scheduler", help="run the scheduler against an API server")
    scheduler.add_argument(
        "--kubeconfig",
        type=Path,
        default=DEFAULT_DATA_DIR / "scheduler.kubeconfig",
        help="its own identity, written by kubeling server (default: %(default)s)",
    )
    scheduler.add_argument("--leader-elect", choices=["true", "false"], default="true")
    scheduler.add_argument(
        "--log-level", default="info", choices=["debug", "info", "warning", "error"]
    )
    scheduler.set_defaults(run=_scheduler)

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
        "--housekeeping-interval",
        type=_positive_seconds,
        default=10.0,
        help="how often resource usage is sampled for the summary stats, seconds (default 10)",
    )
    kubelet.add_argument(
        "--address", default="0.0.0.0", help="where the kubelet's HTTPS server listens"
    )
    kubelet.add_argument(
        "--port",
        type=int,
        default=10250,
        help="the kubelet's HTTPS port (logs, exec, port-forward); 0 picks a free one",
    )
    kubelet.add_argument(
        "--pki-dir",
        type=Path,
        default=DEFAULT_DATA_DIR / "pki",
        help="the cluster's PKI, whose CA issues the kubelet's serving certificate",
    )
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
        "--runtime",
        choices=["process", "simulated"],
        default="process",
        help="process: containers are host processes; simulated: no processes, pods only "
        "reported (see docs/simulate.md)",
    )
    kubelet.add_argument(
        "--mount-namespaces",
        choices=["true", "false"],
        default="true",
        help="mount volumes at their mountPath in a mount namespace per container, and give "
        "pods their hostname, /etc/hosts and /etc/resolv.conf, where the kernel allows "
        "(else: volumes are symlinks under $KUBELING_ROOT)",
    )
    _add_pod_dns_flags(kubelet, cluster_dns="")
    kubelet.add_argument(
        "--log-level", default="info", choices=["debug", "info", "warning", "error"]
    )
    kubelet.set_defaults(run=_kubelet)

    simulate = sub.add_parser(
        "simulate",
        help="run many simulated nodes in this process (registered Nodes, Leases, pods "
        "taken through the kubelet's logic, no containers)",
    )
    simulate.add_argument(
        "--kubeconfig", type=Path, default=None, help="default: ~/.kubeling/kubeconfig.yaml"
    )
    simulate.add_argument("--server", default="", help="the API server's URL")
    simulate.add_argument("--token", default="", help="a bearer token to authenticate with")
    simulate.add_argument("--certificate-authority", type=Path, default=None)
    simulate.add_argument("--insecure-skip-tls-verify", action="store_true")
    simulate.add_argument("--nodes", type=int, required=True, help="how many nodes")
    simulate.add_argument("--name-prefix", default="sim-", help="nodes are <prefix>00000...")
    simulate.add_argument("--node-labels", default="", help="extra labels: key=value,...")
    simulate.add_argument(
        "--zones", type=int, default=0, help="spread the nodes over this many zones (0: none)"
    )
    simulate.add_argument("--cpu", type=int, default=32, help="CPUs each node reports")
    simulate.add_argument("--memory", default="256Gi", help="memory each node reports")
    simulate.add_argument("--pods", type=int, default=110, help="pods each node accepts")
    simulate.add_argument(
        "--start-delay", default="0.5s", help="how long a container takes to start"
    )
    simulate.add_argument(
        "--exit-after", default="0", help="containers exit after running this long (0: never)"
    )
    simulate.add_argument("--exit-code", type=int, default=0, help="... with this exit code")
    simulate.add_argument(
        "--failure-rate",
        type=float,
        default=0.0,
        help="the probability that a container run crashes (exit code 1)",
    )
    simulate.add_argument(
        "--failure-after", default="1s", help="how long a crashing container runs"
    )
    simulate.add_argument(
        "--sync-frequency", default="5m", help="how often each pod is synced without news"
    )
    simulate.add_argument(
        "--fail-nodes",
        default="10%",
        help="the fraction of nodes a failure stops (--fail-after, SIGUSR1)",
    )
    simulate.add_argument(
        "--fail-after", default="", help="fail --fail-nodes this long after all nodes run"
    )
    simulate.add_argument(
        "--recover-after", default="", help="bring failed nodes back this long after"
    )
    simulate.add_argument(
        "--max-requests-in-flight",
        type=int,
        default=64,
        help="requests the nodes have in flight at once, over the one shared client",
    )
    simulate.add_argument(
        "--log-level", default="info", choices=["debug", "info", "warning", "error"]
    )
    simulate.set_defaults(run=_simulate)

    proxy = sub.add_parser("proxy", help="run the service proxy of one node")
    proxy.add_argument(
        "--kubeconfig",
        type=Path,
        default=DEFAULT_DATA_DIR / "proxy.kubeconfig",
        help="its own identity, written by kubeling server (default: %(default)s)",
    )
    proxy.add_argument(
        "--node-name",
        default="",
        help="the node this proxy runs on (default: the host name)",
    )
    proxy.add_argument("--proxy-mode", choices=["userspace"], default="userspace")
    proxy.add_argument(
        "--balance",
        choices=["round-robin", "random"],
        default="round-robin",
        help="how connections are spread over a Service's endpoints",
    )
    proxy.add_argument(
        "--udp-idle-timeout",
        type=float,
        default=30.0,
        help="seconds after which an idle UDP flow is forgotten",
    )
    proxy.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    proxy.set_defaults(run=_proxy)

    dns = sub.add_parser("dns", help="run the cluster DNS against an API server")
    dns.add_argument(
        "--kubeconfig",
        type=Path,
        default=DEFAULT_DATA_DIR / "dns.kubeconfig",
        help="its own identity, written by kubeling server (default: %(default)s)",
    )
    dns.add_argument("--cluster-domain", default="cluster.local")
    dns.add_argument(
        "--service-cidr",
        default="127.96.0.0/16",
        help="the service range; the DNS address is its tenth address",
    )
    dns.add_argument(
        "--cluster-dns", help="the DNS address, the kube-dns ClusterIP (default: <cidr>.10)"
    )
    dns.add_argument("--bind-address", help="where to listen (default: the DNS address)")
    dns.add_argument("--port", type=int, default=53, help="0 picks a free port")
    dns.add_argument(
        "--fallback-port",
        type=int,
        default=1053,
        help="the port used when --port may not be bound (0: fail instead)",
    )
    dns.add_argument("--ttl", type=int, default=5, help="seconds, for every cluster record")
    dns.add_argument(
        "--pods",
        choices=["insecure", "verified", "disabled"],
        default="insecure",
        help="<a-b-c-d>.<ns>.pod.<domain> records: for any address, for pods' addresses, none",
    )
    dns.add_argument(
        "--resolv-conf",
        type=Path,
        default=Path("/etc/resolv.conf"),
        help="where the upstream nameservers are listed",
    )
    dns.add_argument(
        "--upstream",
        action="append",
        default=[],
        type=_upstream,
        metavar="ADDRESS[:PORT]",
        help="forward other names here instead of to the resolv.conf's nameservers (repeatable)",
    )
    dns.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    dns.set_defaults(run=_dns)
    ingress = sub.add_parser(
        "ingress", help="run the built-in ingress controller (IngressClass kubeling)"
    )
    ingress.add_argument(
        "--kubeconfig",
        type=Path,
        default=DEFAULT_DATA_DIR / "ingress.kubeconfig",
        help="its own identity, written by kubeling server (default: %(default)s)",
    )
    ingress.add_argument(
        "--node-name",
        default="",
        help="the node it runs on, whose addresses go into Ingress status (default: host name)",
    )
    ingress.add_argument("--bind-address", default="0.0.0.0", help="where to listen")
    ingress.add_argument("--http-port", type=int, default=80, help="0 picks a free port")
    ingress.add_argument("--https-port", type=int, default=443, help="0 picks a free port")
    ingress.add_argument(
        "--http-fallback-port",
        type=int,
        default=8080,
        help="the HTTP port used when --http-port may not be bound (0: fail instead)",
    )
    ingress.add_argument(
        "--https-fallback-port",
        type=int,
        default=8443,
        help="the HTTPS port used when --https-port may not be bound (0: fail instead)",
    )
    ingress.add_argument(
        "--publish-address",
        action="append",
        default=[],
        metavar="IP",
        help="the address written into Ingress status (repeatable; default: the node's)",
    )
    ingress.add_argument(
        "--update-status",
        choices=["true", "false"],
        default="true",
        help="write status.loadBalancer of the Ingresses served",
    )
    ingress.add_argument(
        "--max-connections", type=int, default=4096, help="client connections served at once"
    )
    ingress.add_argument(
        "--log-level", default="info", choices=["debug", "info", "warning", "error"]
    )
    ingress.set_defaults(run=_ingress)

    token = sub.add_parser("token", help="manage bootstrap tokens for joining nodes")
    token_sub = token.add_subparsers(dest="token_command", required=True)
    create = token_sub.add_parser(
        "create", help="create a bootstrap token (kube-system Secret) and print it"
    )
    create.add_argument("token", nargs="?", help="the token to create (default: a random one)")
    create.add_argument("--kubeconfig", type=Path, default=DEFAULT_DATA_DIR / "kubeconfig.yaml")
    create.add_argument(
        "--ttl", default="24h0m0s", help="how long the token is valid; 0: it never expires"
    )
    create.add_argument("--description", default="", help="what the token is for")
    create.add_argument(
        "--usages",
        default="signing,authentication",
        help="comma-separated: signing, authentication",
    )
    create.add_argument(
        "--groups",
        default="system:bootstrappers:kubeadm:default-node-token",
        help="extra groups the token authenticates as (system:bootstrappers:...)",
    )
    create.add_argument(
        "--print-join-command",
        action="store_true",
        help="print the kubeling agent command that joins a node, not just the token",
    )
    create.set_defaults(run=_token_create)

    agent = sub.add_parser("agent", help="run a further node, joined with a bootstrap token")
    agent.add_argument("--server", required=True, help="the API server: https://host:port")
    agent.add_argument("--token", required=True, help="a token from kubeling token create")
    agent.add_argument(
        "--ca-cert-hash",
        default="",
        help="sha256:<hex> pin of the cluster CA (printed by token create --print-join-command)",
    )
    agent.add_argument("--node-name", default="", help="default: the host name")
    agent.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="the node's credentials and state (default: ~/.kubeling/agents/<node name>)",
    )
    agent.add_argument(
        "--node-ip", default="", help="the node's address (default: the host name's, or 127.0.0.1)"
    )
    agent.add_argument("--node-labels", default="", help="extra labels: key=value,...")
    agent.add_argument(
        "--kubelet-port",
        type=int,
        default=None,
        help="the kubelet's HTTPS port on the node IP, for logs, exec and port-forward "
        "(default: 10250, or a free one if 10250 is taken; 0 picks a free one)",
    )
    agent.add_argument(
        "--cgroups",
        choices=["true", "false"],
        default="true",
        help="enforce container limits with cgroups where the kernel allows",
    )
    _add_pod_dns_flags(agent, cluster_dns="127.96.0.10")
    agent.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    agent.set_defaults(run=_agent)

    info = sub.add_parser("store-info", help="print a datastore's revision and key count")
    info.add_argument("--datastore", required=True)
    info.add_argument("--prefix", default="/")
    info.set_defaults(run=_store_info)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    collect_less_often()
    # A process started in the background by a shell without job control (a CI script, a
    # Makefile's `&`) inherits SIGINT ignored, and Python then leaves it ignored: every
    # component would shrug off Ctrl-C and the SIGINT that stops it. Kubernetes' components
    # (Go's signal.Notify) take the signal even then; so do these.
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        status: int = asyncio.run(args.run(args))
        return status
    except KeyboardInterrupt:
        return 130
    except Exception as err:
        print(f"kubeling: error: {err}", file=sys.stderr)
        return 1
