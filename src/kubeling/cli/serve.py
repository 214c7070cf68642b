"""Running the control plane from the command line: ``kubeling server`` and ``up``.

Both create the cluster's PKI in the data dir (once), write the admin
kubeconfig to ``<data-dir>/kubeconfig.yaml`` and each component's own
kubeconfig next to it (:mod:`kubeling.cli.component_identities`), and serve
until SIGINT or SIGTERM, then stop every component in reverse order. The
components ``kubeling up`` runs in this process use their own kubeconfigs,
as they would on another machine: none of them holds admin credentials.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
import socket
import time
from dataclasses import dataclass
from pathlib import Path

from kubeling.api import errors
from kubeling.apiserver.auth.serviceaccount_tokens import DEFAULT_ISSUER
from kubeling.apiserver.request_seats import DEFAULT_SEATS
from kubeling.apiserver.server import ApiServer, ApiServerConfig
from kubeling.cli.component_identities import (
    CONTROLLER_MANAGER,
    DNS,
    INGRESS,
    PROXY,
    SCHEDULER,
    Component,
    kubelet_component,
    write_component_kubeconfig,
)
from kubeling.cli.kubeconfig import write_kubeconfig
from kubeling.cli.kubelet_serving import kubelet_server_config
from kubeling.client import ApiClient, ClientConfig, PatchType, TransportError, load_client_config
from kubeling.client.resources import NODES
from kubeling.controllers.manager import ControllerManagerOptions, run_controller_manager
from kubeling.dns import DnsOptions, run_dns
from kubeling.dns.server import DnsServer
from kubeling.ingress import IngressOptions, IngressServer, run_ingress
from kubeling.kubelet import KubeletConfig, default_node_ip, run_kubelet
from kubeling.kubelet.server.server import DEFAULT_PORT as DEFAULT_KUBELET_PORT
from kubeling.pki import Pki, ensure_pki
from kubeling.proxy import ProxyOptions, run_proxy
from kubeling.scheduler.server import LeadershipLostError, SchedulerOptions, run_scheduler

__all__ = ["ServeOptions", "serve"]

log = logging.getLogger(__name__)

#: The role label of the all-in-one node (``kubectl get nodes`` shows it as ROLES).
CONTROL_PLANE_LABEL = "node-role.kubernetes.io/control-plane"
#: How often ``kubeling up`` looks for its node to label it, until the kubelet registers it.
_MARK_RETRY = 0.2


@dataclass(frozen=True, slots=True)
class ServeOptions:
    data_dir: Path
    datastore: str
    bind_address: str = "127.0.0.1"
    port: int = 6443
    banner: bool = True
    service_account_issuer: str | None = None  # None: Kubernetes' default for cluster.local
    api_audiences: tuple[str, ...] = ()
    #: Run the controller manager in this process too (``kubeling up``), with these controllers.
    controllers: tuple[str, ...] | None = None
    #: Run the scheduler in this process too (``kubeling up``).
    scheduler: bool = False
    #: The local-path provisioner's base directory (default: ``<data dir>/storage``).
    local_storage_path: Path | None = None
    #: Run a node in this process too (``kubeling up``): a kubelet and a service proxy for a
    #: node of this name.
    node_name: str | None = None
    #: The port of that node's kubelet (logs, exec, port-forward); None: 10250, or a free one
    #: if 10250 is taken.
    kubelet_port: int | None = None
    #: How often that kubelet samples resource usage (``--housekeeping-interval``).
    housekeeping_interval: float = 10.0
    #: Static bearer tokens (``--token-auth-file``).
    token_auth_file: Path | None = None
    #: Requests without credentials are ``system:anonymous`` (``--anonymous-auth``).
    anonymous_auth: bool = True
    #: Encryption at rest (``--encryption-provider-config``).
    encryption_provider_config: Path | None = None
    #: Run the cluster DNS in this process too (``kubeling up``), with these options.
    dns: DnsOptions | None = None
    #: Run the ingress controller in this process too (``kubeling up``), with these options.
    ingress: IngressOptions | None = None
    #: Admission plugins left out (``--disable-admission-plugins``).
    disable_admission_plugins: frozenset[str] = frozenset()
    #: Resource requests served at once (``--max-requests-inflight``): see request_seats.
    max_requests_inflight: int = DEFAULT_SEATS


def _server_ips(bind_address: str) -> list[str]:
    return [bind_address] if bind_address not in ("0.0.0.0", "::") else []


def _freeze_startup_objects() -> None:
    """Keep what start-up made (modules, API declarations, the registry) out of
    every later full garbage collection: it lives as long as the process, and
    walking it again and again only lengthens the collector's pauses."""
    gc.collect()
    gc.freeze()


