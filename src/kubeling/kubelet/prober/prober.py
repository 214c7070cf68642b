"""Running one probe of one container, and saying so (``pkg/kubelet/prober/prober.go``).

:meth:`Prober.probe` runs the container's ``readiness``/``liveness``/``startup`` probe once
with its handler (exec through the runtime, HTTP GET, TCP socket, gRPC) against the pod's IP
unless the probe names a host, and turns the handler's outcome into a result:

- success, and a warning (an HTTP redirect to another host, ``ProbeWarning`` Event
  "Readiness probe warning: ...") are successes;
- a failure is a failure, with the Warning Event ``Unhealthy`` "Liveness probe failed: <output>";
- a handler that cannot run at all (a port name the container lacks) is tried 3 times, then
  reported (``Unhealthy`` "Readiness probe errored and resulted in unknown state: <error>")
  and raises :class:`ProbeError`: the worker throws that attempt away.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from kubeling.client import WARNING, EventRecorder
from kubeling.kubelet import events
from kubeling.kubelet.expansion import expand_all
from kubeling.kubelet.podutil import container_field_path, format_pod
from kubeling.kubelet.prober.execprobe import exec_probe
from kubeling.kubelet.prober.grpcprobe import grpc_probe
from kubeling.kubelet.prober.httpget import http_probe, resolve_port
from kubeling.kubelet.prober.result import ProbeError, ProbeResult
from kubeling.kubelet.prober.tcpprobe import tcp_probe
from kubeling.kubelet.runtime.interface import RuntimeService

__all__ = ["PROBE_KINDS", "Prober", "probe_settings"]

PROBE_KINDS: Final = ("startup", "liveness", "readiness")
#: How often a probe that errors is tried before the attempt is given up (``maxProbeRetries``).
MAX_RETRIES: Final = 3


def probe_settings(probe: Mapping[str, Any]) -> tuple[float, float, int, int, int]:
    """(periodSeconds, timeoutSeconds, initialDelaySeconds, successThreshold,
    failureThreshold) with the API's defaults (10, 1, 0, 1, 3)."""

    def number(name: str, default: int) -> int:
        value = probe.get(name)
        return value if isinstance(value, int) and value > 0 else default

    initial = probe.get("initialDelaySeconds")
    return (
        float(number("periodSeconds", 10)),
        float(number("timeoutSeconds", 1)),
        initial if isinstance(initial, int) and initial > 0 else 0,
        number("successThreshold", 1),
        number("failureThreshold", 3),
    )


def _static_env(container: Mapping[str, Any]) -> dict[str, str]:
    """The container's plainly valued variables (``$(VAR)`` in an exec probe's command uses
    only these, as ``ExpandContainerCommandOnlyStatic``)."""
    return {
        str(e["name"]): str(e.get("value") or "")
        for e in container.get("env") or []
        if "valueFrom" not in e and e.get("name")
    }


class Prober:
    """Runs probes for the probe workers (see the module docstring)."""

    def __init__(self, runtime: RuntimeService, recorder: EventRecorder) -> None:
        self.runtime = runtime
        self.recorder = recorder

    async def probe(
        self,
        kind: str,
        pod: Mapping[str, Any],
        pod_ip: str,
        container: Mapping[str, Any],
        container_id: str,
    ) -> ProbeResult:
        """``SUCCESS`` or ``FAILURE`` of one attempt; :class:`ProbeError` if it could not be
        run (see the module docstring)."""
        spec = container.get(f"{kind}Probe")
        if not spec:
            return ProbeResult.SUCCESS
        path = container_field_path(pod, str(container["name"]))
        label = kind.capitalize()
        error: ProbeError | None = None
        for _ in range(MAX_RETRIES):
            try:
                result, output = await self._run(spec, pod, pod_ip, container, container_id)
                break
            except ProbeError as err:
                error = err
        else:
            assert error is not None
            self.recorder.event(
                pod,
                WARNING,
                events.UNHEALTHY,
                f"{label} probe errored and resulted in unknown state: {error}",
                field_path=path,
            )
            raise error
        if result is ProbeResult.SUCCESS:
            return ProbeResult.SUCCESS
        if result is ProbeResult.WARNING:
            message = f"{label} probe warning: {output}"
            self.recorder.event(pod, WARNING, events.PROBE_WARNING, message, field_path=path)
            return ProbeResult.SUCCESS
        if result is ProbeResult.FAILURE:
            message = f"{label} probe failed: {output}"
            self.recorder.event(pod, WARNING, events.UNHEALTHY, message, field_path=path)
        return ProbeResult.FAILURE

    async def _run(
        self,
        spec: Mapping[str, Any],
        pod: Mapping[str, Any],
        pod_ip: str,
        container: Mapping[str, Any],
        container_id: str,
    ) -> tuple[ProbeResult, str]:
        _, timeout, _, _, _ = probe_settings(spec)
        if spec.get("exec") is not None:
            command = expand_all(spec["exec"].get("command") or [], _static_env(container))
            runtime_id = container_id.partition("://")[2] or container_id
            return await exec_probe(self.runtime, runtime_id, command, timeout)
        if spec.get("httpGet") is not None:
            return await http_probe(spec["httpGet"], container, pod_ip, timeout)
        if spec.get("tcpSocket") is not None:
            action = spec["tcpSocket"]
            port = resolve_port(action.get("port"), container)
            return await tcp_probe(str(action.get("host") or pod_ip), port, timeout)
        if spec.get("grpc") is not None:
            action = spec["grpc"]
            port = resolve_port(action.get("port"), container)
            service = str(action.get("service") or "")
            return await grpc_probe(pod_ip, port, service, timeout)
        raise ProbeError(f"missing probe handler for {format_pod(pod)}:{container['name']}")
