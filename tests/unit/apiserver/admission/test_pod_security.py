"""PodSecurity admission: enforce, audit and warn on pods, controllers and namespaces."""

from __future__ import annotations

from typing import Any

import pytest

from kubeling.api import errors
from kubeling.api.authentication.user import UserInfo
from kubeling.apiserver.admission.chain import AdmissionChain
from kubeling.apiserver.admission.interfaces import CREATE, UPDATE, Attributes
from kubeling.apiserver.admission.pod_security import PodSecurityAdmission
from kubeling.apiserver.admission.readers import cached_cluster_getter, cached_lister
from kubeling.apiserver.registry.builtin import builtin_resources
from kubeling.apiserver.registry.registry import Registry
from kubeling.apiserver.rest.options import WriteOptions
from kubeling.apiserver.warnings import collect_warnings
from kubeling.storage.memory import MemoryStore

Obj = dict[str, Any]

RESTRICTED_PLAIN = (
    'allowPrivilegeEscalation != false (container "c" must set '
    "securityContext.allowPrivilegeEscalation=false), unrestricted capabilities "
    '(container "c" must set securityContext.capabilities.drop=["ALL"]), runAsNonRoot '
    '!= true (pod or container "c" must set securityContext.runAsNonRoot=true), '
    'seccompProfile (pod or container "c" must set securityContext.seccompProfile.type '
    'to "RuntimeDefault" or "Localhost")'
)
RESTRICTED_OK: dict[str, Any] = {
    "runAsNonRoot": True,
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
    "seccompProfile": {"type": "RuntimeDefault"},
}
GROUPS = {"pods": "", "namespaces": "", "deployments": "apps", "cronjobs": "batch"}


def _ns(name: str = "ns", **labels: str) -> Obj:
    return {
        "metadata": {
            "name": name,
            "labels": {
                f"pod-security.kubernetes.io/{k.replace('_', '-')}": v for k, v in labels.items()
            },
        }
    }


def _pod(name: str = "p", *, image: str = "busybox", **security: Any) -> Obj:
    container: Obj = {"name": "c", "image": image}
    if security:
        container["securityContext"] = security
    return {"metadata": {"name": name, "namespace": "ns"}, "spec": {"containers": [container]}}


def _attrs(
    resource: str,
    obj: Obj | None,
    *,
    operation: str = CREATE,
    old: Obj | None = None,
    subresource: str = "",
    namespace: str = "ns",
) -> Attributes:
    name = str(((obj or {}).get("metadata") or {}).get("name") or "")
    return Attributes(
        operation=operation,  # type: ignore[arg-type]
        group=GROUPS[resource],
        version="v1",
        resource=resource,
        subresource=subresource,
        kind_group=GROUPS[resource],
        kind_version="v1",
        kind="",
        namespace="" if resource == "namespaces" else namespace,
        name=name,
        obj=obj,
        old_obj=old,
        user=UserInfo("alice"),
    )


class _Cluster:
    """Namespaces and pods in memory; the plugin's warnings, recorded."""

    def __init__(self, namespace: Obj | None, pods: list[Obj] | None = None) -> None:
        self.namespace = namespace
        self.pods = pods or []
        self.warnings: list[str] = []
        self.plugin = PodSecurityAdmission(
            get_namespace=self.get_namespace, list_pods=self.list_pods, warn=self.warnings.append
        )

    async def get_namespace(self, name: str) -> Obj | None:
        return self.namespace

    async def list_pods(self, namespace: str) -> list[Obj]:
        return self.pods


# -- pods -------------------------------------------------------------------------------


async def test_enforce_refuses_with_kubernetes_message() -> None:
    """enforce=restricted: a plain pod is a 403 naming every violation; audit notes the
    enforced policy."""
    cluster = _Cluster(_ns(enforce="restricted"))
    attributes = _attrs("pods", _pod("x"))
    with pytest.raises(errors.StatusError) as info:
        await cluster.plugin.validate(attributes)
    assert (info.value.code, info.value.reason) == (403, "Forbidden")
    assert info.value.message == (
        f'pods "x" is forbidden: violates PodSecurity "restricted:latest": {RESTRICTED_PLAIN}'
    )
    assert attributes.annotations == {
        "pod-security.kubernetes.io/enforce-policy": "restricted:latest"
    }
    assert cluster.warnings == []


async def test_enforce_allows_a_compliant_pod() -> None:
    """A pod that meets restricted is admitted without warnings."""
    cluster = _Cluster(_ns(enforce="restricted", warn="restricted", audit="restricted"))
    attributes = _attrs("pods", _pod(**RESTRICTED_OK))
    await cluster.plugin.validate(attributes)
    assert cluster.warnings == []
    assert "pod-security.kubernetes.io/audit-violations" not in attributes.annotations


