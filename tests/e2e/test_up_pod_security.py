"""Pod Security admission end to end under ``kubeling up``: what kubectl 1.32 prints for the
namespace labels' enforce and warn modes, for workloads, and for tightening a namespace.

The texts are Kubernetes' (``staging/src/k8s.io/pod-security-admission``): checks in upstream's
order (baseline checks by ID, then restricted ones by ID), each with its detail.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.cluster import RunningServer, running_server
from tests.support.polling import eventually

NODE = "e2e-pod-security"

RESTRICTED_DETAILS = (
    'allowPrivilegeEscalation != false (container "{c}" must set '
    "securityContext.allowPrivilegeEscalation=false), "
    'unrestricted capabilities (container "{c}" must set '
    'securityContext.capabilities.drop=["ALL"]), '
    'runAsNonRoot != true (pod or container "{c}" must set securityContext.runAsNonRoot=true), '
    'seccompProfile (pod or container "{c}" must set securityContext.seccompProfile.type to '
    '"RuntimeDefault" or "Localhost")'
)
PRIVILEGED_DETAIL = 'privileged (container "{c}" must not set securityContext.privileged=true)'


@pytest.fixture(scope="module")
def up(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    extra = ["--node-name", NODE, "--dns-port", "0", "--disable-ingress"]
    with running_server(tmp_path_factory.mktemp("psa"), command="up", extra=extra) as running:
        yield running


def _namespace(up: RunningServer, name: str, *labels: str) -> None:
    up.kubectl("create", "namespace", name)
    if labels:
        up.kubectl("label", "namespace", name, *labels)
    eventually(
        lambda: up.kubectl("get", "sa", "default", "-n", name, check=False).returncode == 0,
        what=f"the default service account of {name}",
    )


def _pod(name: str, security: dict[str, Any] | None = None, **pod: Any) -> str:
    container: dict[str, Any] = {"name": "c", "image": "busybox", "command": ["sleep", "3600"]}
    if security is not None:
        container["securityContext"] = security
    spec = {"terminationGracePeriodSeconds": 1, "containers": [container], **pod}
    return json.dumps({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": spec})


def test_enforce_restricted_refuses_a_privileged_pod_and_admits_a_compliant_one(
    up: RunningServer,
) -> None:
    _namespace(up, "locked", "pod-security.kubernetes.io/enforce=restricted")
    refused = up.kubectl(
        "create", "-n", "locked", "-f", "-", input=_pod("priv", {"privileged": True}), check=False
    )
    assert refused.returncode == 1
    assert refused.stderr == (
        'Error from server (Forbidden): error when creating "STDIN": pods "priv" is forbidden: '
        'violates PodSecurity "restricted:latest": '
        + PRIVILEGED_DETAIL.format(c="c")
        + ", "
        + RESTRICTED_DETAILS.format(c="c")
        + "\n"
    )
    assert up.kubectl("get", "pods", "-n", "locked", "-o", "name").stdout == ""
    compliant = _pod(
        "good",
        {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}},
        securityContext={
            "runAsNonRoot": True,
            "runAsUser": 1000,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
    )
    created = up.kubectl("create", "-n", "locked", "-f", "-", input=compliant)
    assert (created.stdout, created.stderr) == ("pod/good created\n", "")


def test_warn_baseline_prints_kubernetes_warning_and_creates_the_pod(up: RunningServer) -> None:
    _namespace(up, "warned", "pod-security.kubernetes.io/warn=baseline")
    created = up.kubectl(
        "create", "-n", "warned", "-f", "-", input=_pod("priv", {"privileged": True})
    )
    assert created.stderr == (
        'Warning: would violate PodSecurity "baseline:latest": '
        + PRIVILEGED_DETAIL.format(c="c")
        + "\n"
    )
    assert created.stdout == "pod/priv created\n"


def test_a_deployment_is_warned_about_and_its_pods_refused(up: RunningServer) -> None:
    """Workloads get warn (not enforce); their pods are what enforce refuses, which the
    ReplicaSet reports as FailedCreate events. An enforce-only namespace warns nothing."""
    _namespace(
        up,
        "apps",
        "pod-security.kubernetes.io/enforce=restricted",
        "pod-security.kubernetes.io/warn=restricted",
    )
    created = up.kubectl("create", "deployment", "web", "-n", "apps", "--image=busybox")
    assert created.stderr == (
        'Warning: would violate PodSecurity "restricted:latest": '
        + RESTRICTED_DETAILS.format(c="busybox")
        + "\n"
    )
    assert created.stdout == "deployment.apps/web created\n"

    def failed_create() -> str | None:
        events: Any = up.kubectl_json(
            "get", "events", "-n", "apps", "--field-selector", "reason=FailedCreate"
        )
        messages = [str(e["message"]) for e in events["items"]]
        return messages[0] if messages else None

    message = eventually(failed_create, within=30, what="the ReplicaSet's FailedCreate event")
    prefix, _, rest = message.partition(" is forbidden: ")
    assert prefix.startswith('Error creating: pods "web-'), message
    assert rest == (
        'violates PodSecurity "restricted:latest": ' + RESTRICTED_DETAILS.format(c="busybox")
    )
    assert up.kubectl("get", "pods", "-n", "apps", "-o", "name").stdout == ""

    _namespace(up, "quiet", "pod-security.kubernetes.io/enforce=restricted")
    quiet = up.kubectl("create", "deployment", "web", "-n", "quiet", "--image=busybox")
    assert (quiet.stdout, quiet.stderr) == ("deployment.apps/web created\n", "")


def test_tightening_a_namespace_warns_about_its_existing_pods(up: RunningServer) -> None:
    _namespace(up, "legacy")
    up.kubectl("create", "-n", "legacy", "-f", "-", input=_pod("priv", {"privileged": True}))
    labelled = up.kubectl(
        "label", "namespace", "legacy", "pod-security.kubernetes.io/enforce=restricted"
    )
    assert labelled.stderr == (
        'Warning: existing pods in namespace "legacy" violate the new PodSecurity enforce level '
        '"restricted:latest"\n'
        "Warning: priv: privileged, allowPrivilegeEscalation != false, unrestricted "
        "capabilities, runAsNonRoot != true, seccompProfile\n"
    )
    assert labelled.stdout == "namespace/legacy labeled\n"
    # the pod stays: enforce applies to what is created from now on
    assert up.kubectl("get", "pods", "-n", "legacy", "-o", "name").stdout == "pod/priv\n"
