"""Running containers' lifecycle hooks (``pkg/kubelet/lifecycle/handlers.go``).

:class:`HandlerRunner` is the kubelet's :class:`~kubeling.kubelet.hooks.LifecycleHooks`: it runs
a ``postStart`` or ``preStop`` handler and returns "" on success or the message Kubernetes
records on failure:

- ``exec``: the command runs in the container through the runtime (as ``kubectl exec`` does);
  a non-zero exit fails: ``Exec lifecycle hook ([sh -c exit 3]) for Container "web" in Pod
  "web_default(uid)" failed - error: command 'sh -c exit 3' exited with 3: <stderr>, message:
  "<output>"``;
- ``httpGet``: the request of :mod:`~kubeling.kubelet.prober.httpget` (``User-Agent:
  kube-lifecycle/1.32``) to the pod's IP unless a host is given; only a request that gets no
  answer fails (any status code will do, as in Kubernetes); an HTTPS request answered in plain
  HTTP is sent again over HTTP, with a ``LifecycleHTTPFallback`` Warning;
- ``sleep``: waits ``seconds``.

The kubelet's runtime manager decides what a failure means: a failed postStart kills the
container (``FailedPostStartHook``); preStop runs within the grace period, before SIGTERM.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from kubeling.api.goformat import go_quote
from kubeling.client import WARNING, EventRecorder
from kubeling.kubelet.podutil import format_pod
from kubeling.kubelet.prober.httpget import HTTPGetError, http_get, http_get_request
from kubeling.kubelet.prober.result import ProbeError
from kubeling.kubelet.runtime.interface import RuntimeService, RuntimeServiceError

__all__ = ["HandlerRunner"]

LIFECYCLE_HTTP_FALLBACK = "LifecycleHTTPFallback"


def _go_list(values: list[str]) -> str:
    """A string slice as Go's ``%v`` prints it: ``[sh -c exit 3]``."""
    return "[" + " ".join(values) + "]"


class HandlerRunner:
    """Runs lifecycle handlers through ``runtime`` (see the module docstring)."""

    def __init__(self, runtime: RuntimeService, recorder: EventRecorder) -> None:
        self.runtime = runtime
        self.recorder = recorder

    async def post_start(
        self, pod: Mapping[str, Any], container: Mapping[str, Any], container_id: str
    ) -> str:
        handler = (container.get("lifecycle") or {}).get("postStart") or {}
        return await self.run(pod, container, container_id, handler)

    async def pre_stop(
        self,
        pod: Mapping[str, Any],
        container: Mapping[str, Any],
        container_id: str,
        grace_period: float,
    ) -> str:
        handler = (container.get("lifecycle") or {}).get("preStop") or {}
        return await self.run(pod, container, container_id, handler)

    async def run(
        self,
        pod: Mapping[str, Any],
        container: Mapping[str, Any],
        container_id: str,
        handler: Mapping[str, Any],
    ) -> str:
        """Run ``handler`` for the container ``<runtime>://<id>``; "" or why it failed."""
        name, owner = go_quote(str(container["name"])), go_quote(format_pod(pod))
        where = f"for Container {name} in Pod {owner}"
        if handler.get("exec") is not None:
            command = [str(c) for c in handler["exec"].get("command") or []]
            error, output = await self._exec(container_id, command)
            if not error:
                return ""
            return (
                f"Exec lifecycle hook ({_go_list(command)}) {where} failed - error: {error}, "
                f"message: {go_quote(output)}"
            )
        if handler.get("httpGet") is not None:
            action = handler["httpGet"]
            error = await self._http(pod, container, action)
            if not error:
                return ""
            path = str(action.get("path") or "")
            return f"HTTP lifecycle hook ({path}) {where} failed - error: {error}"
        if handler.get("sleep") is not None:
            seconds = handler["sleep"].get("seconds")
            await asyncio.sleep(max(0, seconds if isinstance(seconds, int) else 0))
            return ""
        return f"Cannot run handler: invalid handler: {dict(handler)!r}"

    async def _exec(self, container_id: str, command: list[str]) -> tuple[str, str]:
        """(the error, the output) of running ``command`` in the container."""
        runtime_id = container_id.partition("://")[2] or container_id
        try:
            result = await self.runtime.exec_sync(runtime_id, command)
        except RuntimeServiceError as err:
            return str(err), ""
        output = (result.stdout + result.stderr).decode(errors="replace")
        if result.exit_code == 0:
            return "", output
        stderr = result.stderr.decode(errors="replace")
        return f"command '{' '.join(command)}' exited with {result.exit_code}: {stderr}", output

    async def _http(
        self, pod: Mapping[str, Any], container: Mapping[str, Any], action: Mapping[str, Any]
    ) -> str:
        """ "" if the request got an answer, else the error."""
        pod_ip = ""
        if not action.get("host"):
            sandboxes = await self.runtime.list_pod_sandboxes(pod_uid=pod["metadata"]["uid"])
            ips = [ip for s in sandboxes for ip in s.ips]
            if not ips:
                return "failed to find networking container: no IP for the pod"
            pod_ip = ips[0]
        try:
            request = http_get_request(action, container, pod_ip, "lifecycle")
        except ProbeError as err:
            return str(err)
        try:
            await http_get(request, None)
        except HTTPGetError as err:
            if not err.http_response_to_https:
                return str(err)
            plain = replace(request, url="http://" + request.url.removeprefix("https://"))
            headers = [(n, v) for n, v in plain.headers if n.lower() != "authorization"]
            try:
                await http_get(replace(plain, headers=headers), None)
            except HTTPGetError:
                return str(err)
            host = request.url.removeprefix("https://").split("/", 1)[0]
            self.recorder.event(
                pod,
                WARNING,
                LIFECYCLE_HTTP_FALLBACK,
                f"request to HTTPS lifecycle hook {host} got HTTP response, "
                "retry with HTTP succeeded",
            )
        return ""