async def test_warn_and_audit_do_not_refuse() -> None:
    """warn adds a Warning, audit an annotation; the pod is admitted."""
    cluster = _Cluster(_ns(warn="baseline", audit="baseline", audit_version="v1.30"))
    attributes = _attrs("pods", _pod("x", privileged=True))
    await cluster.plugin.validate(attributes)
    detail = 'privileged (container "c" must not set securityContext.privileged=true)'
    assert cluster.warnings == [f'would violate PodSecurity "baseline:latest": {detail}']
    assert attributes.annotations == {
        "pod-security.kubernetes.io/enforce-policy": "privileged:latest",
        "pod-security.kubernetes.io/audit-violations": (
            f'would violate PodSecurity "baseline:v1.30": {detail}'
        ),
    }


async def test_warning_goes_to_the_request_warnings() -> None:
    """By default the warning joins the request's Warning headers."""
    plugin = PodSecurityAdmission(
        get_namespace=_Cluster(_ns(warn="baseline")).get_namespace,
        list_pods=_Cluster(None).list_pods,
    )
    collected = collect_warnings()
    await plugin.validate(_attrs("pods", _pod(privileged=True)))
    assert collected == [
        'would violate PodSecurity "baseline:latest": privileged (container "c" must not set '
        "securityContext.privileged=true)"
    ]


async def test_invalid_labels_evaluate_enforce_as_restricted() -> None:
    """A bad enforce label fails closed, and the parse error is an audit annotation."""
    cluster = _Cluster(_ns(enforce="strict"))
    attributes = _attrs("pods", _pod("x"))
    with pytest.raises(errors.StatusError):
        await cluster.plugin.validate(attributes)
    assert attributes.annotations["pod-security.kubernetes.io/error"] == (
        "Failed to parse policy: metadata.labels[pod-security.kubernetes.io/enforce]: "
        'Invalid value: "strict": must be one of privileged, baseline, restricted'
    )


@pytest.mark.parametrize(
    ("old", "new", "checked"),
    [
        pytest.param(
            _pod(), {**_pod(), "metadata": {"name": "p", "labels": {"a": "b"}}}, False, id="labels"
        ),
        pytest.param(_pod(), {**_pod(), "status": {"phase": "Running"}}, False, id="status"),
        pytest.param(_pod(), _pod(image="nginx"), True, id="image"),
        pytest.param(
            _pod(),
            {
                **_pod(),
                "spec": {
                    **_pod()["spec"],
                    "ephemeralContainers": [{"name": "debug", "image": "busybox"}],
                },
            },
            True,
            id="ephemeral-container",
        ),
    ],
)
async def test_updates_recheck_only_significant_changes(old: Obj, new: Obj, checked: bool) -> None:
    """A pod already running is re-checked only when its images or containers change."""
    cluster = _Cluster(_ns(enforce="restricted"))
    attributes = _attrs("pods", new, operation=UPDATE, old=old)
    if checked:
        with pytest.raises(errors.StatusError) as info:
            await cluster.plugin.validate(attributes)
        assert info.value.code == 403
    else:
        await cluster.plugin.validate(attributes)


async def test_ignored_subresources_and_privileged_namespaces() -> None:
    """pods/status is never checked; a fully privileged namespace checks nothing."""
    await _Cluster(_ns(enforce="restricted")).plugin.validate(
        _attrs("pods", _pod(), operation=UPDATE, old=_pod(), subresource="status")
    )
    await _Cluster(_ns()).plugin.validate(_attrs("pods", _pod(privileged=True, hostPID=True)))


async def test_missing_namespace_is_an_internal_error() -> None:
    """As upstream: the namespace lookup failing is a 500 for pods."""
    with pytest.raises(errors.StatusError) as info:
        await _Cluster(None).plugin.validate(_attrs("pods", _pod()))
    assert info.value.code == 500
    assert info.value.message == 'Internal error occurred: failed to lookup namespace "ns"'


# -- pod controllers --------------------------------------------------------------------


def _deployment(pod: Obj) -> Obj:
    return {"metadata": {"name": "d"}, "spec": {"template": {"spec": pod["spec"]}}}


async def test_controllers_get_warn_and_audit_never_enforce() -> None:
    """A Deployment whose template violates enforce is admitted; warn and audit apply."""
    cluster = _Cluster(_ns(enforce="restricted", warn="restricted", audit="restricted"))
    attributes = _attrs("deployments", _deployment(_pod()))
    await cluster.plugin.validate(attributes)
    assert cluster.warnings == [
        f'would violate PodSecurity "restricted:latest": {RESTRICTED_PLAIN}'
    ]
    assert "pod-security.kubernetes.io/enforce-policy" not in attributes.annotations
    assert attributes.annotations["pod-security.kubernetes.io/audit-violations"].startswith(
        'would violate PodSecurity "restricted:latest": allowPrivilegeEscalation'
    )


async def test_cronjob_template_is_found() -> None:
    """A CronJob's pod template is under spec.jobTemplate.spec.template."""
    cluster = _Cluster(_ns(warn="baseline"))
    cronjob = {
        "metadata": {"name": "cj"},
        "spec": {
            "jobTemplate": {"spec": {"template": {"spec": {"hostNetwork": True, "containers": []}}}}
        },
    }
    await cluster.plugin.validate(_attrs("cronjobs", cronjob))
    assert cluster.warnings == [
        'would violate PodSecurity "baseline:latest": host namespaces (hostNetwork=true)'
    ]


