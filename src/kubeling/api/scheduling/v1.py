"""scheduling.k8s.io/v1: PriorityClass, the name-to-priority mapping pods refer to.

Field numbers come from ``k8s.io/api/scheduling/v1/generated.proto``.
``value`` is required in 1.32 (later releases relax the marker, not the
meaning): the Priority admission plugin copies it into ``pod.spec.priority``.
"""

from __future__ import annotations

from kubeling.api.schema import (
    BOOL,
    INT32,
    STRING,
    TYPE_META_TERSE,
    Field,
    Kinds,
    ListOf,
    Ref,
)

__all__ = ["PriorityClass", "PriorityClassList"]

GROUP = "scheduling.k8s.io"
VERSION = "v1"

_KINDS = Kinds("io.k8s.api.scheduling.v1.", GROUP, VERSION, TYPE_META_TERSE)

PriorityClass = _KINDS.kind(
    "PriorityClass",
    "Maps a priority class name to the integer priority pods receive.",
    [
        Field(
            "metadata",
            1,
            Ref("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"),
            "Standard object's metadata.",
        ),
        Field("value", 2, INT32, "The priority pods of this class receive.", required=True),
        Field(
            "globalDefault",
            3,
            BOOL,
            "Whether this is the default for pods without a priority class.",
        ),
        Field("description", 4, STRING, "When this priority class should be used."),
        Field(
            "preemptionPolicy",
            5,
            STRING,
            "Policy for preempting lower-priority pods; defaults to PreemptLowerPriority.",
            enum=("Never", "PreemptLowerPriority"),
        ),
    ],
)

PriorityClassList = _KINDS.kind(
    "PriorityClassList",
    "A list of PriorityClasses.",
    [
        Field(
            "metadata",
            1,
            Ref("io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta"),
            "Standard list metadata.",
        ),
        Field("items", 2, ListOf(PriorityClass), "The PriorityClasses.", required=True),
    ],
)
