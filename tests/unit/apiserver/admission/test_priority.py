"""Priority: class names resolve to priorities; one global default class."""

from __future__ import annotations

import pytest

from kubeling.api.errors import StatusError
from kubeling.apiserver.admission.lookup import StaticReader
from kubeling.apiserver.admission.priority import SYSTEM_PRIORITY_CLASSES, Priority
from tests.unit.apiserver.admission.support import Obj, attributes


def _class(name: str, value: int, *, default: bool = False, policy: str = "Never") -> Obj:
    return {
        "metadata": {"name": name},
        "value": value,
        "globalDefault": default,
        "preemptionPolicy": policy,
    }


def _pod(**spec: object) -> Obj:
    return {"metadata": {"name": "p", "namespace": "ns"}, "spec": {"containers": [], **spec}}


CLASSES = [*SYSTEM_PRIORITY_CLASSES, _class("high", 1000)]


@pytest.mark.parametrize(
    ("spec", "classes", "expected"),
    [
        ({"priorityClassName": "high"}, CLASSES, ("high", 1000, "Never")),
        (
            {"priorityClassName": "system-node-critical"},
            [{**c, "preemptionPolicy": "PreemptLowerPriority"} for c in SYSTEM_PRIORITY_CLASSES],
            ("system-node-critical", 2000001000, "PreemptLowerPriority"),
        ),
        ({}, CLASSES, (None, 0, "PreemptLowerPriority")),  # no default class
        (
            {},
            [*CLASSES, _class("d1", 50, default=True), _class("d2", 10, default=True)],
            ("d2", 10, "Never"),  # several defaults: the lowest value
        ),
        ({"priorityClassName": "high", "priority": 1000}, CLASSES, ("high", 1000, "Never")),
    ],
)
async def test_pods_get_their_class_priority(
    spec: Obj, classes: list[Obj], expected: tuple[str | None, int, str]
) -> None:
    pod = _pod(**spec)
    plugin = Priority(StaticReader(classes))
    attrs = attributes("CREATE", "pods", pod)
    assert plugin.handles(attrs)
    await plugin.admit(attrs)
    got = pod["spec"]
    assert (got.get("priorityClassName"), got["priority"], got["preemptionPolicy"]) == expected


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"priorityClassName": "nope"}, "no PriorityClass with name nope was found"),
        (
            {"priorityClassName": "high", "priority": 5},
            "the integer value of priority (5) must not be provided in pod spec; priority "
            "admission controller computed 1000 from the given PriorityClass name",
        ),
        (
            {"priorityClassName": "high", "preemptionPolicy": "PreemptLowerPriority"},
            "the string value of PreemptionPolicy (PreemptLowerPriority) must not be provided "
            "in pod spec; priority admission controller computed Never from the given "
            "PriorityClass name",
        ),
    ],
)
async def test_refusals(spec: Obj, message: str) -> None:
    with pytest.raises(StatusError) as refused:
        await Priority(StaticReader(CLASSES)).admit(attributes("CREATE", "pods", _pod(**spec)))
    assert refused.value.code == 403
    assert refused.value.message == f'pods "p" is forbidden: {message}'


async def test_an_update_keeps_the_priority_set_at_create() -> None:
    old = _pod(priority=1000, preemptionPolicy="Never")
    new = _pod()
    await Priority(StaticReader(CLASSES)).admit(attributes("UPDATE", "pods", new, old))
    assert (new["spec"]["priority"], new["spec"]["preemptionPolicy"]) == (1000, "Never")


@pytest.mark.parametrize(
    ("operation", "name", "refused"),
    [
        ("CREATE", "second", True),
        ("UPDATE", "second", True),  # marking another class default
        ("UPDATE", "first", False),  # the default itself, updated
    ],
)
async def test_one_global_default(operation: str, name: str, refused: bool) -> None:
    plugin = Priority(StaticReader([_class("first", 1, default=True)]))
    attrs = attributes(
        operation,  # type: ignore[arg-type]
        "priorityclasses",
        _class(name, 1, default=True),
        namespace="",
    )
    assert plugin.handles(attrs)
    if not refused:
        await plugin.validate(attrs)
        return
    with pytest.raises(StatusError) as error:
        await plugin.validate(attrs)
    assert error.value.message == (
        f'priorityclasses.scheduling.k8s.io "{name}" is forbidden: PriorityClass first is '
        "already marked as default. Only one default can exist"
    )
