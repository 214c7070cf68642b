"""The controller loop shown in docs/client.md, run as written against a real server.

The example is read out of the document, so the document cannot drift from working code:
a labelled namespace gets its ConfigMap, a deleted one comes back, and an Event says so.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

from kubeling.client import ApiClient
from kubeling.client.resources import CONFIGMAPS, EVENTS, NAMESPACES
from tests.support.waiting import eventually

DOC = Path(__file__).resolve().parents[2] / "docs" / "client.md"


def _example() -> dict[str, Any]:
    """The python block of the "A controller loop" section, executed as a module."""
    section = DOC.read_text().split("## A controller loop", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert match is not None, "docs/client.md lost its controller example"
    namespace: dict[str, Any] = {"__name__": "client_doc_example"}
    exec(compile(match.group(1), str(DOC), "exec"), namespace)
    return namespace


async def test_the_documented_controller_works(api_client: ApiClient) -> None:
    """Creates the greeting in a labelled namespace only, re-creates it after a delete."""
    run = _example()["run_greeting_controller"]
    namespaces, configmaps = api_client.resource(NAMESPACES), api_client.resource(CONFIGMAPS)
    await namespaces.create({"metadata": {"name": "greet-me", "labels": {"greet": "yes"}}})
    await namespaces.create({"metadata": {"name": "leave-me"}})

    async def greeting(namespace: str) -> bool:
        listed = await configmaps.list(namespace=namespace, field_selector="metadata.name=greeting")
        return bool(listed["items"])

    controller = asyncio.create_task(run(api_client))
    try:
        await eventually(lambda: greeting("greet-me"), within=30, what="the greeting")
        await configmaps.delete("greeting", namespace="greet-me")
        await eventually(lambda: greeting("greet-me"), within=30, what="the greeting re-created")

        async def greeted_events() -> list[dict[str, Any]]:
            listed = await api_client.resource(EVENTS).list(
                namespace="default", field_selector="reason=Greeted"
            )
            return [e for e in listed["items"] if e["involvedObject"]["name"] == "greet-me"]

        events = await eventually(greeted_events, within=30, what="a Greeted event")
        assert events[0]["source"]["component"] == "greeting-controller"
        assert not await greeting("leave-me")
    finally:
        controller.cancel()
        await asyncio.gather(controller, return_exceptions=True)
