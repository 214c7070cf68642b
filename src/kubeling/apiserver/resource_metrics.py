"""The resource metrics API, ``metrics.k8s.io/v1beta1``, served in-process.

In Kubernetes this API is metrics-server behind the aggregator: it scrapes every kubelet and
serves ``NodeMetrics`` and ``PodMetrics``, which ``kubectl top`` and the horizontal pod
autoscaler read. Here the API server serves it itself, from each node's summary stats
(``/stats/summary`` on the kubelet, fetched through the kubelet connection of
:class:`~kubeling.apiserver.kubelet_proxy.KubeletProxy`):

- ``GET /apis/metrics.k8s.io/v1beta1/nodes[/<name>]`` (``labelSelector``, ``fieldSelector`` on
  the Nodes) and ``.../[namespaces/<ns>/]pods[/<name>]`` (on the Pods), verbs get and list only,
  as metrics-server; anything else is 405.
- CPU is ``usageNanoCores`` as ``NewScaledQuantity(n, -9)`` (``"2452532n"``, ``"250m"``) and
  memory ``workingSetBytes`` as a BinarySI quantity (``"12345Ki"``), as metrics-server writes
  them; ``timestamp`` is the sample's and ``window`` the sampling interval (``10s``, the
  kubelet's default housekeeping interval).
- A node or pod without a CPU rate yet (its kubelet has one sample) is left out, as
  metrics-server leaves out what it has one point of; so is a node whose kubelet cannot be
  reached. A missing object is 404 ``nodemetrics.metrics.k8s.io "n" not found`` /
  ``podmetrics.metrics.k8s.io "ns/p" not found``.
- Summaries are cached per node for ``cache_seconds`` (and fetched once for concurrent
  requests), so ``kubectl top`` and the HPA do not fan out to every kubelet per request.

Discovery lists the group (:attr:`ResourceMetrics.resources`) so that ``kubectl top`` finds it;
RBAC reads are granted by ``system:aggregated-metrics-reader``, aggregated into view, edit and
admin.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Final

from kubeling.api import errors
from kubeling.api.groupversion import GroupResource
from kubeling.api.quantity import Format, Quantity
from kubeling.api.schema import GroupVersionKind, Object
from kubeling.apiserver.registry.resource import Resource
from kubeling.apiserver.request_info import RequestInfo
from kubeling.apiserver.rest.options import ListOptions
from kubeling.apiserver.rest.resource_store import ResourceStore

__all__ = [
    "GROUP",
    "VERSION",
    "ResourceMetrics",
    "cpu_quantity",
    "memory_quantity",
    "node_metrics",
    "pod_metrics",
]

log = logging.getLogger("kubeling.apiserver")

GROUP: Final = "metrics.k8s.io"
VERSION: Final = "v1beta1"
#: The sampling interval reported as ``window``: the kubelet's default housekeeping interval.
DEFAULT_WINDOW_SECONDS: Final = 10.0
SUMMARY_PATH: Final = "/stats/summary?only_cpu_and_memory=true"

Obj = dict[str, Any]
#: Fetches one node's summary stats (the node object in, the Summary out); raises StatusError.
FetchSummary = Callable[[Mapping[str, Any]], Awaitable[Obj]]

_NODE_METRICS_TYPE = Object(
    name="io.k8s.metrics.pkg.apis.metrics.v1beta1.NodeMetrics",
    doc="NodeMetrics sets resource usage metrics of a node.",
    fields=(),
    gvk=GroupVersionKind(GROUP, VERSION, "NodeMetrics"),
    preserve_unknown=True,
)
_POD_METRICS_TYPE = Object(
    name="io.k8s.metrics.pkg.apis.metrics.v1beta1.PodMetrics",
    doc="PodMetrics sets resource usage metrics of a pod.",
    fields=(),
    gvk=GroupVersionKind(GROUP, VERSION, "PodMetrics"),
    preserve_unknown=True,
)
RESOURCES: Final = (
    Resource(
        group=GROUP,
        version=VERSION,
        kind="NodeMetrics",
        plural="nodes",
        singular="",
        namespaced=False,
        type=_NODE_METRICS_TYPE,
        verbs=("get", "list"),
        stored=False,
    ),
    Resource(
        group=GROUP,
        version=VERSION,
        kind="PodMetrics",
        plural="pods",
        singular="",
        namespaced=True,
        type=_POD_METRICS_TYPE,
        verbs=("get", "list"),
        stored=False,
    ),
)


def cpu_quantity(nano_cores: int) -> str:
    """CPU as metrics-server writes it.

    >>> cpu_quantity(2452532), cpu_quantity(250_000_000), cpu_quantity(2_000_000_000)
    ('2452532n', '250m', '2')
    """
    return str(Quantity.from_scaled(nano_cores, -9))


def memory_quantity(working_set_bytes: int) -> str:
    """Memory as metrics-server writes it (BinarySI).

    >>> memory_quantity(123456 * 1024), memory_quantity(3 * 1024**3), memory_quantity(0)
    ('123456Ki', '3Gi', '0')
    """
    return str(Quantity.from_int(working_set_bytes, Format.BINARY_SI))


def _duration(seconds: float) -> str:
    """A ``metav1.Duration`` as Go prints it (``10s``, ``12.5s``)."""
    text = f"{seconds:.9f}".rstrip("0").rstrip(".")
    return f"{text}s"


def _usage(cpu: Mapping[str, Any], memory: Mapping[str, Any]) -> Obj | None:
    rate = cpu.get("usageNanoCores")
    working_set = memory.get("workingSetBytes")
    if not isinstance(rate, int) or not isinstance(working_set, int):
        return None
    return {"cpu": cpu_quantity(rate), "memory": memory_quantity(working_set)}


def node_metrics(
    node: Mapping[str, Any], summary: Mapping[str, Any], *, window: float
) -> Obj | None:
    """The ``NodeMetrics`` of a node from its summary; None without a CPU rate yet."""
    stats = summary.get("node") or {}
    cpu, memory = stats.get("cpu") or {}, stats.get("memory") or {}
    usage = _usage(cpu, memory)
    if usage is None:
        return None
    meta = node.get("metadata") or {}
    metadata: Obj = {"name": meta.get("name", ""), "creationTimestamp": cpu.get("time")}
    if meta.get("labels"):
        metadata["labels"] = dict(meta["labels"])
    return {
        "kind": "NodeMetrics",
        "apiVersion": f"{GROUP}/{VERSION}",
        "metadata": metadata,
        "timestamp": cpu.get("time"),
        "window": _duration(window),
        "usage": usage,
    }


def pod_metrics(pod: Mapping[str, Any], stats: Mapping[str, Any], *, window: float) -> Obj | None:
    """The ``PodMetrics`` of a pod from its entry in its node's summary; None unless every
    container has a CPU rate."""
    containers = []
    for container in stats.get("containers") or []:
        usage = _usage(container.get("cpu") or {}, container.get("memory") or {})
        if usage is None:
            return None
        containers.append({"name": container.get("name", ""), "usage": usage})
    if not containers:
        return None
    meta = pod.get("metadata") or {}
    timestamp = (stats.get("cpu") or {}).get("time")
    metadata: Obj = {
        "name": meta.get("name", ""),
        "namespace": meta.get("namespace", ""),
        "creationTimestamp": timestamp,
    }
    if meta.get("labels"):
        metadata["labels"] = dict(meta["labels"])
    return {
        "kind": "PodMetrics",
        "apiVersion": f"{GROUP}/{VERSION}",
        "metadata": metadata,
        "timestamp": timestamp,
        "window": _duration(window),
        "containers": containers,
    }


class ResourceMetrics:
    """Serves ``metrics.k8s.io/v1beta1`` from the kubelets' summaries (module docstring)."""

    resources: Sequence[Resource] = RESOURCES

    def __init__(
        self,
        nodes: ResourceStore,
        pods: ResourceStore,
        fetch: FetchSummary,
        *,
        cache_seconds: float = 5.0,
        window: float = DEFAULT_WINDOW_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._nodes = nodes
        self._pods = pods
        self._fetch = fetch
        self._cache_seconds = cache_seconds
        self._window = window
        self._clock = clock
        #: node name → (when fetched, the summary or None if it failed)
        self._cache: dict[str, tuple[float, Obj | None]] = {}
        self._inflight: dict[str, asyncio.Future[Obj | None]] = {}

    async def serve(self, info: RequestInfo, query: Mapping[str, str]) -> Obj | None:
        """Answer one request (its body; None: no such path here); errors raise
        ``StatusError``."""
        resource = next((r for r in self.resources if r.plural == info.resource), None)
        if resource is None or info.subresource:
            return None
        if info.verb not in resource.verbs:
            raise errors.method_not_supported(resource.group_resource, info.verb)
        options = ListOptions.parse(query) if not info.name else ListOptions()
        if resource.plural == "nodes":
            return await self._nodes_answer(info.name, options)
        return await self._pods_answer(info.namespace, info.name, options)

    # -- nodes -------------------------------------------------------------------------

    async def _nodes_answer(self, name: str, options: ListOptions) -> Obj:
        if name:
            try:
                node = await self._nodes.get("", name)
            except errors.StatusError as err:
                if errors.is_not_found(err):
                    raise _not_found("nodemetrics", name) from None
                raise
            found = node_metrics(node, await self._summary(node) or {}, window=self._window)
            if found is None:
                raise _not_found("nodemetrics", name)
            return found
        nodes = (await self._nodes.list("", options)).get("items") or []
        summaries = await asyncio.gather(*(self._summary(n) for n in nodes))
        items = [
            found
            for node, summary in zip(nodes, summaries, strict=True)
            if (found := node_metrics(node, summary or {}, window=self._window)) is not None
        ]
        return _list("NodeMetricsList", items)

    # -- pods --------------------------------------------------------------------------

    async def _pods_answer(self, namespace: str, name: str, options: ListOptions) -> Obj:
        if name:
            try:
                pods = [await self._pods.get(namespace, name)]
            except errors.StatusError as err:
                if errors.is_not_found(err):
                    raise _not_found("podmetrics", f"{namespace}/{name}") from None
                raise
        else:
            pods = (await self._pods.list(namespace, options)).get("items") or []
        node_names = sorted({str((p.get("spec") or {}).get("nodeName") or "") for p in pods})
        node_names = [n for n in node_names if n]
        stats = await self._pod_stats(node_names)
        items = []
        for pod in pods:
            meta = pod.get("metadata") or {}
            entry = stats.get((meta.get("namespace"), meta.get("name"), meta.get("uid")))
            found = pod_metrics(pod, entry, window=self._window) if entry else None
            if found is not None:
                items.append(found)
        if name:
            if not items:
                raise _not_found("podmetrics", f"{namespace}/{name}")
            return items[0]
        return _list("PodMetricsList", items)

    async def _pod_stats(self, node_names: Sequence[str]) -> dict[tuple[Any, Any, Any], Obj]:
        """Every pod's summary entry on these nodes, by (namespace, name, uid)."""

        async def one(node_name: str) -> Obj | None:
            try:
                node = await self._nodes.get("", node_name)
            except errors.StatusError:
                return None
            return await self._summary(node)

        summaries = await asyncio.gather(*(one(n) for n in node_names))
        found: dict[tuple[Any, Any, Any], Obj] = {}
        for summary in summaries:
            for entry in (summary or {}).get("pods") or []:
                ref = entry.get("podRef") or {}
                found[(ref.get("namespace"), ref.get("name"), ref.get("uid"))] = entry
        return found

    # -- the summaries -------------------------------------------------------------------

    async def _summary(self, node: Mapping[str, Any]) -> Obj | None:
        """The node's summary, from the cache if fresh; None if its kubelet cannot say."""
        name = str((node.get("metadata") or {}).get("name") or "")
        cached = self._cache.get(name)
        if cached is not None and self._clock() - cached[0] < self._cache_seconds:
            return cached[1]
        pending = self._inflight.get(name)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[Obj | None] = asyncio.get_running_loop().create_future()
        self._inflight[name] = future
        summary: Obj | None = None
        try:
            summary = await self._fetch(node)
        except errors.StatusError as err:
            log.info("metrics: no summary from node %s: %s", name, err.message)
        finally:
            self._cache[name] = (self._clock(), summary)
            del self._inflight[name]
            future.set_result(summary)
        return summary


def _not_found(resource: str, name: str) -> errors.StatusError:
    return errors.not_found(GroupResource(GROUP, resource), name)


def _list(kind: str, items: list[Obj]) -> Obj:
    return {
        "kind": kind,
        "apiVersion": f"{GROUP}/{VERSION}",
        "metadata": {},
        "items": items,
    }
