"""The kubelet's configuration: one typed object, built by the command line or ``kubeling up``."""

from __future__ import annotations

import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Literal

from kubeling.kubelet.runtime.simulated import SimulationOptions

__all__ = ["RUNTIMES", "KubeletConfig", "default_node_ip"]

#: The container runtimes a kubelet can use (``--runtime``).
RUNTIMES: Final = ("process", "simulated")
GIB: Final = 1024**3


@dataclass(frozen=True, slots=True)
class KubeletConfig:
    #: The Node's name (``--node-name``; Kubernetes defaults it to the hostname).
    node_name: str
    #: Where the kubelet keeps its state (``--root-dir``): runtime state, pod directories.
    root_dir: Path
    #: The node's address (``--node-ip``); "" finds one (see :func:`default_node_ip`).
    node_ip: str = ""
    #: Where container logs go; default ``<root-dir>/pod-logs``.
    pod_logs_dir: Path | None = None
    #: Extra labels for the Node (``--node-labels``).
    node_labels: Mapping[str, str] = field(default_factory=dict)
    #: How often the Node's status is computed, and posted when it changed.
    node_status_update_frequency: float = 10.0
    #: How often the status is posted even when nothing changed.
    node_status_report_frequency: float = 300.0
    node_lease_duration_seconds: int = 40
    #: How often every pod is synced even without news.
    sync_frequency: float = 60.0
    #: Stop every pod's containers when the kubelet stops (``kubeling up`` does: all child
    #: processes end with it). A kubelet that leaves them running finds them again.
    stop_pods_on_exit: bool = False
    #: The longest a container gets to stop when the kubelet stops its pods.
    shutdown_grace_period: float = 10.0
    #: The port the kubelet reports for its API (``daemonEndpoints``) when it serves none; a
    #: kubelet that serves reports the port its server listens on.
    kubelet_port: int = 10250
    #: If the server's port is taken, listen on a free one instead of failing (``kubeling up``,
    #: where 10250 may belong to another kubelet on the machine).
    kubelet_port_fallback: bool = False
    #: Use cgroups for limits and OOM kills where the kernel allows.
    cgroups: bool = True
    #: Bind-mount volumes at their mountPath in a mount namespace per container where the
    #: kernel allows (root); else containers find them under ``$KUBELING_ROOT``.
    mount_namespaces: bool = True
    #: How often resource usage is sampled for the summary stats (cAdvisor's housekeeping
    #: interval); CPU rates are over the last two samples.
    stats_interval: float = 10.0
    #: The cluster DNS addresses pods with ``dnsPolicy: ClusterFirst`` get as nameservers
    #: (``--cluster-dns``; none: they get the host's resolver, as ``Default``).
    cluster_dns: tuple[str, ...] = ()
    #: The cluster's DNS domain (``--cluster-domain``), the base of pods' search lists.
    cluster_domain: str = "cluster.local"
    #: The host's resolver configuration (``--resolv-conf``), the base of pods' ("": none).
    resolv_conf: str = "/etc/resolv.conf"
    container_log_max_size: int = 10 * 1024 * 1024
    container_log_max_files: int = 5
    #: ``process`` (host processes) or ``simulated`` (no processes, no volumes, no host facts:
    #: see :mod:`kubeling.kubelet.runtime.simulated` and :mod:`kubeling.kubelet.simulated_node`).
    runtime: Literal["process", "simulated"] = "process"
    #: What simulated containers do.
    simulation: SimulationOptions = field(default_factory=SimulationOptions)
    #: The simulated machine: CPUs and memory it reports.
    simulated_cpus: int = 32
    simulated_memory_bytes: int = 256 * GIB
    #: Where a simulated node's pod IPs come from (``<prefix>1`` to ``<prefix>254``).
    pod_ip_prefix: str = "10.128.0."
    #: The ``pods`` capacity (``--max-pods``).
    max_pods: int = 110

    @property
    def logs_dir(self) -> Path:
        return self.pod_logs_dir or self.root_dir / "pod-logs"

    @property
    def pods_dir(self) -> Path:
        """Where pods' volumes live: ``<root-dir>/pods/<uid>/volumes/...``."""
        return self.root_dir / "pods"


def default_node_ip(hostname: str | None = None, hosts_file: Path = Path("/etc/hosts")) -> str:
    """The node's IPv4 address when none is given: the host name's in /etc/hosts (no DNS is
    asked), else 127.0.0.1.

    >>> import tempfile, pathlib
    >>> with tempfile.NamedTemporaryFile("w", suffix="hosts") as f:
    ...     _ = f.write("127.0.0.1 localhost\\n10.1.2.3 box box.example\\n")
    ...     f.flush()
    ...     hosts = pathlib.Path(f.name)
    ...     default_node_ip("box", hosts), default_node_ip("other", hosts)
    ('10.1.2.3', '127.0.0.1')
    """
    hostname = hostname or socket.gethostname()
    try:
        lines = hosts_file.read_text().splitlines()
    except OSError:
        lines = []
    for line in lines:
        fields = line.split("#", 1)[0].split()
        if len(fields) >= 2 and hostname in fields[1:] and "." in fields[0]:
            return fields[0]
    return "127.0.0.1"
