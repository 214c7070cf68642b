"""scheduling.k8s.io/v1: PriorityClass, the name-to-priority mapping pods refer to.

Field numbers come from ``k8s.io/api/scheduling/v1/generated.proto``.
``value`` is required in 1.32 (later releases relax the marker, not the
meaning): the Priority admission plugin copies it into ``pod.spec.priority``.
"""

from __future__ import annotations

from kubeling.api.schema import BOOL, INT32, STRING, Field, GroupVersionKind, ListOf, Object, Ref

__all__ = ["PriorityClass", "PriorityClassList"]

GROUP = "scheduling.k8s.io"
VERSION = "v1"

_API_VERSION = Field("apiVersion", 0, STRING, "Versioned schema of this object.")
_KIND = Field("kind", 0, STRING, "REST resource this object represents, in CamelCase.")

PriorityClass = Object(
    "io.k8s.api.scheduling.v1.PriorityClass",
    "Maps a priority class name to the integer priority pods receive.",
    [
        _API_VERSION,
        _KIND,
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
    gvk=GroupVersionKind(GROUP, VERSION, "PriorityClass"),
)

PriorityClassList = Object(
    "io.k8s.api.scheduling.v1.PriorityClassList",
    "A list of PriorityClasses.",
    [
        _API_VERSION,
        _KIND,
        Field(
            "metadata",
            1,
            Ref("io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta"),
            "Standard list metadata.",
        ),
        Field("items", 2, ListOf(PriorityClass), "The PriorityClasses.", required=True),
    ],
    gvk=GroupVersionKind(GROUP, VERSION, "PriorityClassList"),
)
