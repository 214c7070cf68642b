"""The restricted checks of the Pod Security Standards, as pod-security-admission 1.32 runs them.

Restricted is baseline plus current hardening practice: no privilege
escalation, non-root, all capabilities dropped, a seccomp profile, and only
volume types that cannot reach the node. From policy v1.25 a Windows pod
(``spec.os.name: windows``) is spared the Linux-only checks (privilege
escalation, capabilities, seccomp), as upstream does.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from kubeling.api.goformat import go_quote
from kubeling.apiserver.admission.pod_security.baseline import (
    seccomp_bad_setters,
    seccomp_setters,
)
from kubeling.apiserver.admission.pod_security.check import (
    Check,
    CheckFn,
    Violation,
    containers,
    join_quote,
    mapping,
    named,
    security_context,
)
from kubeling.apiserver.admission.pod_security.levels import RESTRICTED

__all__ = ["CHECKS"]

Obj = Mapping[str, Any]


def _not_on_windows(check: CheckFn) -> CheckFn:
    """The 1.25 revision of a Linux-only check: Windows pods pass."""

    def revised(meta: Obj, spec: Obj) -> Violation | None:
        if mapping(spec.get("os")).get("name") == "windows":
            return None
        return check(meta, spec)

    revised.__doc__ = f"{check.__name__}, passing Windows pods (policy v1.25+)."
    return revised


def allow_privilege_escalation_1_8(meta: Obj, spec: Obj) -> Violation | None:
    """Every container sets ``allowPrivilegeEscalation: false``."""
    bad = [
        str(c.get("name") or "")
        for c in containers(spec)
        if security_context(c).get("allowPrivilegeEscalation") is not False
    ]
    if not bad:
        return None
    return Violation(
        "allowPrivilegeEscalation != false",
        f"{named(bad)} must set securityContext.allowPrivilegeEscalation=false",
    )


def capabilities_restricted_1_22(meta: Obj, spec: Obj) -> Violation | None:
    """Every container drops ALL, and adds nothing but NET_BIND_SERVICE."""
    missing_drop, adding, forbidden = [], [], set()
    for container in containers(spec):
        name = str(container.get("name") or "")
        capabilities = security_context(container).get("capabilities")
        if not isinstance(capabilities, Mapping):
            missing_drop.append(name)
            continue
        if "ALL" not in [str(c) for c in capabilities.get("drop") or ()]:
            missing_drop.append(name)
        added = {str(c) for c in capabilities.get("add") or () if str(c) != "NET_BIND_SERVICE"}
        if added:
            adding.append(name)
            forbidden |= added
    details = []
    if missing_drop:
        details.append(f'{named(missing_drop)} must set securityContext.capabilities.drop=["ALL"]')
    if adding:
        details.append(
            f"{named(adding)} must not include {join_quote(sorted(forbidden))} "
            "in securityContext.capabilities.add"
        )
    return Violation("unrestricted capabilities", "; ".join(details)) if details else None


#: The volume sources restricted allows.
_ALLOWED_VOLUMES: Final = (
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "persistentVolumeClaim",
    "projected",
    "secret",
)


def restricted_volumes_1_0(meta: Obj, spec: Obj) -> Violation | None:
    """Only volume types that stay inside the pod's own storage."""
    volumes = spec.get("volumes")
    names = sorted(
        {
            str(v.get("name") or "")
            for v in (volumes if isinstance(volumes, list) else ())
            if isinstance(v, Mapping) and not any(v.get(k) is not None for k in _ALLOWED_VOLUMES)
        }
    )
    if not names:
        return None
    # Go's %q of a []string: ["a" "b"]
    listed = "[" + " ".join(go_quote(n) for n in names) + "]"
    return Violation("restricted volume types", f"volumes {listed} have restricted types")


def run_as_non_root_1_0(meta: Obj, spec: Obj) -> Violation | None:
    """``runAsNonRoot: true`` on the pod, or on every container; never ``false``."""
    setters = []
    pod_non_root = False
    pod_value = security_context(spec).get("runAsNonRoot")
    if pod_value is not None:
        if pod_value is False:
            setters.append("pod")
        else:
            pod_non_root = True
    explicit, implicit = [], []
    for container in containers(spec):
        value = security_context(container).get("runAsNonRoot")
        name = str(container.get("name") or "")
        if value is not None:
            if value is False:
                explicit.append(name)
        elif not pod_non_root:
            implicit.append(name)
    if explicit:
        setters.append(named(explicit))
    if setters:
        return Violation(
            "runAsNonRoot != true",
            f"{' and '.join(setters)} must not set securityContext.runAsNonRoot=false",
        )
    if implicit:
        return Violation(
            "runAsNonRoot != true",
            f"pod or {named(implicit)} must set securityContext.runAsNonRoot=true",
        )
    return None


def _is_root(value: object) -> bool:
    return type(value) is int and value == 0


def run_as_user_1_23(meta: Obj, spec: Obj) -> Violation | None:
    """No ``runAsUser: 0``."""
    setters = ["pod"] if _is_root(security_context(spec).get("runAsUser")) else []
    bad = [
        str(c.get("name") or "")
        for c in containers(spec)
        if _is_root(security_context(c).get("runAsUser"))
    ]
    if bad:
        setters.append(named(bad))
    if not setters:
        return None
    return Violation("runAsUser=0", f"{' and '.join(setters)} must not set runAsUser=0")


def seccomp_profile_restricted_1_19(meta: Obj, spec: Obj) -> Violation | None:
    """A seccomp profile of RuntimeDefault or Localhost, on the pod or every container."""
    setters, values, pod_good, unset = seccomp_setters(spec)
    if setters:
        return seccomp_bad_setters(setters, values)
    if unset and not pod_good:
        return Violation(
            "seccompProfile",
            f"pod or {named(unset)} must set securityContext.seccompProfile.type to "
            '"RuntimeDefault" or "Localhost"',
        )
    return None


#: Every restricted check, in upstream's order.
CHECKS: Final = (
    Check(
        "allowPrivilegeEscalation",
        RESTRICTED,
        (
            (8, allow_privilege_escalation_1_8),
            (25, _not_on_windows(allow_privilege_escalation_1_8)),
        ),
    ),
    Check(
        "capabilities_restricted",
        RESTRICTED,
        ((22, capabilities_restricted_1_22), (25, _not_on_windows(capabilities_restricted_1_22))),
    ),
    Check("restrictedVolumes", RESTRICTED, ((0, restricted_volumes_1_0),)),
    Check("runAsNonRoot", RESTRICTED, ((0, run_as_non_root_1_0),)),
    Check("runAsUser", RESTRICTED, ((23, run_as_user_1_23),)),
    Check(
        "seccompProfile_restricted",
        RESTRICTED,
        (
            (19, seccomp_profile_restricted_1_19),
            (25, _not_on_windows(seccomp_profile_restricted_1_19)),
        ),
    ),
)
