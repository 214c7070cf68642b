"""The process runtime's records of sandboxes and containers, as stored on disk.

See :mod:`~kubeling.kubelet.runtime.process` for the layout. A container's state is derived
from what is on disk (and whether its shim still lives), never stored separately, so a runtime
that restarts reads the truth.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kubeling.kubelet.runtime import shim
from kubeling.kubelet.runtime.interface import (
    ContainerState,
    DNSConfig,
    PodSandboxMetadata,
    SandboxState,
)

__all__ = ["ContainerRecord", "SandboxRecord", "process_alive", "read_json"]

log = logging.getLogger(__name__)

Json = dict[str, Any]


@dataclass(eq=False)
class SandboxRecord:
    id: str
    metadata: PodSandboxMetadata
    hostname: str
    log_directory: str
    created_at: float
    state: SandboxState
    labels: dict[str, str]
    annotations: dict[str, str]
    directory: Path
    dns_config: DNSConfig | None = None
    host_network: bool = False
    #: The file the pod's UTS namespace is pinned on ("" : the node's).
    uts_namespace: str = ""

    @property
    def work_dir(self) -> Path:
        return self.directory / "work"

    @property
    def resolv_conf(self) -> Path:
        return self.directory / "resolv.conf"

    def to_json(self) -> Json:
        m = self.metadata
        return {
            "id": self.id,
            "metadata": {
                "name": m.name,
                "namespace": m.namespace,
                "uid": m.uid,
                "attempt": m.attempt,
            },
            "hostname": self.hostname,
            "logDirectory": self.log_directory,
            "createdAt": self.created_at,
            "state": self.state.value,
            "labels": self.labels,
            "annotations": self.annotations,
            "dnsConfig": None
            if self.dns_config is None
            else {
                "servers": list(self.dns_config.servers),
                "searches": list(self.dns_config.searches),
                "options": list(self.dns_config.options),
            },
            "hostNetwork": self.host_network,
            "utsNamespace": self.uts_namespace,
        }

    @classmethod
    def from_json(cls, value: Json, directory: Path) -> SandboxRecord:
        m = value["metadata"]
        dns = value.get("dnsConfig")
        return cls(
            id=value["id"],
            metadata=PodSandboxMetadata(m["name"], m["namespace"], m["uid"], int(m["attempt"])),
            hostname=value.get("hostname", ""),
            log_directory=value.get("logDirectory", ""),
            created_at=float(value["createdAt"]),
            state=SandboxState(value["state"]),
            labels=dict(value.get("labels") or {}),
            annotations=dict(value.get("annotations") or {}),
            directory=directory,
            dns_config=None
            if dns is None
            else DNSConfig(
                tuple(dns.get("servers") or ()),
                tuple(dns.get("searches") or ()),
                tuple(dns.get("options") or ()),
            ),
            host_network=bool(value.get("hostNetwork")),
            uts_namespace=str(value.get("utsNamespace") or ""),
        )


@dataclass(eq=False)
class ContainerRecord:
    id: str
    sandbox_id: str
    pod_uid: str
    name: str
    attempt: int
    image: str
    created_at: float
    log_path: str
    labels: dict[str, str]
    annotations: dict[str, str]
    directory: Path
    started: Json | None = None
    exited: Json | None = None
    unknown: bool = False
    starting: bool = False
    done: asyncio.Event = field(default_factory=asyncio.Event)
    pidfd: int = -1

    def to_json(self) -> Json:
        return {
            "id": self.id,
            "sandboxId": self.sandbox_id,
            "podUid": self.pod_uid,
            "name": self.name,
            "attempt": self.attempt,
            "image": self.image,
            "createdAt": self.created_at,
            "logPath": self.log_path,
            "labels": self.labels,
            "annotations": self.annotations,
        }

    @classmethod
    def from_json(cls, value: Json, directory: Path) -> ContainerRecord:
        return cls(
            id=value["id"],
            sandbox_id=value["sandboxId"],
            pod_uid=value["podUid"],
            name=value["name"],
            attempt=int(value["attempt"]),
            image=value.get("image", ""),
            created_at=float(value["createdAt"]),
            log_path=value.get("logPath", ""),
            labels=dict(value.get("labels") or {}),
            annotations=dict(value.get("annotations") or {}),
            directory=directory,
        )

    @property
    def state(self) -> ContainerState:
        if self.exited is not None:
            return ContainerState.EXITED
        if self.unknown:
            return ContainerState.UNKNOWN
        if self.started is not None:
            return ContainerState.RUNNING
        return ContainerState.CREATED

    @property
    def pgid(self) -> int:
        return int(self.started["pid"]) if self.started else 0


def read_json(path: Path) -> Json | None:
    try:
        value = json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as err:
        log.warning("unreadable runtime state %s: %s", path, err)
        return None
    return value if isinstance(value, dict) else None


def process_alive(pid: int, start_ticks: int) -> bool:
    """Whether the process that had ``pid`` and started at ``start_ticks`` still exists
    (a zombie counts as gone)."""
    if pid <= 0:
        return False
    if shim.process_start_ticks(pid) != start_ticks:
        return False
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except OSError:
        return False
    return stat[stat.rindex(b")") + 2 :][:1] != b"Z"
