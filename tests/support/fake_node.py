"""A node for end-to-end tests of the streaming subresources: the kubelet's HTTPS server, in
this process, over :class:`LocalStreamingRuntime`, registered with a running API server.

The server runs on its own event loop in a background thread, so that the test itself can run
kubectl synchronously. Its serving certificate is issued by the cluster CA for 127.0.0.1; the
Node object created through the API points at it (``status.addresses`` InternalIP 127.0.0.1,
``status.daemonEndpoints.kubeletEndpoint.Port``). Pods are created through the API with
``spec.nodeName`` set and their status patched to what a kubelet would report; the runtime gets
the same pod, so both agree on container ids and states.
"""

from __future__ import annotations

import asyncio
import datetime
import json
import threading
from collections.abc import Coroutine, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from kubeling.kubelet.server import KubeletServer, KubeletServerConfig
from kubeling.pki import Pki, identity_from_cert, issue_serving_cert
from tests.support.cluster import RunningServer
from tests.support.streaming_runtime import LocalStreamingRuntime

__all__ = ["ContainerSetup", "FakeNode"]

T = TypeVar("T")


@dataclass(frozen=True)
class ContainerSetup:
    """One container of a pod on the fake node.

    ``command`` runs as the container (so it is really running); ``state`` is what the status
    says (``running``, ``waiting`` or ``terminated``); ``log`` and ``previous_log`` give the
    current and the last terminated container a CRI log file of that content.
    """

    name: str
    command: Sequence[str] | None = None
    state: str = "running"
    reason: str = ""
    log: bytes | None = None
    previous_log: bytes | None = None
    stdin: bool = False


def _identify(peercert: Mapping[str, Any]) -> tuple[str, Sequence[str]] | None:
    identity = identity_from_cert(peercert)
    return None if identity is None else (identity.user, identity.groups)


class FakeNode:
    """A registered node whose kubelet server runs in this process."""

    def __init__(self, server: RunningServer, root: Path, *, name: str = "node-1") -> None:
        self.server = server
        self.root = root
        self.name = name
        self.runtime = LocalStreamingRuntime(root / "pods")
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._kubelet: KubeletServer | None = None

    def run(self, work: Coroutine[Any, Any, T], timeout: float = 60) -> T:
        """Run ``work`` on the node's event loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(work, self._loop).result(timeout)

    def start(self) -> None:
        pki = Pki.at(self.server.data_dir / "pki")
        cert_pem, key_pem = issue_serving_cert(
            pki, f"system:node:{self.name}", names=[self.name, "localhost"], ips=["127.0.0.1"]
        )
        self.root.mkdir(parents=True, exist_ok=True)
        cert, key = self.root / "kubelet.crt", self.root / "kubelet.key"
        cert.write_bytes(cert_pem)
        key.write_bytes(key_pem)
        key.chmod(0o600)
        self._thread.start()
        config = KubeletServerConfig(
            bind_address="127.0.0.1",
            port=0,
            ssl_context=pki.serving_ssl_context(cert, key),
            identify=_identify,
            log_poll_interval=0.05,
        )
        self._kubelet = KubeletServer(config, self.runtime)
        self.run(self._kubelet.start())
        self.server.kubectl(
            "create",
            "-f",
            "-",
            input=json.dumps({"apiVersion": "v1", "kind": "Node", "metadata": {"name": self.name}}),
        )
        self.patch_status(
            "node",
            self.name,
            {
                "addresses": [
                    {"type": "InternalIP", "address": "127.0.0.1"},
                    {"type": "Hostname", "address": self.name},
                ],
                "daemonEndpoints": {"kubeletEndpoint": {"Port": self.port}},
                "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady"}],
            },
        )

    @property
    def port(self) -> int:
        assert self._kubelet is not None
        return self._kubelet.port

    def stop(self) -> None:
        if self._kubelet is not None:
            self.run(self.runtime.stop())
            self.run(self._kubelet.stop())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    def __enter__(self) -> FakeNode:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def patch_status(
        self, kind: str, name: str, status: Mapping[str, Any], *, namespace: str = ""
    ) -> None:
        args = ["patch", kind, name, "--subresource=status", "--type=merge"]
        if namespace:
            args += ["-n", namespace]
        self.server.kubectl(*args, "-p", json.dumps({"status": status}))

    def add_pod(
        self,
        name: str,
        containers: Sequence[ContainerSetup],
        *,
        namespace: str = "default",
        bound: bool = True,
    ) -> dict[str, Any]:
        """Create the pod through the API, start its containers, report its status."""
        spec: dict[str, Any] = {
            "containers": [
                {
                    "name": c.name,
                    "image": "busybox",
                    "command": ["sh"],
                    **({"stdin": True} if c.stdin else {}),
                }
                for c in containers
            ]
        }
        if bound:
            spec["nodeName"] = self.name
        pod: dict[str, Any] = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": name, "namespace": namespace},
            "spec": spec,
        }
        self.server.kubectl("create", "-f", "-", input=json.dumps(pod))
        if not bound:
            return pod
        now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        statuses = []
        for setup in containers:
            statuses.append(self._container_status(namespace, name, setup, now))
        pod["status"] = {
            "phase": "Running",
            "conditions": [{"type": "Ready", "status": "True"}],
            "hostIP": "127.0.0.1",
            "podIP": "127.0.0.1",
            "startTime": now,
            "containerStatuses": statuses,
        }
        pod["metadata"]["uid"] = self.server.kubectl(
            "get", "pod", name, "-n", namespace, "-o", "jsonpath={.metadata.uid}"
        ).stdout
        self.runtime.add_pod(pod)
        self.patch_status("pod", name, pod["status"], namespace=namespace)
        return pod

    def _container_status(
        self, namespace: str, pod: str, setup: ContainerSetup, now: str
    ) -> dict[str, Any]:
        runtime = self.runtime
        status: dict[str, Any] = {
            "name": setup.name,
            "image": "busybox",
            "imageID": "",
            "ready": setup.state == "running",
            "restartCount": 1 if setup.previous_log is not None else 0,
            "started": setup.state == "running",
            "lastState": {},
        }
        (runtime.root / pod).mkdir(parents=True, exist_ok=True)
        if setup.command is not None:
            container_id = self.run(
                runtime.start_container(namespace, pod, setup.name, setup.command)
            )
        else:
            container_id = runtime.new_container_id()
        if setup.log is not None:
            runtime.write_log(container_id, setup.log)
        if setup.state == "running":
            status["containerID"] = container_id
            status["state"] = {"running": {"startedAt": now}}
        elif setup.state == "terminated":
            status["containerID"] = container_id
            status["state"] = {
                "terminated": {
                    "exitCode": 0,
                    "reason": "Completed",
                    "startedAt": now,
                    "finishedAt": now,
                    "containerID": container_id,
                }
            }
        else:
            status["state"] = {"waiting": {"reason": setup.reason or "ContainerCreating"}}
        if setup.previous_log is not None:
            previous_id = runtime.new_container_id()
            runtime.write_log(previous_id, setup.previous_log)
            status["lastState"] = {
                "terminated": {
                    "exitCode": 1,
                    "reason": "Error",
                    "startedAt": now,
                    "finishedAt": now,
                    "containerID": previous_id,
                }
            }
        return status
