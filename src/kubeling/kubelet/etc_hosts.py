"""A pod's hostname, domain and ``/etc/hosts``, as Kubernetes' kubelet makes them.

Pure (``GeneratePodHostNameAndDomain``, ``GetNodenameForKernel``, ``managedHostsFileContent``
and ``nodeHostsFileContent`` of ``pkg/kubelet``):

- the hostname is ``spec.hostname`` (a DNS label) or the pod's name, cut to 63 characters
  without a trailing ``-`` or ``.``; the domain is ``<subdomain>.<ns>.svc.<cluster domain>``
  when ``spec.subdomain`` is set;
- the kernel's hostname is that hostname, or with ``setHostnameAsFQDN`` the FQDN (at most 64
  characters);
- the hosts file starts with ``# Kubernetes-managed hosts file.``, has the localhost lines,
  a line per pod IP with the FQDN and the hostname, and the ``hostAliases``; a
  ``hostNetwork`` pod's is the node's hosts file under a ``(host network)`` header, with the
  aliases.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, Final

__all__ = [
    "HostnameError",
    "host_network_hosts_file",
    "kernel_hostname",
    "managed_hosts_file",
    "pod_hostname_and_domain",
]

MAX_HOSTNAME: Final = 63
#: The kernel's limit for a hostname (HOST_NAME_MAX + 1 in Kubernetes' check).
MAX_KERNEL_HOSTNAME: Final = 64
_DNS_LABEL: Final = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")

HEADER: Final = "# Kubernetes-managed hosts file.\n"
HOST_NETWORK_HEADER: Final = "# Kubernetes-managed hosts file (host network).\n"
LOCALHOST_LINES: Final = (
    "127.0.0.1\tlocalhost\n"
    "::1\tlocalhost ip6-localhost ip6-loopback\n"
    "fe00::0\tip6-localnet\n"
    "fe00::0\tip6-mcastprefix\n"
    "fe00::1\tip6-allnodes\n"
    "fe00::2\tip6-allrouters\n"
)


class HostnameError(ValueError):
    """The pod's hostname or FQDN cannot be used; the message is Kubernetes'."""


def _dns_label_problems(value: str) -> str:
    if len(value) > MAX_HOSTNAME:
        return f"must be no more than {MAX_HOSTNAME} characters"
    if not _DNS_LABEL.fullmatch(value):
        return (
            "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or "
            "'-', and must start and end with an alphanumeric character (e.g. 'my-name',  or "
            "'123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
        )
    return ""


def pod_hostname_and_domain(pod: Mapping[str, Any], cluster_domain: str) -> tuple[str, str]:
    """The pod's hostname and (with ``spec.subdomain``) its domain.

    >>> pod = {"metadata": {"name": "web-0", "namespace": "ns"},
    ...        "spec": {"subdomain": "web"}}
    >>> pod_hostname_and_domain(pod, "cluster.local")
    ('web-0', 'web.ns.svc.cluster.local')
    >>> pod_hostname_and_domain({"metadata": {"name": "a" * 62 + "-b"}, "spec": {}}, "")
    ('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', '')
    """
    meta, spec = pod["metadata"], pod.get("spec") or {}
    hostname = str(meta["name"])
    if spec.get("hostname"):
        hostname = str(spec["hostname"])
        problem = _dns_label_problems(hostname)
        if problem:
            raise HostnameError(f'pod Hostname "{hostname}" is not a valid DNS label: {problem}')
    if len(hostname) > MAX_HOSTNAME:
        # As Kubernetes: cut, and no trailing "-" or "." (a label cannot end so).
        hostname = hostname[:MAX_HOSTNAME].rstrip("-.")
        if not hostname:
            raise HostnameError(f'hostname for pod "{meta["name"]}" was invalid: ""')
    domain = ""
    if spec.get("subdomain"):
        subdomain = str(spec["subdomain"])
        problem = _dns_label_problems(subdomain)
        if problem:
            raise HostnameError(f'pod Subdomain "{subdomain}" is not a valid DNS label: {problem}')
        domain = f"{subdomain}.{meta.get('namespace') or 'default'}.svc.{cluster_domain}"
    return hostname, domain


def kernel_hostname(hostname: str, domain: str, set_fqdn: bool) -> str:
    """What the pod's UTS namespace is named: the hostname, or the FQDN if asked and known.

    >>> kernel_hostname("web-0", "web.ns.svc.cluster.local", True)
    'web-0.web.ns.svc.cluster.local'
    >>> kernel_hostname("web-0", "", True)
    'web-0'
    """
    if not (set_fqdn and domain):
        return hostname
    fqdn = f"{hostname}.{domain}"
    if len(fqdn) > MAX_KERNEL_HOSTNAME:
        raise HostnameError(
            f"failed to construct FQDN from pod hostname and cluster domain, FQDN {fqdn} is too "
            f"long ({MAX_KERNEL_HOSTNAME} characters is the max, {len(fqdn)} characters "
            "requested)"
        )
    return fqdn


def _aliases(host_aliases: Sequence[Mapping[str, Any]]) -> str:
    if not host_aliases:
        return ""
    lines = ["\n# Entries added by HostAliases.\n"]
    for alias in host_aliases:
        names = "\t".join(str(n) for n in alias.get("hostnames") or ())
        lines.append(f"{alias.get('ip', '')}\t{names}\n")
    return "".join(lines)


def managed_hosts_file(
    ips: Sequence[str],
    hostname: str,
    domain: str,
    host_aliases: Sequence[Mapping[str, Any]] = (),
) -> str:
    """The hosts file of a pod with a network of its own.

    >>> managed_hosts_file(["10.0.0.5"], "web-0", "web.ns.svc.cluster.local").splitlines()[-1]
    '10.0.0.5\\tweb-0.web.ns.svc.cluster.local\\tweb-0'
    """
    names = f"{hostname}.{domain}\t{hostname}" if domain else hostname
    own = "".join(f"{ip}\t{names}\n" for ip in ips)
    return HEADER + LOCALHOST_LINES + own + _aliases(host_aliases)


def host_network_hosts_file(node_hosts: str, host_aliases: Sequence[Mapping[str, Any]] = ()) -> str:
    """The hosts file of a ``hostNetwork`` pod: the node's, marked, with the aliases."""
    return HOST_NETWORK_HEADER + node_hosts + _aliases(host_aliases)
