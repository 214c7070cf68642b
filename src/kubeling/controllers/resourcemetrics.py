"""Where the HPA reads pods' resource usage: the resource metrics API (``metrics.k8s.io``).

:class:`ResourceMetricsSource` is what the controller needs (Kubernetes' ``MetricsClient``
``GetResourceMetric``); :class:`ApiResourceMetrics` reads ``PodMetrics`` through the API
server, and tests give the controller a fake. A pod's value is the sum over its containers (or
the one ``container`` asked for) of their usage in milli-units; a pod lacking the resource in
one of its containers is left out (it then counts as missing). Failures raise
:class:`MetricsUnavailable` with the metrics client's words.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, Protocol

from kubeling.api import errors
from kubeling.api.groupversion import GroupResource
from kubeling.api.protobuf import parse_go_duration
from kubeling.api.quantity import QuantityParseError, parse_quantity
from kubeling.client import TransportError
from kubeling.client.resources import Resource
from kubeling.client.rest import ApiClient
from kubeling.controllers.replicacalculator import PodMetric, unix_time

__all__ = [
    "POD_METRICS",
    "ApiResourceMetrics",
    "MetricsUnavailable",
    "ResourceMetricsSource",
    "pod_metrics_from_list",
]

#: The resource metrics API's pods (metrics-server, or kubeling's API server).
POD_METRICS: Final = Resource(
    group="metrics.k8s.io", version="v1beta1", plural="pods", kind="PodMetrics", namespaced=True
)


class MetricsUnavailable(Exception):
    """The metrics could not be read; the message is the metrics client's."""


class ResourceMetricsSource(Protocol):
    async def pod_metrics(
        self, resource: str, namespace: str, selector: str, *, container: str = ""
    ) -> tuple[dict[str, PodMetric], float]:
        """The metric of each pod the selector matches, and the time of the first sample."""
        ...


def _metrics_api_error(err: Exception) -> str:
    """How a metrics client reports a failed list (a 404 in the generic words, since the
    metrics clients cannot read the API server's Status)."""
    resource = GroupResource(POD_METRICS.group, POD_METRICS.plural)
    if isinstance(err, errors.StatusError) and err.code:
        if err.code in (404, 503):
            return str(errors.generic_server_response(err.code, "GET", resource, "", ""))
        return err.message
    return str(err)


def pod_metrics_from_list(
    items: list[Mapping[str, Any]], resource: str, *, container: str = ""
) -> tuple[dict[str, PodMetric], float]:
    """``getPodMetrics`` / ``getContainerMetrics`` over a ``PodMetricsList``'s items."""
    if not items:
        raise MetricsUnavailable("no metrics returned from resource metrics API")
    found: dict[str, PodMetric] = {}
    for item in items:
        name = str((item.get("metadata") or {}).get("name") or "")
        containers = [c for c in item.get("containers") or [] if isinstance(c, Mapping)]
        if container:
            containers = [c for c in containers if c.get("name") == container]
        total, missing = 0, not containers
        for entry in containers:
            raw = (entry.get("usage") or {}).get(resource)
            if raw is None:
                missing = True
                break
            try:
                total += parse_quantity(str(raw)).milli_value()
            except QuantityParseError:
                missing = True
                break
        if missing:
            continue
        try:
            window = parse_go_duration(str(item.get("window") or "0")) / 1e9
        except ValueError:
            window = 0.0
        found[name] = PodMetric(total, unix_time(item.get("timestamp")) or 0.0, window)
    first = unix_time(items[0].get("timestamp")) or 0.0
    return found, first


class ApiResourceMetrics:
    """Reads ``PodMetrics`` from the API server."""

    def __init__(self, client: ApiClient) -> None:
        self._client = client

    async def pod_metrics(
        self, resource: str, namespace: str, selector: str, *, container: str = ""
    ) -> tuple[dict[str, PodMetric], float]:
        try:
            listed = await self._client.resource(POD_METRICS).list(
                namespace=namespace, label_selector=selector
            )
        except (errors.StatusError, TransportError) as err:
            raise MetricsUnavailable(
                f"unable to fetch metrics from resource metrics API: {_metrics_api_error(err)}"
            ) from err
        items = [i for i in listed.get("items") or [] if isinstance(i, Mapping)]
        return pod_metrics_from_list(items, resource, container=container)
