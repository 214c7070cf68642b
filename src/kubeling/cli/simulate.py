"""``kubeling simulate``: many simulated nodes against an API server, in this one process.

See :mod:`kubeling.kubelet.simulator` for what the nodes do and ``docs/simulate.md`` for the
user guide. This module is the command's shell: the clients (one for the pods, one for the
heartbeats, each shared by every node), the schedule of node failures (``--fail-after``,
``--recover-after``), the signals (SIGUSR1 fails ``--fail-nodes`` of the nodes, SIGUSR2
recovers them, SIGINT/SIGTERM stop), and the line ``simulate: ready nodes=<n>`` on stdout once
every node is registered and running its pods.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from dataclasses import dataclass
from typing import Final

from kubeling.client import ApiClient, ClientConfig
from kubeling.kubelet import USER_AGENT
from kubeling.kubelet.simulator import NodeSimulator, SimulatorOptions

__all__ = ["FailureSchedule", "parse_fraction", "run_simulate"]

log = logging.getLogger(__name__)

#: Requests in flight at once over the shared client (every node's writes queue behind them).
DEFAULT_MAX_REQUESTS_IN_FLIGHT: Final = 64
#: ... and over the heartbeat client (Leases, Node statuses: about 500 a second at 5,000 nodes,
#: each taking a few hundred ms under load: as many in flight as that needs).
HEARTBEAT_REQUESTS_IN_FLIGHT: Final = 512


@dataclass(frozen=True, slots=True)
class FailureSchedule:
    #: Seconds after every node runs until ``--fail-nodes`` of them fail; None: never.
    fail_after: float | None = None
    #: Seconds after the failure until the nodes come back; None: never.
    recover_after: float | None = None


def parse_fraction(text: str) -> float:
    """``10%`` or ``0.1`` → 0.1; ValueError outside 0-100%.

    >>> parse_fraction("10%"), parse_fraction("0.25"), parse_fraction("100%")
    (0.1, 0.25, 1.0)
    """
    value = float(text[:-1]) / 100 if text.endswith("%") else float(text)
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{text!r} is not a fraction between 0 and 100%")
    return value


async def _follow_schedule(simulator: NodeSimulator, schedule: FailureSchedule) -> None:
    if schedule.fail_after is None:
        return
    await simulator.ready.wait()
    await asyncio.sleep(schedule.fail_after)
    simulator.fail()
    if schedule.recover_after is None:
        return
    await asyncio.sleep(schedule.recover_after)
    simulator.recover()


async def run_simulate(
    client_config: ClientConfig,
    options: SimulatorOptions,
    schedule: FailureSchedule = FailureSchedule(),
    *,
    max_requests_in_flight: int = DEFAULT_MAX_REQUESTS_IN_FLIGHT,
) -> int:
    """Run the nodes until SIGINT or SIGTERM."""
    config = client_config.with_user_agent(USER_AGENT)
    async with (
        ApiClient(config, max_concurrent_requests=max_requests_in_flight) as client,
        ApiClient(config, max_concurrent_requests=HEARTBEAT_REQUESTS_IN_FLIGHT) as heartbeats,
    ):
        simulator = NodeSimulator(client, options, heartbeat_client=heartbeats)
        loop = asyncio.get_running_loop()
        main = asyncio.current_task()
        assert main is not None
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, main.cancel)
        loop.add_signal_handler(signal.SIGUSR1, simulator.fail)
        loop.add_signal_handler(signal.SIGUSR2, simulator.recover)

        async def announce() -> None:
            await simulator.ready.wait()
            print(f"simulate: ready nodes={options.nodes - len(simulator.failed)}", flush=True)

        with contextlib.suppress(asyncio.CancelledError):
            async with asyncio.TaskGroup() as group:
                group.create_task(simulator.run(), name="simulator")
                group.create_task(announce(), name="simulate-announce")
                group.create_task(_follow_schedule(simulator, schedule), name="simulate-failures")
        log.info("simulate: stopped; %s", simulator.statistics())
    return 0
