"""The Pod Security Standards checks, one table row per check and outcome, with upstream's text."""

from __future__ import annotations

from typing import Any

import pytest

from kubeling.apiserver.admission.pod_security import baseline, restricted
from kubeling.apiserver.admission.pod_security.check import Check
from kubeling.apiserver.admission.pod_security.levels import (
    LATEST,
    LevelVersion,
    Version,
    policy_to_evaluate,
)
from kubeling.apiserver.admission.pod_security.policy import evaluate, forbidden_detail

Obj = dict[str, Any]

CHECKS: dict[str, Check] = {c.id: c for c in baseline.CHECKS + restricted.CHECKS}


def _c(name: str = "c", **security: Any) -> Obj:
    container: Obj = {"name": name, "image": "busybox"}
    if security:
        container["securityContext"] = security
    return container


def _spec(*containers: Obj, **fields: Any) -> Obj:
    return {"containers": list(containers) or [_c()], **fields}


CASES: list[Any] = [
    # check id, pod spec, annotations, expected (reason, detail) or None, policy minor
    ("hostNamespaces", _spec(), {}, None),
    (
        "hostNamespaces",
        _spec(hostNetwork=True, hostIPC=True),
        {},
        ("host namespaces", "hostNetwork=true, hostIPC=true"),
    ),
    ("privileged", _spec(_c(privileged=False)), {}, None),
    (
        "privileged",
        _spec(_c("a", privileged=True), _c("b", privileged=True)),
        {},
        ("privileged", 'containers "a", "b" must not set securityContext.privileged=true'),
    ),
    ("capabilities_baseline", _spec(_c(capabilities={"add": ["CHOWN", "KILL"]})), {}, None),
    (
        "capabilities_baseline",
        _spec(_c(capabilities={"add": ["SYS_ADMIN", "NET_RAW", "CHOWN"]})),
        {},
        (
            "non-default capabilities",
            'container "c" must not include "NET_RAW", "SYS_ADMIN" in '
            "securityContext.capabilities.add",
        ),
    ),
    ("hostPathVolumes", _spec(volumes=[{"name": "v", "emptyDir": {}}]), {}, None),
    (
        "hostPathVolumes",
        _spec(volumes=[{"name": "h", "hostPath": {"path": "/"}}]),
        {},
        ("hostPath volumes", 'volume "h"'),
    ),
    ("hostPorts", _spec({"name": "c", "ports": [{"containerPort": 80}]}), {}, None),
    (
        "hostPorts",
        _spec(
            {"name": "a", "ports": [{"containerPort": 80, "hostPort": 8080}]},
            {"name": "b", "ports": [{"containerPort": 443, "hostPort": 443}]},
        ),
        {},
        ("hostPort", 'containers "a", "b" use hostPorts 443, 8080'),
    ),
    ("appArmorProfile", _spec(_c(appArmorProfile={"type": "RuntimeDefault"})), {}, None),
    (
        "appArmorProfile",
        _spec(_c(appArmorProfile={"type": "Unconfined"})),
        {"container.apparmor.security.beta.kubernetes.io/c": "unconfined"},
        (
            "forbidden AppArmor profiles",
            'container "c" and annotation must not set AppArmor profile type to "Unconfined", '
            '"container.apparmor.security.beta.kubernetes.io/c="unconfined""',
        ),
    ),
    (
        "appArmorProfile",
        _spec(securityContext={"appArmorProfile": {"type": "Unconfined"}}),
        {},
        ("forbidden AppArmor profile", 'pod must not set AppArmor profile type to "Unconfined"'),
    ),
    ("seLinuxOptions", _spec(_c(seLinuxOptions={"type": "container_init_t"})), {}, None),
    (
        "seLinuxOptions",
        _spec(
            _c(seLinuxOptions={"user": "root"}), securityContext={"seLinuxOptions": {"type": "x"}}
        ),
        {},
        (
            "seLinuxOptions",
            'pod and container "c" set forbidden securityContext.seLinuxOptions: type "x"; '
            "user may not be set",
        ),
    ),
    ("seLinuxOptions", _spec(_c(seLinuxOptions={"type": "container_engine_t"})), {}, None),
    (
        "seLinuxOptions",
        _spec(_c(seLinuxOptions={"type": "container_engine_t"})),
        {},
        (
            "seLinuxOptions",
            'container "c" set forbidden securityContext.seLinuxOptions: type "container_engine_t"',
        ),
        30,
    ),
    ("procMount", _spec(_c(procMount="Default")), {}, None),
    (
        "procMount",
        _spec(_c(procMount="Unmasked")),
        {},
        ("procMount", 'container "c" must not set securityContext.procMount to "Unmasked"'),
    ),
    ("seccompProfile_baseline", _spec(_c(seccompProfile={"type": "Localhost"})), {}, None),
    (
        "seccompProfile_baseline",
        _spec(_c(seccompProfile={"type": "Unconfined"})),
        {},
        (
            "seccompProfile",
            'container "c" must not set securityContext.seccompProfile.type to "Unconfined"',
        ),
    ),
    (
        "seccompProfile_baseline",
        _spec(),
        {"seccomp.security.alpha.kubernetes.io/pod": "unconfined"},
        (
            "seccompProfile",
            'forbidden annotation seccomp.security.alpha.kubernetes.io/pod="unconfined"',
        ),
        18,
    ),
    (
        "sysctls",
        _spec(securityContext={"sysctls": [{"name": "net.ipv4.tcp_rmem", "value": "1 2 3"}]}),
        {},
        None,
    ),
    (
        "sysctls",
        _spec(securityContext={"sysctls": [{"name": "net.ipv4.tcp_rmem", "value": "1 2 3"}]}),
        {},
        ("forbidden sysctls", "net.ipv4.tcp_rmem"),
        31,
    ),
    (
        "sysctls",
        _spec(securityContext={"sysctls": [{"name": "kernel.msgmax"}, {"name": "vm.x"}]}),
        {},
        ("forbidden sysctls", "kernel.msgmax, vm.x"),
    ),
    ("windowsHostProcess", _spec(_c(windowsOptions={"hostProcess": False})), {}, None),
    (
        "windowsHostProcess",
        _spec(
            _c(windowsOptions={"hostProcess": True}),
            securityContext={"windowsOptions": {"hostProcess": True}},
        ),
        {},
        (
            "hostProcess",
            'pod and container "c" must not set securityContext.windowsOptions.hostProcess=true',
        ),
    ),
    # restricted
    ("restrictedVolumes", _spec(volumes=[{"name": "s", "secret": {"secretName": "x"}}]), {}, None),
    (
        "restrictedVolumes",
        _spec(volumes=[{"name": "n", "nfs": {}}, {"name": "h", "hostPath": {"path": "/"}}]),
        {},
        ("restricted volume types", 'volumes ["h" "n"] have restricted types'),
    ),
    ("allowPrivilegeEscalation", _spec(_c(allowPrivilegeEscalation=False)), {}, None),
    (
        "allowPrivilegeEscalation",
        _spec(_c("a"), _c("b", allowPrivilegeEscalation=True)),
        {},
        (
            "allowPrivilegeEscalation != false",
            'containers "a", "b" must set securityContext.allowPrivilegeEscalation=false',
        ),
    ),
    ("allowPrivilegeEscalation", _spec(os={"name": "windows"}), {}, None),
    (
        "allowPrivilegeEscalation",
        _spec(os={"name": "windows"}),
        {},
        (
            "allowPrivilegeEscalation != false",
            'container "c" must set securityContext.allowPrivilegeEscalation=false',
        ),
        24,
    ),
    ("allowPrivilegeEscalation", _spec(), {}, None, 7),
    ("runAsNonRoot", _spec(securityContext={"runAsNonRoot": True}), {}, None),
    (
        "runAsNonRoot",
        _spec(),
        {},
        ("runAsNonRoot != true", 'pod or container "c" must set securityContext.runAsNonRoot=true'),
    ),
    (
        "runAsNonRoot",
        _spec(_c(runAsNonRoot=False), securityContext={"runAsNonRoot": True}),
        {},
        ("runAsNonRoot != true", 'container "c" must not set securityContext.runAsNonRoot=false'),
    ),
    ("runAsUser", _spec(_c(runAsUser=1000)), {}, None),
    (
        "runAsUser",
        _spec(_c(runAsUser=0), securityContext={"runAsUser": 0}),
        {},
        ("runAsUser=0", 'pod and container "c" must not set runAsUser=0'),
    ),
    ("runAsUser", _spec(_c(runAsUser=0)), {}, None, 22),
    (
        "seccompProfile_restricted",
        _spec(securityContext={"seccompProfile": {"type": "RuntimeDefault"}}),
        {},
        None,
    ),
    (
        "seccompProfile_restricted",
        _spec(_c("a", seccompProfile={"type": "Localhost"}), _c("b")),
        {},
        (
            "seccompProfile",
            'pod or container "b" must set securityContext.seccompProfile.type to '
            '"RuntimeDefault" or "Localhost"',
        ),
    ),
    (
        "capabilities_restricted",
        _spec(_c(capabilities={"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]})),
        {},
        None,
    ),
    (
        "capabilities_restricted",
        _spec(_c("a"), _c("b", capabilities={"drop": ["ALL"], "add": ["NET_ADMIN"]})),
        {},
        (
            "unrestricted capabilities",
            'container "a" must set securityContext.capabilities.drop=["ALL"]; '
            'container "b" must not include "NET_ADMIN" in securityContext.capabilities.add',
        ),
    ),
]


def _case_id(case: list[Any]) -> str:
    return f"{case[0]}-{'pass' if case[3] is None else 'fail'}-v{case[4] if len(case) > 4 else 32}"


@pytest.mark.parametrize("case", CASES, ids=[_case_id(c) for c in CASES])
def test_check(case: list[Any]) -> None:
    """Each check allows what Kubernetes allows and words its refusal as Kubernetes does."""
    check_id, spec, annotations, expected = case[:4]
    minor = case[4] if len(case) > 4 else 32
    fn = CHECKS[check_id].at(minor)
    violation = fn({"annotations": annotations}, spec) if fn is not None else None
    got = None if violation is None else (violation.reason, violation.detail)
    assert got == expected


def test_restricted_message_for_a_plain_pod() -> None:
    """The message every kubectl user has seen, in upstream's order."""
    violations = evaluate(LevelVersion("restricted", LATEST), {}, _spec())
    assert forbidden_detail(violations) == (
        'allowPrivilegeEscalation != false (container "c" must set '
        "securityContext.allowPrivilegeEscalation=false), unrestricted capabilities "
        '(container "c" must set securityContext.capabilities.drop=["ALL"]), runAsNonRoot '
        '!= true (pod or container "c" must set securityContext.runAsNonRoot=true), '
        'seccompProfile (pod or container "c" must set securityContext.seccompProfile.type '
        'to "RuntimeDefault" or "Localhost")'
    )


def test_levels_run_the_right_checks() -> None:
    """Privileged checks nothing; baseline skips restricted; restricted replaces the
    overlapping baseline checks (hostPath is reported once, as a volume type)."""
    spec = _spec(
        _c(privileged=True), hostPID=True, volumes=[{"name": "h", "hostPath": {"path": "/"}}]
    )
    assert evaluate(LevelVersion("privileged", LATEST), {}, spec) == []
    base = [v.reason for v in evaluate(LevelVersion("baseline", LATEST), {}, spec)]
    assert base == ["host namespaces", "privileged", "hostPath volumes"]
    strict = [v.reason for v in evaluate(LevelVersion("restricted", Version(40)), {}, spec)]
    assert strict[:2] == ["host namespaces", "privileged"]
    assert "hostPath volumes" not in strict
    assert "restricted volume types" in strict


@pytest.mark.parametrize(
    ("labels", "policy", "problems"),
    [
        ({}, ("privileged:latest", "privileged:latest", "privileged:latest"), []),
        (
            {
                "pod-security.kubernetes.io/enforce": "restricted",
                "pod-security.kubernetes.io/enforce-version": "v1.25",
                "pod-security.kubernetes.io/audit": "baseline",
            },
            ("restricted:v1.25", "baseline:latest", "privileged:latest"),
            [],
        ),
        (
            {
                "pod-security.kubernetes.io/enforce": "strict",
                "pod-security.kubernetes.io/warn": "nope",
                "pod-security.kubernetes.io/audit-version": "1.25",
            },
            ("restricted:latest", "privileged:latest", "privileged:latest"),
            [
                "metadata.labels[pod-security.kubernetes.io/enforce]: Invalid value: "
                '"strict": must be one of privileged, baseline, restricted',
                "metadata.labels[pod-security.kubernetes.io/audit-version]: Invalid value: "
                '"1.25": must be "latest" or "v1.x"',
                "metadata.labels[pod-security.kubernetes.io/warn]: Invalid value: "
                '"nope": must be one of privileged, baseline, restricted',
            ],
        ),
    ],
)
def test_policy_from_labels(
    labels: dict[str, str], policy: tuple[str, str, str], problems: list[str]
) -> None:
    """Labels give the policy; bad ones fail closed for enforce and open for the others."""
    got, errs = policy_to_evaluate(labels)
    assert (str(got.enforce), str(got.audit), str(got.warn)) == policy
    assert [str(e) for e in errs] == problems
