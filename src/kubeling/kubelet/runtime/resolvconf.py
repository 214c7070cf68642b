"""A sandbox's resolver, as a container sees it: a resolv.conf, or the environment.

- :func:`resolv_conf` is the file a runtime mounts at ``/etc/resolv.conf`` (containerd's
  layout: ``search``, one ``nameserver`` line each, ``options``);
- :func:`resolver_environment` is what glibc's resolver takes from the environment when the
  file cannot be given (no mount namespace): ``LOCALDOMAIN`` replaces the search list and
  ``RES_OPTIONS`` adds options. There is no variable for a nameserver.
"""

from __future__ import annotations

from kubeling.kubelet.runtime.interface import DNSConfig

__all__ = ["resolv_conf", "resolver_environment"]


def resolv_conf(config: DNSConfig) -> str:
    """
    >>> print(resolv_conf(DNSConfig(("10.96.0.10",), ("ns.svc.cluster.local",), ("ndots:5",))))
    search ns.svc.cluster.local
    nameserver 10.96.0.10
    options ndots:5
    <BLANKLINE>
    """
    lines = []
    if config.searches:
        lines.append("search " + " ".join(config.searches))
    lines += [f"nameserver {server}" for server in config.servers]
    if config.options:
        lines.append("options " + " ".join(config.options))
    return "".join(f"{line}\n" for line in lines)


def resolver_environment(config: DNSConfig) -> dict[str, str]:
    """
    >>> resolver_environment(DNSConfig(("10.96.0.10",), ("a", "b"), ("ndots:5",)))
    {'LOCALDOMAIN': 'a b', 'RES_OPTIONS': 'ndots:5'}
    """
    env = {}
    if config.searches:
        env["LOCALDOMAIN"] = " ".join(config.searches)
    if config.options:
        env["RES_OPTIONS"] = " ".join(config.options)
    return env
