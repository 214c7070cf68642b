"""Fixtures for the integration tests: a real server and a client to it, one etcd member."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from kubeling.client import ApiClient, load_client_config
from tests.support.cluster import RunningServer, running_server
from tests.support.etcd import EtcdMember, start_cluster


@pytest.fixture(scope="module")
def kubeling_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """One ``kubeling server`` for the test module."""
    with running_server(tmp_path_factory.mktemp("server")) as server:
        yield server


@pytest.fixture
async def api_client(kubeling_server: RunningServer) -> AsyncIterator[ApiClient]:
    """An ApiClient from the admin kubeconfig the server wrote."""
    config = load_client_config(kubeling_server.kubeconfig).with_user_agent("client-tests/0")
    async with ApiClient(config) as client:
        yield client


@pytest.fixture
def member(tmp_path: Path) -> Iterator[EtcdMember]:
    """One real etcd member, started for the test in its temporary directory."""
    [started] = start_cluster(tmp_path)
    try:
        yield started
    finally:
        started.stop()