# -- namespaces -------------------------------------------------------------------------


async def test_namespace_with_invalid_label_is_422() -> None:
    """Creating a namespace with a bad pod security label is refused as Invalid."""
    with pytest.raises(errors.StatusError) as info:
        await _Cluster(None).plugin.validate(_attrs("namespaces", _ns("team", enforce="foo")))
    assert (info.value.code, info.value.reason) == (422, "Invalid")
    assert info.value.message == (
        'Namespace "team" is invalid: metadata.labels[pod-security.kubernetes.io/enforce]: '
        'Invalid value: "foo": must be one of privileged, baseline, restricted'
    )


async def test_namespace_keeping_its_invalid_label_may_be_updated() -> None:
    """Only a changed invalid label is refused on update."""
    old = _ns("team", enforce="foo")
    new = {**old, "metadata": {**old["metadata"], "annotations": {"a": "b"}}}
    await _Cluster(None).plugin.validate(_attrs("namespaces", new, operation=UPDATE, old=old))


async def test_tightening_enforce_warns_about_existing_pods() -> None:
    """Existing pods that would violate the new enforce level are named, grouped by reason."""
    pods = [
        _pod("web-2", privileged=True),
        _pod("web-1", privileged=True),
        _pod("web-3", privileged=True),
        {**_pod("db"), "spec": {"hostNetwork": True, "containers": [{"name": "c"}]}},
        _pod("fine"),
    ]
    cluster = _Cluster(None, pods)
    await cluster.plugin.validate(
        _attrs("namespaces", _ns("ns", enforce="baseline"), operation=UPDATE, old=_ns("ns"))
    )
    assert cluster.warnings == [
        'existing pods in namespace "ns" violate the new PodSecurity enforce level '
        '"baseline:latest"',
        "db: host namespaces",
        "web-1 (and 2 other pods): privileged",
    ]


async def test_relaxing_enforce_checks_nothing() -> None:
    """Loosening (or keeping) enforce at the same version lists no pods."""
    cluster = _Cluster(None, [_pod(privileged=True)])
    await cluster.plugin.validate(
        _attrs(
            "namespaces",
            _ns("ns", enforce="baseline"),
            operation=UPDATE,
            old=_ns("ns", enforce="restricted"),
        )
    )
    assert cluster.warnings == []


async def test_only_the_first_pods_are_checked() -> None:
    """Past the limit, the warning says how many pods were checked."""
    cluster = _Cluster(None, [_pod(f"p{i}", privileged=True) for i in range(5)])
    plugin = PodSecurityAdmission(
        get_namespace=cluster.get_namespace,
        list_pods=cluster.list_pods,
        warn=cluster.warnings.append,
        max_pods_to_check=2,
    )
    await plugin.validate(
        _attrs("namespaces", _ns("ns", enforce="baseline"), operation=UPDATE, old=_ns("ns"))
    )
    assert cluster.warnings[0] == (
        "new PodSecurity enforce level only checked against the first 2 of 5 existing pods"
    )
    assert cluster.warnings[-1] == "p0 (and 1 other pod): privileged"


# -- over the API server's own stores ---------------------------------------------------


async def test_over_real_stores_through_the_chain() -> None:
    """The plugin reads namespaces and pods from the registry's stores and watch caches."""
    registry = Registry(MemoryStore())
    for resource in builtin_resources():
        registry.add(resource)
    namespaces = registry.lookup("", "v1", "namespaces")
    pods = registry.lookup("", "v1", "pods")
    assert namespaces is not None
    assert pods is not None
    chain = AdmissionChain(
        [
            PodSecurityAdmission(
                get_namespace=cached_cluster_getter(namespaces), list_pods=cached_lister(pods)
            )
        ]
    )
    try:
        await namespaces.create("", _ns("ns", enforce="baseline"), WriteOptions())
        await pods.create("ns", _pod("old", privileged=False), WriteOptions())
        with pytest.raises(errors.StatusError) as info:
            await chain.validate(_attrs("pods", _pod("bad", privileged=True)))
        assert info.value.message.startswith('pods "bad" is forbidden: violates PodSecurity')
        await chain.validate(_attrs("pods", _pod("good")))
        collected = collect_warnings()
        privileged_pod = _pod("priv", privileged=True)
        await pods.create("ns", privileged_pod, WriteOptions())  # as if admitted earlier
        old = await namespaces.get("", "ns")
        new = {
            **old,
            "metadata": {
                **old["metadata"],
                "labels": _ns(enforce="restricted")["metadata"]["labels"],
            },
        }
        await chain.validate(_attrs("namespaces", new, operation=UPDATE, old=old))
        assert collected[0] == (
            'existing pods in namespace "ns" violate the new PodSecurity enforce level '
            '"restricted:latest"'
        )
        assert collected[1].startswith("old: allowPrivilegeEscalation != false")
        assert collected[2].startswith("priv: privileged, allowPrivilegeEscalation != false")
    finally:
        for stored in registry.stored_resources():
            await stored.cache.stop()
