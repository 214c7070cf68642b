"""The lifecycle handler runner's results and messages, over a fake runtime."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from kubeling.kubelet.lifecycle_handlers import HandlerRunner
from kubeling.kubelet.runtime.interface import ExecResult, PodSandboxStatus, RuntimeServiceError
from tests.unit.kubelet.builders import pod

Obj = dict[str, Any]


class ExecRuntime:
    """Answers exec with ``result`` (or raises ``error``); has no sandboxes."""

    def __init__(self, result: ExecResult | None = None, error: str = "") -> None:
        self.result = result or ExecResult(0, b"", b"")
        self.error = error
        self.calls: list[tuple[str, list[str]]] = []

    async def exec_sync(
        self, container_id: str, cmd: Sequence[str], *, timeout_seconds: float = 0
    ) -> ExecResult:
        self.calls.append((container_id, list(cmd)))
        if self.error:
            raise RuntimeServiceError(self.error)
        return self.result

    async def list_pod_sandboxes(self, *, pod_uid: str = "") -> list[PodSandboxStatus]:
        return []


def runner(runtime: ExecRuntime) -> HandlerRunner:
    return HandlerRunner(runtime, None)  # type: ignore[arg-type]


WHERE = 'for Container "web" in Pod "p_ns(uid-1)"'


@pytest.mark.parametrize(
    ("runtime", "expected"),
    [
        (ExecRuntime(ExecResult(0, b"ok", b"")), ""),
        (
            ExecRuntime(ExecResult(3, b"out\n", b"err\n")),
            f"Exec lifecycle hook ([sh -c exit 3]) {WHERE} failed - error: command "
            "'sh -c exit 3' exited with 3: err\n, message: \"out\\nerr\\n\"",
        ),
        (
            ExecRuntime(error="container 'x' is not running"),
            f"Exec lifecycle hook ([sh -c exit 3]) {WHERE} failed - error: container 'x' is "
            'not running, message: ""',
        ),
    ],
)
async def test_exec_handlers(runtime: ExecRuntime, expected: str) -> None:
    handler = {"exec": {"command": ["sh", "-c", "exit 3"]}}
    body = pod("web")
    container = body["spec"]["containers"][0]
    message = await runner(runtime).run(body, container, "process://c1", handler)
    assert message == expected
    assert runtime.calls == [("c1", ["sh", "-c", "exit 3"])]


async def test_other_handlers() -> None:
    body = pod("web")
    container = body["spec"]["containers"][0]
    hooks = runner(ExecRuntime())
    assert await hooks.run(body, container, "process://c1", {"sleep": {"seconds": 0}}) == ""
    no_ip = await hooks.run(body, container, "process://c1", {"httpGet": {"port": 80}})
    assert no_ip == (
        f"HTTP lifecycle hook () {WHERE} failed - error: failed to find networking "
        "container: no IP for the pod"
    )
    bad_port = await hooks.run(
        body, container, "process://c1", {"httpGet": {"host": "h", "port": "www", "path": "/x"}}
    )
    assert bad_port == (
        f'HTTP lifecycle hook (/x) {WHERE} failed - error: strconv.Atoi: parsing "www": '
        "invalid syntax"
    )
    assert (await hooks.run(body, container, "process://c1", {})).startswith(
        "Cannot run handler: invalid handler: "
    )
    container["lifecycle"] = {"preStop": {"sleep": {"seconds": 0}}}
    assert await hooks.pre_stop(body, container, "process://c1", 5) == ""
