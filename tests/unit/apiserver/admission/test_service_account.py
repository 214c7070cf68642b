"""ServiceAccount: the default account, its existence, the token volume, mountable secrets."""

from __future__ import annotations

from typing import Any

import pytest

from kubeling.api.errors import StatusError
from kubeling.apiserver.admission.lookup import StaticReader
from kubeling.apiserver.admission.service_account import (
    DEFAULT_API_TOKEN_MOUNT_PATH,
    ServiceAccount,
    token_volume_source,
)
from tests.unit.apiserver.admission.support import Obj, attributes


def _account(name: str = "default", **fields: Any) -> Obj:
    return {"metadata": {"name": name, "namespace": "ns"}, **fields}


def _pod(**spec: Any) -> Obj:
    return {
        "metadata": {"name": "p", "namespace": "ns"},
        "spec": {"containers": [{"name": "app"}], **spec},
    }


class Sleeps:
    """A sleep that records and returns at once."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def _plugin(*accounts: Obj, sleep: Sleeps | None = None) -> ServiceAccount:
    return ServiceAccount(
        StaticReader(accounts),
        sleep=sleep or Sleeps(),
        generate_name=lambda base: base + "abcde",
    )


async def _admit(plugin: ServiceAccount, pod: Obj) -> None:
    attrs = attributes("CREATE", "pods", pod)
    assert plugin.handles(attrs)
    await plugin.admit(attrs)
    await plugin.validate(attrs)


async def test_default_account_and_token_volume() -> None:
    pod = _pod(initContainers=[{"name": "init"}])
    await _admit(_plugin(_account(imagePullSecrets=[{"name": "reg"}])), pod)
    spec = pod["spec"]
    assert (spec["serviceAccountName"], spec["serviceAccount"]) == ("default", "default")
    assert spec["volumes"] == [
        {"name": "kube-api-access-abcde", "projected": token_volume_source()}
    ]
    mount = {
        "name": "kube-api-access-abcde",
        "readOnly": True,
        "mountPath": DEFAULT_API_TOKEN_MOUNT_PATH,
    }
    assert spec["containers"][0]["volumeMounts"] == [mount]
    assert spec["initContainers"][0]["volumeMounts"] == [mount]
    assert spec["imagePullSecrets"] == [{"name": "reg"}]


@pytest.mark.parametrize(
    ("pod_choice", "account_choice", "mounted"),
    [(None, None, True), (None, False, False), (True, False, True), (False, True, False)],
)
async def test_automount(
    pod_choice: bool | None, account_choice: bool | None, mounted: bool
) -> None:
    spec = {} if pod_choice is None else {"automountServiceAccountToken": pod_choice}
    account = (
        _account()
        if account_choice is None
        else _account(automountServiceAccountToken=account_choice)
    )
    pod = _pod(**spec)
    await _admit(_plugin(account), pod)
    assert ("volumes" in pod["spec"]) is mounted


async def test_a_container_with_its_own_mount_at_the_path_keeps_it() -> None:
    own = {"name": "mine", "mountPath": DEFAULT_API_TOKEN_MOUNT_PATH}
    pod = _pod(containers=[{"name": "app", "volumeMounts": [own]}])
    await _admit(_plugin(_account()), pod)
    assert pod["spec"]["containers"][0]["volumeMounts"] == [own]
    assert "volumes" not in pod["spec"]  # no container needs it


async def test_a_missing_account_is_refused_after_retries_for_default() -> None:
    sleeps = Sleeps()
    with pytest.raises(StatusError) as refused:
        await _admit(_plugin(sleep=sleeps), _pod())
    assert refused.value.code == 403
    assert refused.value.message == (
        'pods "p" is forbidden: service account ns/default was not found, retry after the '
        "service account is created"
    )
    assert len(sleeps.calls) == 9  # ten live lookups of the default account


async def test_a_named_missing_account_is_looked_up_once() -> None:
    sleeps = Sleeps()
    with pytest.raises(StatusError):
        await _admit(_plugin(sleep=sleeps), _pod(serviceAccountName="ghost"))
    assert sleeps.calls == []


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (
            {"volumes": [{"name": "s", "secret": {"secretName": "other"}}]},
            'volume with secret.secretName="other" is not allowed because service account '
            "default does not reference that secret",
        ),
        (
            {
                "containers": [
                    {
                        "name": "app",
                        "env": [
                            {"name": "E", "valueFrom": {"secretKeyRef": {"name": "x", "key": "k"}}}
                        ],
                    }
                ]
            },
            'container app with envVar E referencing secret.secretName="x" is not allowed '
            "because service account default does not reference that secret",
        ),
        (
            {"imagePullSecrets": [{"name": "nope"}]},
            'imagePullSecrets[0].name="nope" is not allowed because service account default '
            "does not reference that imagePullSecret",
        ),
        ({"volumes": [{"name": "s", "secret": {"secretName": "ok"}}]}, None),
    ],
)
async def test_enforced_mountable_secrets(spec: Obj, message: str | None) -> None:
    account = _account(
        metadata={
            "name": "default",
            "namespace": "ns",
            "annotations": {"kubernetes.io/enforce-mountable-secrets": "true"},
        },
        secrets=[{"name": "ok"}],
    )
    pod = _pod(automountServiceAccountToken=False, **spec)
    if message is None:
        await _admit(_plugin(account), pod)
        return
    with pytest.raises(StatusError) as refused:
        await _admit(_plugin(account), pod)
    assert refused.value.message == f'pods "p" is forbidden: {message}'


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({}, None),
        ({"serviceAccountName": "x"}, "a mirror pod may not reference service accounts"),
        ({"imagePullSecrets": [{"name": "r"}]}, "a mirror pod may not reference secrets"),
    ],
)
async def test_mirror_pods_are_not_changed(spec: Obj, message: str | None) -> None:
    pod = _pod(**spec)
    pod["metadata"]["annotations"] = {"kubernetes.io/config.mirror": "hash"}
    if message is None:
        await _admit(_plugin(), pod)
        assert "serviceAccountName" not in pod["spec"]
        return
    with pytest.raises(StatusError) as refused:
        await _admit(_plugin(), pod)
    assert refused.value.message == f'pods "p" is forbidden: {message}'


@pytest.mark.parametrize(
    ("operation", "subresource"), [("UPDATE", ""), ("CREATE", "binding"), ("DELETE", "")]
)
def test_only_pod_creates_are_handled(operation: Any, subresource: str) -> None:
    assert not _plugin().handles(attributes(operation, "pods", _pod(), subresource=subresource))