async def serve(options: ServeOptions, *, stop: asyncio.Event | None = None) -> int:
    """Run the API server until ``stop`` is set (or a signal arrives)."""
    started = time.monotonic()
    data_dir = options.data_dir
    await asyncio.to_thread(data_dir.mkdir, parents=True, exist_ok=True)
    pki: Pki = await asyncio.to_thread(
        ensure_pki,
        data_dir / "pki",
        server_names=[socket.gethostname()],
        server_ips=_server_ips(options.bind_address),
    )
    server = ApiServer(
        ApiServerConfig(
            datastore=options.datastore,
            bind_address=options.bind_address,
            port=options.port,
            ssl_context=pki.server_ssl_context(),
            service_account_signing_key=pki.service_account_signing_key(),
            service_account_issuer=options.service_account_issuer or DEFAULT_ISSUER,
            api_audiences=options.api_audiences,
            kubelet_client_ssl_context=pki.kubelet_client_ssl_context(),
            token_auth_file=options.token_auth_file,
            encryption_provider_config=options.encryption_provider_config,
            anonymous_auth=options.anonymous_auth,
            pki=pki,
            disable_admission_plugins=options.disable_admission_plugins,
            max_requests_inflight=options.max_requests_inflight,
        )
    )
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    components: list[asyncio.Task[None]] = []
    try:
        await server.start()
        host = "127.0.0.1" if options.bind_address in ("0.0.0.0", "::") else options.bind_address
        kubeconfig = data_dir / "kubeconfig.yaml"
        server_url = f"https://{host}:{server.port}"
        await asyncio.to_thread(
            write_kubeconfig,
            kubeconfig,
            server_url=server_url,
            ca_pem=pki.ca_pem(),
            client_cert_pem=pki.admin_cert.read_bytes(),
            client_key_pem=pki.admin_key.read_bytes(),
        )
        kubeconfigs = await asyncio.to_thread(
            _write_component_kubeconfigs, options, pki, server_url
        )
        components = _start_components(options, kubeconfigs, pki, banner=options.banner)
        if options.node_name is not None:
            marking = _mark_control_plane(load_client_config(kubeconfig), options.node_name)
            marked = asyncio.create_task(marking, name="mark-control-plane")
            marked.add_done_callback(_report_exit)
            components.append(marked)
        _freeze_startup_objects()
        if options.banner:
            elapsed = time.monotonic() - started
            print(f"kubeling API server ready on https://{host}:{server.port} ({elapsed:.2f}s)")
            print(f"kubeconfig: {kubeconfig}")
            print(f"try: kubectl --kubeconfig {kubeconfig} get namespaces", flush=True)
        await stop.wait()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        await _stop_components(components)
        await server.stop()
    return 0


def _write_component_kubeconfigs(
    options: ServeOptions, pki: Pki, server_url: str
) -> dict[str, Path]:
    """Every component's kubeconfig, by component name (the kubelet's if a node runs here)."""
    components: list[Component] = [SCHEDULER, CONTROLLER_MANAGER, PROXY, DNS, INGRESS]
    if options.node_name is not None:
        components.append(kubelet_component(options.node_name))
    return {
        c.name: write_component_kubeconfig(
            c, pki=pki, data_dir=options.data_dir, server_url=server_url
        )
        for c in components
    }


