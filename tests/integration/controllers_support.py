"""Helpers for controller integration tests: run controllers in-process, play the kubelet.

There is no kubelet and no scheduler in these tests: the test moves pods through
their phases itself, through the ``status`` subresource, as a kubelet would.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from kubeling.api import errors
from kubeling.api.timestamps import format_time
from kubeling.client import ApiClient
from kubeling.client.resources import EVENTS, NAMESPACES, PODS
from tests.support.controllers import controller_manager, eventually

__all__ = [
    "controller_manager",
    "events_of",
    "fresh_namespace",
    "set_pod_phase",
    "wait_for",
    "wait_for_events",
]

T = TypeVar("T")
Obj = dict[str, Any]


async def fresh_namespace(client: ApiClient) -> str:
    """A new namespace for one test."""
    name = f"t-{uuid.uuid4().hex[:8]}"
    await client.resource(NAMESPACES).create({"metadata": {"name": name}})
    return name


async def wait_for(
    probe: Callable[[], Awaitable[T | None]], *, within: float = 30.0, what: str = ""
) -> T:
    """Poll ``probe`` until it returns something other than None (or fail after ``within`` s)."""
    found = await eventually(
        probe, within=within, what=what or str(probe), accept=lambda value: value is not None
    )
    assert found is not None
    return found


async def set_pod_phase(
    client: ApiClient,
    pod: Obj,
    phase: str,
    *,
    exit_code: int | None = None,
    ready: bool = False,
    conditions: Sequence[Obj] = (),
) -> Obj:
    """Report ``pod`` in ``phase`` as a kubelet would; a finished pod's containers are
    terminated with ``exit_code`` (0 for Succeeded, 1 for Failed by default)."""
    now = format_time(datetime.datetime.now(datetime.UTC))
    status: Obj = {"phase": phase}
    conds = [
        {"type": "Ready", "status": "True" if ready else "False", "lastTransitionTime": now},
        *conditions,
    ]
    status["conditions"] = conds
    if phase in ("Succeeded", "Failed"):
        code = exit_code if exit_code is not None else (0 if phase == "Succeeded" else 1)
        status["containerStatuses"] = [
            {
                "name": c["name"],
                "image": c.get("image", ""),
                "imageID": "",
                "ready": False,
                "restartCount": 0,
                "state": {"terminated": {"exitCode": code, "startedAt": now, "finishedAt": now}},
            }
            for c in pod["spec"]["containers"]
        ]
    meta = pod["metadata"]
    for _ in range(10):
        fresh = await client.resource(PODS).get(meta["name"], namespace=meta["namespace"])
        fresh["status"] = {**(fresh.get("status") or {}), **status}
        try:
            return await client.resource(PODS).update_status(fresh)
        except errors.StatusError as err:
            if not errors.is_conflict(err):
                raise
    raise AssertionError(f"could not update the status of pod {meta['name']}")


async def events_of(client: ApiClient, namespace: str, name: str) -> list[tuple[str, str]]:
    """(reason, message) of the Events about object ``name`` in ``namespace``, once per
    occurrence (an Event seen again is one object with a higher ``count``)."""
    listed = await client.resource(EVENTS).list(
        namespace=namespace, field_selector=f"involvedObject.name={name}"
    )
    return [
        (e.get("reason", ""), e.get("message", ""))
        for e in listed.get("items") or ()
        for _ in range(int(e.get("count") or 1))
    ]


async def wait_for_events(
    client: ApiClient, namespace: str, name: str, *expected: tuple[str, str]
) -> None:
    """Wait until the Events about ``name`` include every (reason, message) of ``expected``
    (a recorder's broadcaster writes them a little after the controller acts)."""

    async def recorded() -> bool | None:
        return set(expected) <= set(await events_of(client, namespace, name)) or None

    await wait_for(recorded, what=f"events {expected} of {name}")
