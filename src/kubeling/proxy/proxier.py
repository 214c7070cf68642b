"""The service proxy (kube-proxy): watch Services and EndpointSlices, keep a backend in step.

:func:`run_proxy` is ``kubeling proxy`` (and part of ``kubeling up``). Informers
watch Services and EndpointSlices, as kube-proxy does: leaving out Services
labelled ``service.kubernetes.io/service-proxy-name`` (another proxy serves
them) and slices of headless Services (``service.kubernetes.io/headless``),
and the proxy's own Node (its addresses and zone). Any change marks the rules
dirty; the :class:`Proxier` loop then recomputes every rule
(:func:`~kubeling.proxy.rules.compute_rules`) and hands them to the backend,
at once after a quiet period and at most once per ``min_sync_period`` during
bursts (kube-proxy's ``--min-sync-period``), and every ``sync_period`` anyway
(``--sync-period``), which also retries ports that could not be opened.

A port the backend cannot open is logged and reported once as a Warning Event
on its Service (reason ``FailedToOpenPort``), and tried again at each sync;
nothing stops the proxy.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final, Protocol

from kubeling.api import errors
from kubeling.client import (
    WARNING,
    ApiClient,
    ClientConfig,
    EventBroadcaster,
    EventRecorder,
    SharedInformer,
)
from kubeling.client.bounded_sync import run_bounded_sync
from kubeling.client.resources import ENDPOINTSLICES, EVENTS, NODES, SERVICES
from kubeling.proxy.node import NodeInfo, node_info
from kubeling.proxy.rules import ServiceRule, compute_rules
from kubeling.proxy.userspace.backend import PortProblem, UserspaceBackend
from kubeling.proxy.userspace.balancer import ROUND_ROBIN

__all__ = ["MODES", "USER_AGENT", "Backend", "Proxier", "ProxyOptions", "run_proxy"]

log = logging.getLogger(__name__)

USER_AGENT: Final = "kube-proxy/v1.32.4+kubeling"
COMPONENT: Final = "kube-proxy"
MODES: Final = ("userspace",)

#: Services another proxy implementation serves, and slices of headless Services.
SERVICE_SELECTOR: Final = "!service.kubernetes.io/service-proxy-name"
SLICE_SELECTOR: Final = "!service.kubernetes.io/service-proxy-name,!service.kubernetes.io/headless"

FAILED_TO_OPEN_PORT: Final = "FailedToOpenPort"


@dataclass(frozen=True, slots=True)
class ProxyOptions:
    """``kubeling proxy``'s settings (kube-proxy's flags of the same meaning)."""

    node_name: str
    mode: str = "userspace"
    #: How the userspace backend spreads connections: round-robin or random.
    balance: str = ROUND_ROBIN
    min_sync_period: float = 0.5
    sync_period: float = 30.0
    #: A UDP flow without a datagram either way for this long is forgotten.
    udp_idle_timeout: float = 30.0
    #: Proxied connections at once (default: from the open-file limit).
    max_connections: int | None = None


class Backend(Protocol):
    """What applies rules: the userspace proxy today, iptables later."""

    async def sync(self, rules: Sequence[ServiceRule], node: NodeInfo) -> list[PortProblem]:
        """Make the data path match ``rules``; report what could not be set up."""
        ...

    async def close(self) -> None: ...


def new_backend(options: ProxyOptions) -> Backend:
    """The backend of ``options.mode``."""
    if options.mode != "userspace":
        raise ValueError(f"unsupported proxy mode {options.mode!r} (supported: userspace)")
    return UserspaceBackend(
        strategy=options.balance,
        udp_idle_timeout=options.udp_idle_timeout,
        max_connections=options.max_connections,
    )


class Proxier:
    """Keeps ``backend`` in step with the Services and EndpointSlices the informers hold."""

    def __init__(
        self,
        client: ApiClient,
        backend: Backend,
        recorder: EventRecorder,
        options: ProxyOptions,
    ) -> None:
        self.backend = backend
        self.recorder = recorder
        self.options = options
        self.services = SharedInformer(
            client.resource(SERVICES),
            resource=SERVICES.group_resource,
            label_selector=SERVICE_SELECTOR,
        )
        self.slices = SharedInformer(
            client.resource(ENDPOINTSLICES),
            resource=ENDPOINTSLICES.group_resource,
            label_selector=SLICE_SELECTOR,
        )
        self.nodes = SharedInformer(
            client.resource(NODES),
            resource=NODES.group_resource,
            field_selector=f"metadata.name={options.node_name}",
        )
        self.informers = (self.services, self.slices, self.nodes)
        self._dirty = asyncio.Event()
        self._reported: set[tuple[tuple[str, int, str], str]] = set()
        #: Set after the first sync: the rules reflect the caches.
        self.synced = asyncio.Event()
        for informer in self.informers:
            informer.add_event_handler(
                on_add=self._changed,
                on_update=lambda _old, _new: self._dirty.set(),
                on_delete=self._changed,
            )

    def _changed(self, _obj: object) -> None:
        self._dirty.set()

    @property
    def node(self) -> NodeInfo:
        nodes = self.nodes.lister.list()
        return node_info(nodes[0] if nodes else None, name=self.options.node_name)

    async def run(self) -> None:
        """Sync whenever something changed (and every ``sync_period``) until cancelled."""
        await run_bounded_sync(
            self.sync,
            self._dirty,
            min_period=self.options.min_sync_period,
            max_period=self.options.sync_period,
            log=log,
            what="proxy rules",
        )

    async def sync(self) -> None:
        """Recompute every rule from the caches and apply them."""
        node = self.node
        if not node.addresses and not self.synced.is_set():
            log.warning(
                "can't determine this node's IP (no Node %r with addresses), assuming loopback",
                node.name,
            )
        rules = compute_rules(self.services.lister.list(), self.slices.lister.list(), node)
        problems = await self.backend.sync(rules, node)
        self._report(problems)
        self.synced.set()

    def _report(self, problems: list[PortProblem]) -> None:
        """Log and record each problem once (until it goes away and comes back)."""
        current: set[tuple[tuple[str, int, str], str]] = set()
        for problem in problems:
            key = (problem.frontend.key, problem.message)
            current.add(key)
            if key in self._reported:
                continue
            log.error("%s", problem.message)
            service = self._service(problem)
            if service is not None:
                self.recorder.event(service, WARNING, FAILED_TO_OPEN_PORT, problem.message)
        self._reported = current

    def _service(self, problem: PortProblem) -> dict[str, Any] | None:
        name = problem.frontend.rule.name
        try:
            return self.services.lister.get(name.name, namespace=name.namespace)
        except errors.StatusError as err:
            if errors.is_not_found(err):
                return None
            raise


async def run_proxy(
    config: ClientConfig, options: ProxyOptions, *, backend: Backend | None = None
) -> None:
    """Run the service proxy until cancelled, then close every frontend."""
    backend = backend or new_backend(options)
    async with ApiClient(config.with_user_agent(USER_AGENT)) as client:
        events = EventBroadcaster(client.resource(EVENTS))
        recorder = events.new_recorder(COMPONENT, host=options.node_name)
        proxier = Proxier(client, backend, recorder, options)
        try:
            async with asyncio.TaskGroup() as group:
                group.create_task(events.run(), name="proxy-events")
                for informer in proxier.informers:
                    group.create_task(informer.run(), name=f"proxy informer {informer.resource}")
                await asyncio.gather(*(i.wait_for_sync() for i in proxier.informers))
                log.info("service proxy (%s) running on node %s", options.mode, options.node_name)
                group.create_task(proxier.run(), name="proxier")
        finally:
            await backend.close()