def _start_components(
    options: ServeOptions, kubeconfigs: dict[str, Path], pki: Pki, *, banner: bool = False
) -> list[asyncio.Task[None]]:
    """The other control-plane components of ``kubeling up``, as clients of the server
    just started, each through its own kubeconfig, as it would run on another machine."""
    tasks: list[asyncio.Task[None]] = []
    # A stable identity: after a restart this process still holds its Leases
    # instead of waiting for them to expire.
    identity = f"{socket.gethostname()}_kubeling-up"
    if options.scheduler:
        scheduler = _keep_scheduling(load_client_config(kubeconfigs[SCHEDULER.name]), identity)
        tasks.append(asyncio.create_task(scheduler, name="scheduler"))
    if options.controllers is not None:
        config = load_client_config(kubeconfigs[CONTROLLER_MANAGER.name])
        manager = run_controller_manager(
            config,
            ControllerManagerOptions(
                controllers=options.controllers,
                local_storage_path=str(
                    (options.local_storage_path or options.data_dir / "storage").resolve()
                ),
            ),
            identity=identity,
        )
        tasks.append(asyncio.create_task(manager, name="controller-manager"))
    if options.dns is not None:
        dns = run_dns(
            load_client_config(kubeconfigs[DNS.name]),
            options.dns,
            on_ready=_announce_dns if banner else None,
        )
        tasks.append(asyncio.create_task(dns, name="dns"))
    if options.node_name is not None:
        kubelet = KubeletConfig(
            node_name=options.node_name,
            root_dir=options.data_dir.resolve() / "kubelet",
            node_ip=_node_ip(options.bind_address),
            # `kubeling up` ends with its containers: no process outlives it.
            stop_pods_on_exit=True,
            kubelet_port_fallback=options.kubelet_port is None,
            stats_interval=options.housekeeping_interval,
            # Pods resolve through the cluster DNS this process runs.
            cluster_dns=(options.dns.address,) if options.dns is not None else (),
            cluster_domain=options.dns.cluster_domain if options.dns is not None else "",
        )
        server = kubelet_server_config(
            pki,
            node_name=kubelet.node_name,
            node_ip=kubelet.node_ip,
            root_dir=kubelet.root_dir,
            # The API server's address: a loopback cluster stays on loopback.
            bind_address=options.bind_address,
            port=DEFAULT_KUBELET_PORT if options.kubelet_port is None else options.kubelet_port,
        )
        kubelet_config = load_client_config(kubeconfigs[kubelet_component(kubelet.node_name).name])
        tasks.append(
            asyncio.create_task(run_kubelet(kubelet, kubelet_config, server), name="kubelet")
        )
        proxy = run_proxy(
            load_client_config(kubeconfigs[PROXY.name]),
            ProxyOptions(node_name=options.node_name),
        )
        tasks.append(asyncio.create_task(proxy, name="proxy"))
    if options.ingress is not None:
        ingress = run_ingress(
            load_client_config(kubeconfigs[INGRESS.name]),
            options.ingress,
            on_ready=_announce_ingress if banner else None,
        )
        tasks.append(asyncio.create_task(ingress, name="ingress"))
    for task in tasks:
        task.add_done_callback(_report_exit)
    return tasks


async def _mark_control_plane(admin: ClientConfig, node_name: str) -> None:
    """kubeadm's mark-control-plane phase: the admin labels ``kubeling up``'s node once it has
    registered. The kubelet may not set a ``node-role.kubernetes.io`` label on its own Node
    (NodeRestriction refuses it), so the role label comes from here."""
    labels = {"metadata": {"labels": {CONTROL_PLANE_LABEL: ""}}}
    async with ApiClient(admin) as client:
        nodes = client.resource(NODES)
        while True:
            try:
                await nodes.patch(node_name, labels, patch_type=PatchType.MERGE)
                return
            except errors.StatusError as err:
                if not errors.is_not_found(err):
                    raise
            except TransportError as err:
                log.debug("labelling node %s: %s", node_name, err)
            await asyncio.sleep(_MARK_RETRY)


def _announce_dns(server: DnsServer) -> None:
    if server.address is not None:
        host, port = server.address
        print(f"cluster DNS on {host} port {port} (UDP and TCP)", flush=True)


def _announce_ingress(server: IngressServer) -> None:
    where = " and ".join(
        f"{scheme}://{host}:{port}" for scheme, (host, port) in server.addresses.items()
    )
    print(f"ingress (class kubeling) on {where}", flush=True)


async def _keep_scheduling(config: ClientConfig, identity: str) -> None:
    """The scheduler of ``kubeling up``: where ``kubeling scheduler`` would exit on losing
    its Lease (to be restarted), campaign again in this process."""
    while True:
        try:
            await run_scheduler(config, SchedulerOptions(), identity=identity)
            return
        except LeadershipLostError:
            log.warning("the scheduler lost its lease; campaigning again")


def _node_ip(bind_address: str) -> str:
    """The node's address: the API server's when it listens on one, else the host's."""
    return bind_address if bind_address not in ("0.0.0.0", "::") else default_node_ip()


def _report_exit(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("%s stopped", task.get_name(), exc_info=task.exception())


async def _stop_components(tasks: list[asyncio.Task[None]]) -> None:
    for task in tasks:
        task.cancel()
    for task in tasks:
        if task.done() and not task.cancelled() and task.exception() is not None:
            continue  # it failed earlier and was reported then: the others still stop cleanly
        with contextlib.suppress(asyncio.CancelledError):
            await task
