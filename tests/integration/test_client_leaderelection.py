"""Leader election on a real Lease: two candidates, exactly one leads, the other takes over
as soon as the first releases. Timings are short (lease 4 s, renew 3 s, retry 0.25 s)."""

from __future__ import annotations

import asyncio
import re

from kubeling.client import ApiClient, LeaderElectionConfig, LeaderElector
from kubeling.client.resources import LEASES
from tests.support.cluster import RunningServer

MICRO_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")


class Candidate:
    def __init__(self, client: ApiClient, identity: str) -> None:
        self.leading = asyncio.Event()
        self.stopped = asyncio.Event()
        self.elector = LeaderElector(
            client.resource(LEASES),
            LeaderElectionConfig(
                namespace="kube-system",
                name="test-controller",
                identity=identity,
                lease_duration=4.0,
                renew_deadline=3.0,
                retry_period=0.25,
            ),
            on_started_leading=self._lead,
            on_stopped_leading=self.stopped.set,
        )
        self.task = asyncio.create_task(self.elector.run())

    async def _lead(self) -> None:
        self.leading.set()
        await asyncio.Event().wait()

    async def stop(self) -> None:
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)


async def test_one_leader_and_a_prompt_takeover_after_release(
    api_client: ApiClient, kubeling_server: RunningServer
) -> None:
    """a leads, b waits; a stops and releases; b takes over with leaseTransitions 1."""
    leases = api_client.resource(LEASES)
    a = Candidate(api_client, "candidate-a")
    await asyncio.wait_for(a.leading.wait(), 30)
    b = Candidate(api_client, "candidate-b")
    try:
        # b reads a's Lease, sees it renewed, and keeps waiting: a's Lease does not expire.
        for _ in range(8):
            await asyncio.sleep(0.25)
            assert not b.leading.is_set()
        lease = await leases.get("test-controller", namespace="kube-system")
        spec = lease["spec"]
        assert spec["holderIdentity"] == "candidate-a"
        assert spec["leaseDurationSeconds"] == 4
        assert spec["leaseTransitions"] == 0
        assert MICRO_TIME.fullmatch(spec["acquireTime"])
        assert MICRO_TIME.fullmatch(spec["renewTime"])
        # kubectl reads the same Lease (in a thread: the candidates keep renewing meanwhile).
        shown = await asyncio.to_thread(
            kubeling_server.kubectl_json, "get", "lease", "-n", "kube-system", "test-controller"
        )
        shown_spec = shown["spec"]
        assert isinstance(shown_spec, dict)
        assert shown_spec["holderIdentity"] == "candidate-a"

        await a.stop()
        assert a.stopped.is_set()
        released = await leases.get("test-controller", namespace="kube-system")
        assert released["spec"]["holderIdentity"] in ("", "candidate-b")

        await asyncio.wait_for(b.leading.wait(), 30)
        taken = (await leases.get("test-controller", namespace="kube-system"))["spec"]
        assert (taken["holderIdentity"], taken["leaseTransitions"]) == ("candidate-b", 1)
        assert taken["acquireTime"] > spec["acquireTime"]
    finally:
        await a.stop()
        await b.stop()
