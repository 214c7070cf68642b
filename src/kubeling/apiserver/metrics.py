"""``/metrics``: the API server's Prometheus metrics.

The names and labels follow Kubernetes' own where an equivalent exists, so
dashboards and alerts written for Kubernetes read them:
``apiserver_request_total{verb,group,version,resource,subresource,code}``,
``apiserver_request_duration_seconds`` (a histogram with the same buckets),
``apiserver_storage_objects{resource}`` and ``apiserver_watch_events_sizes``'s
simpler cousin, ``apiserver_registered_watchers{group,version,kind}``.
Rendered in the Prometheus text format 0.0.4.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable

from kubeling.apiserver.registry.registry import Registry

__all__ = ["DURATION_BUCKETS", "Metrics"]

DURATION_BUCKETS = (
    0.005,
    0.025,
    0.05,
    0.1,
    0.2,
    0.4,
    0.6,
    0.8,
    1.0,
    1.25,
    1.5,
    2,
    3,
    4,
    5,
    6,
    8,
    10,
    15,
    20,
    30,
    45,
    60,
)

Labels = tuple[tuple[str, str], ...]


def _labels(labels: Labels) -> str:
    def escape(value: str) -> str:
        return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")

    return "{" + ",".join(f'{k}="{escape(v)}"' for k, v in labels) + "}" if labels else ""


class Metrics:
    """Counters and histograms of served requests."""

    def __init__(self) -> None:
        self._requests: dict[Labels, int] = defaultdict(int)
        self._durations: dict[Labels, list[float]] = {}

    def observe(
        self,
        *,
        verb: str,
        group: str,
        version: str,
        resource: str,
        subresource: str,
        code: int,
        seconds: float,
    ) -> None:
        base: Labels = (
            ("verb", verb.upper()),
            ("group", group),
            ("version", version),
            ("resource", resource),
            ("subresource", subresource),
        )
        self._requests[(*base, ("code", str(code)))] += 1
        # per label set: bucket counts..., then sum, then count
        slot = self._durations.setdefault(base, [0.0] * (len(DURATION_BUCKETS) + 2))
        index = bisect.bisect_left(DURATION_BUCKETS, seconds)
        if index < len(DURATION_BUCKETS):
            slot[index] += 1
        slot[-2] += seconds
        slot[-1] += 1

    def render(self, registry: Registry) -> str:
        lines: list[str] = [
            "# HELP apiserver_request_total Counter of apiserver requests broken out for each "
            "verb, group, version, resource, subresource and HTTP response code.",
            "# TYPE apiserver_request_total counter",
        ]
        lines += [
            f"apiserver_request_total{_labels(k)} {v}" for k, v in sorted(self._requests.items())
        ]
        lines += [
            "# HELP apiserver_request_duration_seconds Response latency distribution in seconds "
            "for each verb, group, version, resource and subresource.",
            "# TYPE apiserver_request_duration_seconds histogram",
        ]
        for labels, slot in sorted(self._durations.items()):
            cumulative = 0.0
            for bound, count in zip(DURATION_BUCKETS, slot, strict=False):
                cumulative += count
                lines.append(
                    f"apiserver_request_duration_seconds_bucket"
                    f"{_labels((*labels, ('le', str(bound))))} {int(cumulative)}"
                )
            lines.append(
                f"apiserver_request_duration_seconds_bucket"
                f"{_labels((*labels, ('le', '+Inf')))} {int(slot[-1])}"
            )
            lines.append(f"apiserver_request_duration_seconds_sum{_labels(labels)} {slot[-2]}")
            lines.append(
                f"apiserver_request_duration_seconds_count{_labels(labels)} {int(slot[-1])}"
            )
        lines += self._gauges(registry)
        return "\n".join(lines) + "\n"

    @staticmethod
    def _gauges(registry: Registry) -> Iterable[str]:
        yield (
            "# HELP apiserver_storage_objects Number of stored objects at the time of last "
            "check split by kind."
        )
        yield "# TYPE apiserver_storage_objects gauge"
        watchers = []
        # one series per stored resource: versions sharing storage share its cache
        for stored in registry.stored_resources():
            stats = stored.cache.statistics()
            yield (
                f"apiserver_storage_objects"
                f"{_labels((('resource', stored.group_resource),))} {stats['objects']}"
            )
            gvk = stored.storage
            watchers.append(
                f"apiserver_registered_watchers"
                f"{_labels((('group', gvk.group), ('version', gvk.version), ('kind', gvk.kind)))}"
                f" {stats['watchers']}"
            )
        yield "# HELP apiserver_registered_watchers Number of currently registered watchers."
        yield "# TYPE apiserver_registered_watchers gauge"
        yield from watchers
