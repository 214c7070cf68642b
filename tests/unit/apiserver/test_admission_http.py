"""Subresources over HTTP are admitted as what they write: a Binding, an Eviction, and the
CONNECT of pods/exec with its PodExecOptions (a refusal stops it before any kubelet is asked)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from kubeling.api import errors
from kubeling.api.authentication.user import UserInfo
from kubeling.apiserver.admission.chain import AdmissionChain
from kubeling.apiserver.admission.interfaces import CONNECT, AdmissionPlugin, Attributes
from kubeling.apiserver.app import ApiServerApp
from kubeling.apiserver.kubelet_proxy import KubeletProxy
from kubeling.apiserver.registry.builtin import builtin_resources
from kubeling.apiserver.registry.registry import Registry
from kubeling.apiserver.rest.options import WriteOptions
from kubeling.storage.memory import MemoryStore

Obj = dict[str, Any]


class Recorder(AdmissionPlugin):
    """Records what pods' subresources admit; refuses every CONNECT."""

    name = "Recorder"

    def __init__(self) -> None:
        self.seen: list[tuple[str, str, str, Obj | None]] = []

    def handles(self, attributes: Attributes) -> bool:
        return attributes.resource == "pods" and bool(attributes.subresource)

    async def validate(self, attributes: Attributes) -> None:
        self.seen.append(
            (attributes.operation, attributes.subresource, attributes.kind, attributes.obj)
        )
        if attributes.operation == CONNECT:
            raise errors.forbidden("pods/exec", attributes.name, "no exec here")


@pytest.fixture
async def served() -> AsyncIterator[tuple[Recorder, Registry, TestServer]]:
    recorder = Recorder()
    registry = Registry(
        MemoryStore(), admission=AdmissionChain([recorder], user=lambda: UserInfo("u"))
    )
    for resource in builtin_resources():
        registry.add(resource)
    pods, nodes = registry.lookup("", "v1", "pods"), registry.lookup("", "v1", "nodes")
    assert pods is not None
    assert nodes is not None
    await pods.create(
        "default",
        {"metadata": {"name": "p"}, "spec": {"containers": [{"name": "c", "image": "i"}]}},
        WriteOptions(),
    )
    proxy = KubeletProxy(pods, nodes, ssl_context=None)
    server = TestServer(ApiServerApp(registry, kubelet_proxy=proxy).app)
    await server.start_server()
    try:
        yield recorder, registry, server
    finally:
        await server.close()
        await proxy.close()


async def test_binding_and_eviction_are_admitted_as_themselves(
    served: tuple[Recorder, Registry, TestServer],
) -> None:
    recorder, _, server = served
    base = "/api/v1/namespaces/default/pods/p"
    binding = {
        "apiVersion": "v1",
        "kind": "Binding",
        "metadata": {"name": "p"},
        "target": {"name": "n1"},
    }
    eviction = {"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": "p"}}
    async with aiohttp.ClientSession() as session:
        async with session.post(server.make_url(base + "/binding"), json=binding) as bound:
            assert bound.status == 201
        async with session.post(server.make_url(base + "/eviction"), json=eviction) as evicted:
            assert evicted.status == 201
    assert [entry[:3] for entry in recorder.seen] == [
        ("CREATE", "binding", "Binding"),
        ("CREATE", "eviction", "Eviction"),  # the pod's delete behind it is not admitted
    ]


async def test_exec_is_a_connect_of_its_options(
    served: tuple[Recorder, Registry, TestServer],
) -> None:
    recorder, _, server = served
    url = server.make_url(
        "/api/v1/namespaces/default/pods/p/exec?command=ls&command=-l&stdout=true&container=c"
    )
    async with aiohttp.ClientSession() as session, session.post(url) as response:
        assert response.status == 403
        assert (await response.json())["message"] == ('pods/exec "p" is forbidden: no exec here')
    assert recorder.seen == [
        (
            "CONNECT",
            "exec",
            "PodExecOptions",
            {
                "kind": "PodExecOptions",
                "apiVersion": "v1",
                "stdin": False,
                "stdout": True,
                "stderr": False,
                "tty": False,
                "container": "c",
                "command": ["ls", "-l"],
            },
        )
    ]
