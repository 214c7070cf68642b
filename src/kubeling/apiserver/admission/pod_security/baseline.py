"""The baseline checks of the Pod Security Standards, as ``pod-security-admission`` 1.32 runs them.

Baseline forbids known privilege escalations and allows the default pod. Each
function is one upstream check at one version; :data:`CHECKS` lists them with
their versions. The messages are upstream's, word for word, since users and
tools match on them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from kubeling.api.goformat import go_quote
from kubeling.apiserver.admission.pod_security.check import (
    Check,
    Violation,
    containers,
    join_quote,
    mapping,
    named,
    pluralize,
    security_context,
)
from kubeling.apiserver.admission.pod_security.levels import BASELINE

__all__ = ["CHECKS"]

Obj = Mapping[str, Any]


def _set(obj: Obj, key: str) -> bool:
    """Whether an optional field is set (present and not null)."""
    return obj.get(key) is not None


def _annotations(meta: Obj) -> Mapping[str, Any]:
    return mapping(meta.get("annotations"))


def _setters(pod_bad: bool, bad_containers: list[str]) -> list[str]:
    """``pod`` and/or ``containers "a", "b"``: who set a forbidden value."""
    setters = ["pod"] if pod_bad else []
    if bad_containers:
        setters.append(named(bad_containers))
    return setters


# -- AppArmor ---------------------------------------------------------------------------

_APPARMOR_ANNOTATION: Final = "container.apparmor.security.beta.kubernetes.io/"
_APPARMOR_TYPES: Final = ("RuntimeDefault", "Localhost")


def _apparmor_annotation_allowed(value: str) -> bool:
    return not value or value == "runtime/default" or value.startswith("localhost/")


def app_armor_profile_1_0(meta: Obj, spec: Obj) -> Violation | None:
    """``appArmorProfile.type`` only RuntimeDefault or Localhost; the same for the
    deprecated annotations (``runtime/default``, ``localhost/*``)."""
    bad_values: set[str] = set()
    pod_bad = False
    pod_sc = security_context(spec)
    if _set(pod_sc, "appArmorProfile"):
        kind = str(mapping(pod_sc["appArmorProfile"]).get("type") or "")
        if kind not in _APPARMOR_TYPES:
            pod_bad = True
            bad_values.add(kind)
    bad_containers = []
    for container in containers(spec):
        sc = security_context(container)
        if _set(sc, "appArmorProfile"):
            kind = str(mapping(sc["appArmorProfile"]).get("type") or "")
            if kind not in _APPARMOR_TYPES:
                bad_containers.append(str(container.get("name") or ""))
                bad_values.add(kind)
    setters = _setters(pod_bad, bad_containers)
    annotations = sorted(
        f"{key}={go_quote(str(value))}"
        for key, value in _annotations(meta).items()
        if key.startswith(_APPARMOR_ANNOTATION) and not _apparmor_annotation_allowed(str(value))
    )
    values = sorted(bad_values) + annotations
    if annotations:
        setters.append(pluralize("annotation", "annotations", len(annotations)))
    if not setters:
        return None
    return Violation(
        pluralize("forbidden AppArmor profile", "forbidden AppArmor profiles", len(values)),
        f"{' and '.join(setters)} must not set AppArmor profile type to {join_quote(values)}",
    )


# -- capabilities -----------------------------------------------------------------------

_DEFAULT_CAPABILITIES: Final = frozenset(
    {
        "AUDIT_WRITE",
        "CHOWN",
        "DAC_OVERRIDE",
        "FOWNER",
        "FSETID",
        "KILL",
        "MKNOD",
        "NET_BIND_SERVICE",
        "SETFCAP",
        "SETGID",
        "SETPCAP",
        "SETUID",
        "SYS_CHROOT",
    }
)


def capabilities_baseline_1_0(meta: Obj, spec: Obj) -> Violation | None:
    """``capabilities.add`` only from the container runtime's default set."""
    bad_containers, added = [], set()
    for container in containers(spec):
        adds = mapping(security_context(container).get("capabilities")).get("add") or ()
        extra = {str(c) for c in adds if str(c) not in _DEFAULT_CAPABILITIES}
        if extra:
            bad_containers.append(str(container.get("name") or ""))
            added |= extra
    if not bad_containers:
        return None
    return Violation(
        "non-default capabilities",
        f"{named(bad_containers)} must not include {join_quote(sorted(added))} "
        "in securityContext.capabilities.add",
    )


# -- host namespaces, paths and ports ---------------------------------------------------


def host_namespaces_1_0(meta: Obj, spec: Obj) -> Violation | None:
    """No ``hostNetwork``, ``hostPID`` or ``hostIPC``."""
    keys = ("hostNetwork", "hostPID", "hostIPC")
    shared = [f"{key}=true" for key in keys if spec.get(key) is True]
    return Violation("host namespaces", ", ".join(shared)) if shared else None


def host_path_volumes_1_0(meta: Obj, spec: Obj) -> Violation | None:
    """No ``hostPath`` volumes."""
    volumes = spec.get("volumes")
    names = [
        str(v.get("name") or "")
        for v in (volumes if isinstance(volumes, list) else ())
        if isinstance(v, Mapping) and _set(v, "hostPath")
    ]
    if not names:
        return None
    return Violation(
        "hostPath volumes", f"{pluralize('volume', 'volumes', len(names))} {join_quote(names)}"
    )


def host_ports_1_0(meta: Obj, spec: Obj) -> Violation | None:
    """No ``hostPort`` on any container port."""
    bad_containers, ports = [], set()
    for container in containers(spec):
        found = {
            str(p.get("hostPort"))
            for p in container.get("ports") or ()
            if isinstance(p, Mapping) and p.get("hostPort") not in (None, 0)
        }
        if found:
            bad_containers.append(str(container.get("name") or ""))
            ports |= found
    if not bad_containers:
        return None
    return Violation(
        "hostPort",
        f"{named(bad_containers)} {pluralize('uses', 'use', len(bad_containers))} "
        f"{pluralize('hostPort', 'hostPorts', len(ports))} {', '.join(sorted(ports))}",
    )


# -- privileged, /proc, SELinux ---------------------------------------------------------


def privileged_1_0(meta: Obj, spec: Obj) -> Violation | None:
    """No ``securityContext.privileged: true``."""
    bad = [
        str(c.get("name") or "")
        for c in containers(spec)
        if security_context(c).get("privileged") is True
    ]
    if not bad:
        return None
    return Violation("privileged", f"{named(bad)} must not set securityContext.privileged=true")


def proc_mount_1_0(meta: Obj, spec: Obj) -> Violation | None:
    """``procMount`` unset or ``Default``."""
    bad, kinds = [], set()
    for container in containers(spec):
        mount = security_context(container).get("procMount")
        if mount is not None and mount != "Default":
            bad.append(str(container.get("name") or ""))
            kinds.add(str(mount))
    if not bad:
        return None
    return Violation(
        "procMount",
        f"{named(bad)} must not set securityContext.procMount to {join_quote(sorted(kinds))}",
    )


_SELINUX_TYPES_1_0: Final = frozenset({"", "container_t", "container_init_t", "container_kvm_t"})
_SELINUX_TYPES_1_31: Final = _SELINUX_TYPES_1_0 | {"container_engine_t"}


def _se_linux_options(spec: Obj, allowed: frozenset[str]) -> Violation | None:
    bad_types: set[str] = set()
    set_user = set_role = False

    def valid(options: Mapping[str, Any]) -> bool:
        nonlocal set_user, set_role
        ok = True
        kind = str(options.get("type") or "")
        if kind not in allowed:
            ok = False
            bad_types.add(kind)
        if options.get("user"):
            ok, set_user = False, True
        if options.get("role"):
            ok, set_role = False, True
        return ok

    pod_sc = security_context(spec)
    pod_bad = _set(pod_sc, "seLinuxOptions") and not valid(mapping(pod_sc["seLinuxOptions"]))
    bad_containers = []
    for container in containers(spec):
        sc = security_context(container)
        if _set(sc, "seLinuxOptions") and not valid(mapping(sc["seLinuxOptions"])):
            bad_containers.append(str(container.get("name") or ""))
    setters = _setters(pod_bad, bad_containers)
    if not setters:
        return None
    data = []
    if bad_types:
        kinds = sorted(bad_types)
        data.append(f"{pluralize('type', 'types', len(kinds))} {join_quote(kinds)}")
    if set_user:
        data.append("user may not be set")
    if set_role:
        data.append("role may not be set")
    return Violation(
        "seLinuxOptions",
        f"{' and '.join(setters)} set forbidden securityContext.seLinuxOptions: {'; '.join(data)}",
    )


def se_linux_options_1_0(meta: Obj, spec: Obj) -> Violation | None:
    """SELinux type only ``container_t``/``container_init_t``/``container_kvm_t``; no
    user or role."""
    return _se_linux_options(spec, _SELINUX_TYPES_1_0)


def se_linux_options_1_31(meta: Obj, spec: Obj) -> Violation | None:
    """As in 1.0, and ``container_engine_t`` too."""
    return _se_linux_options(spec, _SELINUX_TYPES_1_31)


# -- seccomp ----------------------------------------------------------------------------

_SECCOMP_POD_ANNOTATION: Final = "seccomp.security.alpha.kubernetes.io/pod"
_SECCOMP_CONTAINER_ANNOTATION: Final = "container.seccomp.security.alpha.kubernetes.io/"
SECCOMP_TYPES: Final = ("RuntimeDefault", "Localhost")


def _seccomp_annotation_allowed(value: str) -> bool:
    return value in ("runtime/default", "docker/default") or value.startswith("localhost/")


def seccomp_profile_baseline_1_0(meta: Obj, spec: Obj) -> Violation | None:
    """The seccomp annotations of old releases: only runtime/docker default or localhost."""
    annotations = _annotations(meta)
    keys = [_SECCOMP_POD_ANNOTATION] + [
        _SECCOMP_CONTAINER_ANNOTATION + str(c.get("name") or "") for c in containers(spec)
    ]
    bad = sorted(
        {
            f"{key}={go_quote(str(annotations[key]))}"
            for key in keys
            if key in annotations and not _seccomp_annotation_allowed(str(annotations[key]))
        }
    )
    if not bad:
        return None
    return Violation(
        "seccompProfile",
        f"forbidden {pluralize('annotation', 'annotations', len(bad))} {', '.join(bad)}",
    )


def seccomp_setters(spec: Obj) -> tuple[list[str], set[str], bool, list[str]]:
    """Who set a bad ``seccompProfile.type`` and to what, whether the pod set a good one,
    and the containers that set none (shared with the restricted check)."""
    bad_values: set[str] = set()
    pod_sc = security_context(spec)
    pod_bad = pod_good = False
    if _set(pod_sc, "seccompProfile"):
        kind = str(mapping(pod_sc["seccompProfile"]).get("type") or "")
        if kind in SECCOMP_TYPES:
            pod_good = True
        else:
            pod_bad = True
            bad_values.add(kind)
    bad_containers, unset = [], []
    for container in containers(spec):
        sc = security_context(container)
        if _set(sc, "seccompProfile"):
            kind = str(mapping(sc["seccompProfile"]).get("type") or "")
            if kind not in SECCOMP_TYPES:
                bad_containers.append(str(container.get("name") or ""))
                bad_values.add(kind)
        else:
            unset.append(str(container.get("name") or ""))
    return _setters(pod_bad, bad_containers), bad_values, pod_good, unset


def seccomp_bad_setters(setters: list[str], values: set[str]) -> Violation:
    """The violation of a pod or containers that set a forbidden seccomp profile type."""
    return Violation(
        "seccompProfile",
        f"{' and '.join(setters)} must not set securityContext.seccompProfile.type to "
        f"{join_quote(sorted(values))}",
    )


def seccomp_profile_baseline_1_19(meta: Obj, spec: Obj) -> Violation | None:
    """``seccompProfile.type``, where set, only RuntimeDefault or Localhost."""
    setters, values, _, _ = seccomp_setters(spec)
    return seccomp_bad_setters(setters, values) if setters else None


# -- sysctls ----------------------------------------------------------------------------

_SYSCTLS_1_0: Final = frozenset(
    {
        "kernel.shm_rmid_forced",
        "net.ipv4.ip_local_port_range",
        "net.ipv4.tcp_syncookies",
        "net.ipv4.ping_group_range",
        "net.ipv4.ip_unprivileged_port_start",
    }
)
_SYSCTLS_1_27: Final = _SYSCTLS_1_0 | {"net.ipv4.ip_local_reserved_ports"}
_SYSCTLS_1_29: Final = _SYSCTLS_1_27 | {
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
}
_SYSCTLS_1_32: Final = _SYSCTLS_1_29 | {"net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem"}


def _sysctls(spec: Obj, allowed: frozenset[str]) -> Violation | None:
    entries = security_context(spec).get("sysctls")
    bad = [
        str(s.get("name") or "")
        for s in (entries if isinstance(entries, list) else ())
        if isinstance(s, Mapping) and str(s.get("name") or "") not in allowed
    ]
    return Violation("forbidden sysctls", ", ".join(bad)) if bad else None


def sysctls_1_0(meta: Obj, spec: Obj) -> Violation | None:
    """Only the namespaced, isolated ("safe") sysctls."""
    return _sysctls(spec, _SYSCTLS_1_0)


def sysctls_1_27(meta: Obj, spec: Obj) -> Violation | None:
    """... and ``net.ipv4.ip_local_reserved_ports``."""
    return _sysctls(spec, _SYSCTLS_1_27)


def sysctls_1_29(meta: Obj, spec: Obj) -> Violation | None:
    """... and the TCP keepalive and FIN timeout sysctls."""
    return _sysctls(spec, _SYSCTLS_1_29)


def sysctls_1_32(meta: Obj, spec: Obj) -> Violation | None:
    """... and ``net.ipv4.tcp_rmem``/``tcp_wmem``."""
    return _sysctls(spec, _SYSCTLS_1_32)


# -- Windows ----------------------------------------------------------------------------


def windows_host_process_1_0(meta: Obj, spec: Obj) -> Violation | None:
    """No ``windowsOptions.hostProcess: true``."""

    def host_process(obj: Obj) -> bool:
        return mapping(security_context(obj).get("windowsOptions")).get("hostProcess") is True

    bad_containers = [str(c.get("name") or "") for c in containers(spec) if host_process(c)]
    setters = _setters(host_process(spec), bad_containers)
    if not setters:
        return None
    return Violation(
        "hostProcess",
        f"{' and '.join(setters)} must not set securityContext.windowsOptions.hostProcess=true",
    )


#: Every baseline check, in upstream's order (the order its messages list them in).
CHECKS: Final = (
    Check("appArmorProfile", BASELINE, ((0, app_armor_profile_1_0),)),
    Check("capabilities_baseline", BASELINE, ((0, capabilities_baseline_1_0),), overlap=True),
    Check("hostNamespaces", BASELINE, ((0, host_namespaces_1_0),)),
    Check("hostPathVolumes", BASELINE, ((0, host_path_volumes_1_0),), overlap=True),
    Check("hostPorts", BASELINE, ((0, host_ports_1_0),)),
    Check("privileged", BASELINE, ((0, privileged_1_0),)),
    Check("procMount", BASELINE, ((0, proc_mount_1_0),)),
    Check("seLinuxOptions", BASELINE, ((0, se_linux_options_1_0), (31, se_linux_options_1_31))),
    Check(
        "seccompProfile_baseline",
        BASELINE,
        ((0, seccomp_profile_baseline_1_0), (19, seccomp_profile_baseline_1_19)),
        overlap=True,
    ),
    Check(
        "sysctls",
        BASELINE,
        ((0, sysctls_1_0), (27, sysctls_1_27), (29, sysctls_1_29), (32, sysctls_1_32)),
    ),
    Check("windowsHostProcess", BASELINE, ((0, windows_host_process_1_0),)),
)
