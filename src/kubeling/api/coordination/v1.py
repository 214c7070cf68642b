"""coordination.k8s.io/v1: Lease, the primitive behind leader election and node heartbeats.

Field numbers come from ``k8s.io/api/coordination/v1/generated.proto``.
``acquireTime`` and ``renewTime`` are MicroTime: leader election compares
renewals at sub-second precision, so they keep microseconds on the wire where
ordinary timestamps are cut to seconds. ``strategy`` and ``preferredHolder``
belong to coordinated leader election (alpha in 1.32) and are declared so
that they round-trip.
"""

from __future__ import annotations

from kubeling.api.schema import (
    INT32,
    MICRO_TIME,
    STRING,
    TYPE_META_TERSE,
    Field,
    Kinds,
    ListOf,
    Object,
    Ref,
)

__all__ = ["Lease", "LeaseList", "LeaseSpec"]

GROUP = "coordination.k8s.io"
VERSION = "v1"

_KINDS = Kinds("io.k8s.api.coordination.v1.", GROUP, VERSION, TYPE_META_TERSE)

LeaseSpec = Object(
    "io.k8s.api.coordination.v1.LeaseSpec",
    "The specification of a Lease.",
    [
        Field("holderIdentity", 1, STRING, "Identity of the current holder of the lease."),
        Field(
            "leaseDurationSeconds",
            2,
            INT32,
            "How long candidates wait after the last renewal before force-acquiring.",
        ),
        Field("acquireTime", 3, MICRO_TIME, "When the current lease was acquired."),
        Field("renewTime", 4, MICRO_TIME, "When the current holder last renewed the lease."),
        Field("leaseTransitions", 5, INT32, "Number of transitions between holders."),
        Field("strategy", 6, STRING, "Strategy for picking the leader in coordinated election."),
        Field("preferredHolder", 7, STRING, "A better holder the current one should yield to."),
    ],
)

Lease = _KINDS.kind(
    "Lease",
    "A lease: who holds it and until when.",
    [
        Field(
            "metadata",
            1,
            Ref("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"),
            "Standard object's metadata.",
        ),
        Field("spec", 2, LeaseSpec, "The specification of the Lease."),
    ],
)

LeaseList = _KINDS.kind(
    "LeaseList",
    "A list of Leases.",
    [
        Field(
            "metadata",
            1,
            Ref("io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta"),
            "Standard list metadata.",
        ),
        Field("items", 2, ListOf(Lease), "The Leases.", required=True),
    ],
)
