"""Exec probes: run a command in the container through the runtime (``pkg/probe/exec``).

Exit code 0 is success, any other a failure whose output (stdout then stderr, at most 10 KiB)
is the message; a command still running after ``timeoutSeconds`` is killed and fails with
``command "..." timed out`` (``ExecProbeTimeout``, on since 1.20).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from kubeling.kubelet.prober.result import ProbeError, ProbeResult
from kubeling.kubelet.runtime.interface import ExecTimeoutError, RuntimeService, RuntimeServiceError

__all__ = ["MAX_OUTPUT", "exec_probe"]

#: How much of an exec probe's output is kept (``maxReadLength``).
MAX_OUTPUT: Final = 10 * 1024


async def exec_probe(
    runtime: RuntimeService, container_id: str, command: Sequence[str], timeout_seconds: float
) -> tuple[ProbeResult, str]:
    """Run ``command`` in the runtime's container ``container_id`` (without its scheme)."""
    try:
        result = await runtime.exec_sync(
            container_id, list(command), timeout_seconds=timeout_seconds
        )
    except ExecTimeoutError as err:
        return ProbeResult.FAILURE, str(err)
    except RuntimeServiceError as err:
        raise ProbeError(str(err)) from err
    output = (result.stdout + result.stderr)[:MAX_OUTPUT].decode(errors="replace")
    if result.exit_code == 0:
        return ProbeResult.SUCCESS, output
    return ProbeResult.FAILURE, output
