"""discovery.k8s.io/v1: EndpointSlice, the scalable replacement for core/v1 Endpoints.

Field numbers come from ``k8s.io/api/discovery/v1/generated.proto``; note that
``addressType`` is field 4 although it comes first in JSON. Lists are atomic
except ``Endpoint.addresses``, a set. ``EndpointHints`` has only ``forZones``
in 1.32 (``forNodes`` arrived in 1.33). ``deprecatedTopology`` is readable but
silently ignored on write through v1; it is declared so that stored objects
round-trip.
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
    MapOf,
    Object,
    Ref,
)

__all__ = [
    "Endpoint",
    "EndpointConditions",
    "EndpointHints",
    "EndpointPort",
    "EndpointSlice",
    "EndpointSliceList",
    "ForZone",
]

GROUP = "discovery.k8s.io"
VERSION = "v1"

_KINDS = Kinds("io.k8s.api.discovery.v1.", GROUP, VERSION, TYPE_META_TERSE)
_PROTOCOLS = ("SCTP", "TCP", "UDP")

EndpointConditions = Object(
    "io.k8s.api.discovery.v1.EndpointConditions",
    "The current condition of an endpoint.",
    [
        Field("ready", 1, BOOL, "Whether the endpoint is ready to receive traffic; nil: unknown."),
        Field("serving", 2, BOOL, "Like ready, but set regardless of terminating state."),
        Field("terminating", 3, BOOL, "Whether the endpoint is terminating; nil: not."),
    ],
)

ForZone = Object(
    "io.k8s.api.discovery.v1.ForZone",
    "A zone that should consume an endpoint.",
    [Field("name", 1, STRING, "Name of the zone.", required=True)],
)

EndpointHints = Object(
    "io.k8s.api.discovery.v1.EndpointHints",
    "Hints describing how an endpoint should be consumed.",
    [
        Field(
            "forZones",
            1,
            ListOf(ForZone),
            "Zones this endpoint should be consumed by, for topology-aware routing.",
            list_type="atomic",
        ),
    ],
)

Endpoint = Object(
    "io.k8s.api.discovery.v1.Endpoint",
    "A single logical backend implementing a service.",
    [
        Field(
            "addresses",
            1,
            ListOf(STRING),
            "Addresses of this endpoint, interpreted per the slice's addressType.",
            required=True,
            list_type="set",
        ),
        Field("conditions", 2, EndpointConditions, "Current status of the endpoint."),
        Field("hostname", 3, STRING, "Hostname of this endpoint, e.g. for DNS names."),
        Field(
            "targetRef",
            4,
            Ref("io.k8s.api.core.v1.ObjectReference"),
            "The object that represents this endpoint.",
        ),
        Field(
            "deprecatedTopology",
            5,
            MapOf(STRING),
            "v1beta1 topology; ignored on write through v1.",
        ),
        Field("nodeName", 6, STRING, "Name of the Node hosting this endpoint."),
        Field("zone", 7, STRING, "Zone this endpoint exists in."),
        Field("hints", 8, EndpointHints, "How this endpoint should be consumed."),
    ],
)

EndpointPort = Object(
    "io.k8s.api.discovery.v1.EndpointPort",
    "A port used by an EndpointSlice.",
    [
        Field("name", 1, STRING, "Name of this port, unique in the slice; may be empty."),
        Field("protocol", 2, STRING, "IP protocol of this port; defaults to TCP.", enum=_PROTOCOLS),
        Field("port", 3, INT32, "Port number of the endpoint; nil means all ports."),
        Field("appProtocol", 4, STRING, "Application protocol for this port."),
    ],
)

EndpointSlice = _KINDS.kind(
    "EndpointSlice",
    "A subset of the endpoints that implement a service.",
    [
        Field(
            "metadata",
            1,
            Ref("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"),
            "Standard object's metadata.",
        ),
        Field(
            "addressType",
            4,
            STRING,
            "Type of every address in this slice; immutable.",
            required=True,
            enum=("FQDN", "IPv4", "IPv6"),
        ),
        Field(
            "endpoints",
            2,
            ListOf(Endpoint),
            "Unique endpoints in this slice, at most 1000.",
            required=True,
            list_type="atomic",
        ),
        Field(
            "ports",
            3,
            ListOf(EndpointPort),
            "Network ports exposed by each endpoint; empty means none are defined.",
            list_type="atomic",
        ),
    ],
)

EndpointSliceList = _KINDS.kind(
    "EndpointSliceList",
    "A list of EndpointSlices.",
    [
        Field(
            "metadata",
            1,
            Ref("io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta"),
            "Standard list metadata.",
        ),
        Field("items", 2, ListOf(EndpointSlice), "The EndpointSlices.", required=True),
    ],
)
