"""What the kubelet gives a pod of the node's naming: hostname, resolver, ``/etc/hosts``.

The files and the settings around the pure :mod:`.dns_config` and :mod:`.etc_hosts`:

- :meth:`PodNetwork.sandbox` reads the host's resolv.conf (at every sandbox, as the kubelet
  does: a changed file reaches new pods) and gives the sandbox its hostname (the FQDN with
  ``setHostnameAsFQDN``; none for a ``hostNetwork`` pod: the node's) and its
  :class:`~kubeling.kubelet.runtime.interface.DNSConfig`, which the runtime turns into the
  containers' ``/etc/resolv.conf`` (as containerd does);
- :meth:`PodNetwork.hosts_mount` writes ``<pods-dir>/<uid>/etc-hosts`` (again at every
  container start, as ``makeMounts`` does) and mounts it read-write at ``/etc/hosts``, unless
  the container mounts a volume there itself.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from kubeling.kubelet.dns_config import DnsEvent, parse_resolv_conf, pod_dns_config
from kubeling.kubelet.etc_hosts import (
    host_network_hosts_file,
    kernel_hostname,
    managed_hosts_file,
    pod_hostname_and_domain,
)
from kubeling.kubelet.runtime.interface import DNSConfig, Mount

__all__ = ["ETC_HOSTS", "PodNetwork", "SandboxNetwork"]

ETC_HOSTS: Final = "/etc/hosts"
HOSTS_FILE: Final = "etc-hosts"
#: The most of a resolv.conf that is read (Kubernetes' limit).
MAX_RESOLV_CONF: Final = 10 << 20


@dataclass(frozen=True, slots=True)
class SandboxNetwork:
    """The naming part of a pod's sandbox, and the Warnings forming it gave."""

    hostname: str
    dns_config: DNSConfig
    host_network: bool
    events: tuple[DnsEvent, ...] = ()


@dataclass(frozen=True, slots=True)
class PodNetwork:
    """The kubelet's DNS settings (``clusterDNS``, ``clusterDomain``, ``resolvConf``) and
    where pods' files go."""

    pods_dir: Path
    cluster_dns: tuple[str, ...] = ()
    cluster_domain: str = ""
    #: The host's resolv.conf ("" : none; pods with the Default policy then resolve nothing).
    resolv_conf: str = "/etc/resolv.conf"
    node_ips: Sequence[str] = field(default_factory=tuple)
    #: The node's hosts file, the base of ``hostNetwork`` pods' hosts files.
    node_hosts: Path = Path("/etc/hosts")

    def sandbox(self, pod: Mapping[str, Any]) -> SandboxNetwork:
        """The sandbox's hostname and resolver; raises ValueError (the sandbox cannot be
        made: a bad hostname, an unreadable resolv.conf, as Go words it)."""
        spec = pod.get("spec") or {}
        host_network = bool(spec.get("hostNetwork"))
        hostname = ""
        if not host_network:
            name, domain = pod_hostname_and_domain(pod, self.cluster_domain)
            hostname = kernel_hostname(name, domain, bool(spec.get("setHostnameAsFQDN")))
        host = None
        if self.resolv_conf:
            try:
                with open(self.resolv_conf, encoding="utf-8", errors="replace") as f:
                    text = f.read(MAX_RESOLV_CONF)
            except OSError as err:
                reason = (err.strerror or str(err)).lower()
                raise ValueError(f"open {self.resolv_conf}: {reason}") from None
            host = parse_resolv_conf(text)
        dns = pod_dns_config(
            pod,
            host=host,
            cluster_dns=self.cluster_dns,
            cluster_domain=self.cluster_domain,
            node_ips=self.node_ips,
        )
        return SandboxNetwork(hostname, dns.config, host_network, dns.events)

    def hosts_mount(
        self, pod: Mapping[str, Any], ips: Sequence[str], volume_mounts: Sequence[Mount]
    ) -> Mount | None:
        """Write the pod's hosts file; its mount, or None when a volume is mounted at
        ``/etc/hosts`` or the pod has no IP. Raises ValueError or OSError."""
        if not ips or any(m.container_path.rstrip("/") == ETC_HOSTS for m in volume_mounts):
            return None
        spec = pod.get("spec") or {}
        aliases = spec.get("hostAliases") or ()
        if spec.get("hostNetwork"):
            content = host_network_hosts_file(self.node_hosts.read_text(errors="replace"), aliases)
        else:
            hostname, domain = pod_hostname_and_domain(pod, self.cluster_domain)
            content = managed_hosts_file(ips, hostname, domain, aliases)
        path = self.pods_dir / pod["metadata"]["uid"] / HOSTS_FILE
        _write_file(path, content)
        return Mount(container_path=ETC_HOSTS, host_path=str(path), readonly=False)


def _write_file(path: Path, content: str) -> None:
    """Write in place when the content changed: the file is bind-mounted into running
    containers, which a rename would leave on the old one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        if path.read_text() == content:
            return
    except OSError:
        pass
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    with open(fd, "w") as f:
        f.write(content)
