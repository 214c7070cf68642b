"""apimachinery meta/v1: object and list metadata, selectors, Status, options, discovery, Table.

Declared from Kubernetes 1.32: field sets, required lists and the ``x-kubernetes-*``
extensions follow the 1.32 OpenAPI document; protobuf field numbers follow
``staging/src/k8s.io/apimachinery/pkg/apis/meta/v1/generated.proto`` (equivalently the
``protobuf:"..."`` struct tags of ``types.go``). Fields with proto number 0 are not in the
protobuf message:

- ``apiVersion`` and ``kind`` (Go's inlined ``TypeMeta``) travel in the protobuf envelope
  (``runtime.Unknown``), never inside the message;
- Table, TableColumnDefinition, TableRow and TableRowCondition are ``+protobuf=false`` in Go:
  Kubernetes only ever serves tables as JSON;
- ``APIResource.verbs`` is, in protobuf, a nested ``Verbs {repeated string items = 1}``
  message at field 4, which a flat ``ListOf(STRING)`` cannot describe. Discovery documents
  are served as JSON only, so the field is declared without a number rather than with one
  that would mis-encode.

``WatchEvent`` has no apiVersion/kind fields: its 1.32 schema has none (a watch stream
line is ``{"type": ..., "object": ...}``). ``+structType=atomic`` on LabelSelector and
OwnerReference has no place in ``schema.Object`` yet and is not recorded.

Several kinds here belong to every group version at once in Kubernetes (``Status``,
``DeleteOptions``, ``WatchEvent`` are "unversioned" and also registered in each group);
``gvk`` records the one the 1.32 OpenAPI document lists first, and ``meta.k8s.io/v1`` for
the kinds that only that group version registers (Table, PartialObjectMetadata, options).
"""

from __future__ import annotations

from kubeling.api.schema import (
    BOOL,
    FIELDS_V1,
    INT32,
    INT64,
    JSON,
    RAW_EXTENSION,
    STRING,
    TIME,
    TYPE_META_GO,
    Field,
    GroupVersionKind,
    Kinds,
    ListOf,
    MapOf,
    Object,
    list_kind,
)

__all__ = [
    "APIGroup",
    "APIGroupList",
    "APIResource",
    "APIResourceList",
    "APIVersions",
    "Condition",
    "CreateOptions",
    "DeleteOptions",
    "FieldSelectorRequirement",
    "GetOptions",
    "GroupVersionForDiscovery",
    "LabelSelector",
    "LabelSelectorRequirement",
    "ListMeta",
    "ListOptions",
    "ManagedFieldsEntry",
    "ObjectMeta",
    "OwnerReference",
    "PartialObjectMetadata",
    "PartialObjectMetadataList",
    "PatchOptions",
    "Preconditions",
    "ServerAddressByClientCIDR",
    "Status",
    "StatusCause",
    "StatusDetails",
    "Table",
    "TableColumnDefinition",
    "TableOptions",
    "TableRow",
    "TableRowCondition",
    "UpdateOptions",
    "WatchEvent",
]

_PACKAGE = "io.k8s.apimachinery.pkg.apis.meta.v1."
_KINDS = Kinds(_PACKAGE, "", "v1", TYPE_META_GO)
_META_KINDS = Kinds(_PACKAGE, "meta.k8s.io", "v1", TYPE_META_GO)


# The write options every mutating request carries, each at its own protobuf number.


def _dry_run(proto: int) -> Field:
    return Field(
        "dryRun",
        proto,
        ListOf(STRING),
        "When present, indicates that modifications should not be persisted.",
        list_type="atomic",
    )


def _field_manager(proto: int) -> Field:
    return Field(
        "fieldManager",
        proto,
        STRING,
        "FieldManager is a name associated with the actor or entity that is making these changes.",
    )


def _field_validation(proto: int) -> Field:
    return Field(
        "fieldValidation",
        proto,
        STRING,
        "FieldValidation instructs the server on how to handle objects in the request "
        "containing unknown or duplicate fields.",
        enum=("Ignore", "Strict", "Warn"),
    )


ManagedFieldsEntry = Object(
    "io.k8s.apimachinery.pkg.apis.meta.v1.ManagedFieldsEntry",
    "ManagedFieldsEntry is a workflow-id, a FieldSet and the group version of the resource that "
    "the fieldset applies to.",
    [
        Field(
            "manager", 1, STRING, "Manager is an identifier of the workflow managing these fields."
        ),
        Field(
            "operation",
            2,
            STRING,
            "Operation is the type of operation which lead to this ManagedFieldsEntry being "
            "created.",
        ),
        Field(
            "apiVersion",
            3,
            STRING,
            "APIVersion defines the version of this resource that this field set applies to.",
        ),
        Field("time", 4, TIME, "Time is the timestamp of when the ManagedFields entry was added."),
        Field(
            "fieldsType",
            6,
            STRING,
            "FieldsType is the discriminator for the different fields format and version.",
        ),
        Field(
            "fieldsV1",
            7,
            FIELDS_V1,
            'FieldsV1 holds the first JSON version format as described in the "FieldsV1" type.',
        ),
        Field(
            "subresource",
            8,
            STRING,
            "Subresource is the name of the subresource used to update that object, or empty "
            "string if the object was updated through the main resource.",
        ),
    ],
)

OwnerReference = Object(
    "io.k8s.apimachinery.pkg.apis.meta.v1.OwnerReference",
    "OwnerReference contains enough information to let you identify an owning object.",
    [
        Field("apiVersion", 5, STRING, "API version of the referent.", required=True),
        Field("kind", 1, STRING, "Kind of the referent.", required=True),
        Field("name", 3, STRING, "Name of the referent.", required=True),
        Field("uid", 4, STRING, "UID of the referent.", required=True),
        Field("controller", 6, BOOL, "If true, this reference points to the managing controller."),
        Field(
            "blockOwnerDeletion",
            7,
            BOOL,
            'If true, and the owner has the "foregroundDeletion" finalizer, the owner cannot be '
            "deleted until this reference is removed.",
        ),
    ],
    atomic=True,
)

ObjectMeta = Object(
    "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta",
    "ObjectMeta is metadata that all persisted resources must have, which includes all objects "
    "users must create.",
    [
        Field("name", 1, STRING, "Name must be unique within a namespace."),
        Field(
            "generateName",
            2,
            STRING,
            "GenerateName is an optional prefix, used by the server, to generate a unique name "
            "ONLY IF the Name field has not been provided.",
        ),
        Field(
            "namespace",
            3,
            STRING,
            "Namespace defines the space within which each name must be unique.",
        ),
        Field(
            "selfLink",
            4,
            STRING,
            "Deprecated: selfLink is a legacy read-only field that is no longer populated by the "
            "system.",
        ),
        Field("uid", 5, STRING, "UID is the unique in time and space value for this object."),
        Field(
            "resourceVersion",
            6,
            STRING,
            "An opaque value that represents the internal version of this object that can be used "
            "by clients to determine when objects have changed.",
        ),
        Field(
            "generation",
            7,
            INT64,
            "A sequence number representing a specific generation of the desired state.",
        ),
        Field(
            "creationTimestamp",
            8,
            TIME,
            "CreationTimestamp is a timestamp representing the server time when this object was "
            "created.",
        ),
        Field(
            "deletionTimestamp",
            9,
            TIME,
            "DeletionTimestamp is RFC 3339 date and time at which this resource will be deleted.",
        ),
        Field(
            "deletionGracePeriodSeconds",
            10,
            INT64,
            "Number of seconds allowed for this object to gracefully terminate before it will be "
            "removed from the system.",
        ),
        Field(
            "labels",
            11,
            MapOf(STRING),
            "Map of string keys and values that can be used to organize and categorize (scope and "
            "select) objects.",
        ),
        Field(
            "annotations",
            12,
            MapOf(STRING),
            "Annotations is an unstructured key value map stored with a resource that may be set "
            "by external tools to store and retrieve arbitrary metadata.",
        ),
        Field(
            "ownerReferences",
            13,
            ListOf(OwnerReference),
            "List of objects depended by this object.",
            patch_strategy="merge",
            patch_merge_key="uid",
            list_type="map",
            list_map_keys=("uid",),
        ),
        Field(
            "finalizers",
            14,
            ListOf(STRING),
            "Must be empty before the object is deleted from the registry.",
            patch_strategy="merge",
            list_type="set",
        ),
        Field(
            "managedFields",
            17,
            ListOf(ManagedFieldsEntry),
            "ManagedFields maps workflow-id and version to the set of fields that are managed by "
            "that workflow.",
            list_type="atomic",
        ),
    ],
)

ListMeta = Object(
    "io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta",
    "ListMeta describes metadata that synthetic resources must have, including lists and various "
    "status objects.",
    [
        Field(
            "selfLink",
            1,
            STRING,
            "Deprecated: selfLink is a legacy read-only field that is no longer populated by the "
            "system.",
        ),
        Field(
            "resourceVersion",
            2,
            STRING,
            "String that identifies the server's internal version of this object that can be used "
            "by clients to determine when objects have changed.",
        ),
        Field(
            "continue",
            3,
            STRING,
            "Continue may be set if the user set a limit on the number of items returned, and "
            "indicates that the server has more data available.",
        ),
        Field(
            "remainingItemCount",
            4,
            INT64,
            "RemainingItemCount is the number of subsequent items in the list which are not "
            "included in this list response.",
        ),
    ],
)

LabelSelectorRequirement = Object(
    "io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelectorRequirement",
    "A label selector requirement is a selector that contains values, a key, and an operator that "
    "relates the key and values.",
    [
        Field(
            "key", 1, STRING, "Key is the label key that the selector applies to.", required=True
        ),
        Field(
            "operator",
            2,
            STRING,
            "Operator represents a key's relationship to a set of values.",
            required=True,
        ),
        Field(
            "values", 3, ListOf(STRING), "Values is an array of string values.", list_type="atomic"
        ),
    ],
)

LabelSelector = Object(
    "io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector",
    "A label selector is a label query over a set of resources.",
    [
        Field("matchLabels", 1, MapOf(STRING), "MatchLabels is a map of {key,value} pairs."),
        Field(
            "matchExpressions",
            2,
            ListOf(LabelSelectorRequirement),
            "MatchExpressions is a list of label selector requirements.",
            list_type="atomic",
        ),
    ],
    atomic=True,
)

FieldSelectorRequirement = Object(
    "io.k8s.apimachinery.pkg.apis.meta.v1.FieldSelectorRequirement",
    "FieldSelectorRequirement is a selector that contains values, a key, and an operator that "
    "relates the key and values.",
    [
        Field(
            "key",
            1,
            STRING,
            "Key is the field selector key that the requirement applies to.",
            required=True,
        ),
        Field(
            "operator",
            2,
            STRING,
            "Operator represents a key's relationship to a set of values.",
            required=True,
        ),
        Field(
            "values", 3, ListOf(STRING), "Values is an array of string values.", list_type="atomic"
        ),
    ],
)

Condition = Object(
    "io.k8s.apimachinery.pkg.apis.meta.v1.Condition",
    "Condition contains details for one aspect of the current state of this API Resource.",
    [
        Field(
            "type",
            1,
            STRING,
            "Type of condition in CamelCase or in foo.example.com/CamelCase.",
            required=True,
        ),
        Field(
            "status",
            2,
            STRING,
            "Status of the condition, one of True, False, Unknown.",
            required=True,
        ),
        Field(
            "observedGeneration",
            3,
            INT64,
            "ObservedGeneration represents the .metadata.generation that the condition was set "
            "based upon.",
        ),
        Field(
            "lastTransitionTime",
            4,
            TIME,
            "LastTransitionTime is the last time the condition transitioned from one status to "
            "another.",
            required=True,
        ),
        Field(
            "reason",
            5,
            STRING,
            "Reason contains a programmatic identifier indicating the reason for the condition's "
            "last transition.",
            required=True,
        ),
        Field(
            "message",
            6,
            STRING,
            "Message is a human readable message indicating details about the transition.",
            required=True,
        ),
    ],
)

Preconditions = Object(
    "io.k8s.apimachinery.pkg.apis.meta.v1.Preconditions",
    "Preconditions must be fulfilled before an operation (update, delete, etc.) is carried out.",
    [
        Field("uid", 1, STRING, "Specifies the target UID."),
        Field("resourceVersion", 2, STRING, "Specifies the target ResourceVersion."),
    ],
)

DeleteOptions = _KINDS.kind(
    "DeleteOptions",
    "DeleteOptions may be provided when deleting an API object.",
    [
        Field(
            "gracePeriodSeconds",
            1,
            INT64,
            "The duration in seconds before the object should be deleted.",
        ),
        Field(
            "preconditions", 2, Preconditions, "Must be fulfilled before a deletion is carried out."
        ),
        Field(
            "orphanDependents",
            3,
            BOOL,
            "Deprecated: please use the PropagationPolicy, this field will be deprecated in 1.7.",
        ),
        Field(
            "propagationPolicy", 4, STRING, "Whether and how garbage collection will be performed."
        ),
        _dry_run(5),
        Field(
            "ignoreStoreReadErrorWithClusterBreakingPotential",
            6,
            BOOL,
            "If set to true, it will trigger an unsafe deletion of the resource in case the "
            "normal deletion flow fails with a corrupt object error.",
        ),
    ],
)

StatusCause = Object(
    "io.k8s.apimachinery.pkg.apis.meta.v1.StatusCause",
    "StatusCause provides more information about an api.Status failure, including cases when "
    "multiple errors are encountered.",
    [
        Field("reason", 1, STRING, "A machine-readable description of the cause of the error."),
        Field("message", 2, STRING, "A human-readable description of the cause of the error."),
        Field(
            "field",
            3,
            STRING,
            "The field of the resource that has caused this error, as named by its JSON "
            "serialization.",
        ),
    ],
)

StatusDetails = Object(
    "io.k8s.apimachinery.pkg.apis.meta.v1.StatusDetails",
    "StatusDetails is a set of additional properties that MAY be set by the server to provide "
    "additional information about a response.",
    [
        Field(
            "name",
            1,
            STRING,
            "The name attribute of the resource associated with the status StatusReason (when "
            "there is a single name which can be described).",
        ),
        Field(
            "group",
            2,
            STRING,
            "The group attribute of the resource associated with the status StatusReason.",
        ),
        Field(
            "kind",
            3,
            STRING,
            "The kind attribute of the resource associated with the status StatusReason.",
        ),
        Field("uid", 6, STRING, "UID of the resource."),
        Field(
            "causes",
            4,
            ListOf(StatusCause),
            "The Causes array includes more details associated with the StatusReason failure.",
            list_type="atomic",
        ),
        Field(
            "retryAfterSeconds",
            5,
            INT32,
            "If specified, the time in seconds before the operation should be retried.",
        ),
    ],
)

Status = _KINDS.kind(
    "Status",
    "Status is a return value for calls that don't return other objects.",
    [
        Field("metadata", 1, ListMeta, "Standard list metadata."),
        Field("status", 2, STRING, "Status of the operation."),
        Field(
            "message", 3, STRING, "A human-readable description of the status of this operation."
        ),
        Field(
            "reason",
            4,
            STRING,
            'A machine-readable description of why this operation is in the "Failure" status.',
        ),
        Field(
            "details",
            5,
            StatusDetails,
            "Extended data associated with the reason.",
            list_type="atomic",
        ),
        Field("code", 6, INT32, "Suggested HTTP return code for this status, 0 if not set."),
    ],
)

WatchEvent = Object(
    "io.k8s.apimachinery.pkg.apis.meta.v1.WatchEvent",
    "Event represents a single event to a watched resource.",
    [
        Field(
            "type",
            1,
            STRING,
            "Type of the event: ADDED, MODIFIED, DELETED, BOOKMARK or ERROR.",
            required=True,
        ),
        Field(
            "object",
            2,
            RAW_EXTENSION,
            "The object: its new state (ADDED, MODIFIED), its last state (DELETED), or a Status "
            "(ERROR).",
            required=True,
        ),
    ],
    gvk=GroupVersionKind("", "v1", "WatchEvent"),
)

GroupVersionForDiscovery = Object(
    "io.k8s.apimachinery.pkg.apis.meta.v1.GroupVersionForDiscovery",
    'GroupVersion contains the "group/version" and "version" string of a version.',
    [
        Field(
            "groupVersion",
            1,
            STRING,
            'GroupVersion specifies the API group and version in the form "group/version".',
            required=True,
        ),
        Field(
            "version",
            2,
            STRING,
            'Version specifies the version in the form of "version".',
            required=True,
        ),
    ],
)

ServerAddressByClientCIDR = Object(
    "io.k8s.apimachinery.pkg.apis.meta.v1.ServerAddressByClientCIDR",
    "ServerAddressByClientCIDR helps the client to determine the server address that they should "
    "use, depending on the clientCIDR that they match.",
    [
        Field(
            "clientCIDR",
            1,
            STRING,
            "The CIDR with which clients can match their IP to figure out the server address that "
            "they should use.",
            required=True,
        ),
        Field(
            "serverAddress",
            2,
            STRING,
            "Address of this server, suitable for a client that matches the above CIDR.",
            required=True,
        ),
    ],
)

APIVersions = _KINDS.kind(
    "APIVersions",
    "APIVersions lists the versions that are available, to allow clients to discover the API at "
    "/api, which is the root path of the legacy v1 API.",
    [
        Field(
            "versions",
            1,
            ListOf(STRING),
            "Versions are the api versions that are available.",
            required=True,
            list_type="atomic",
        ),
        Field(
            "serverAddressByClientCIDRs",
            2,
            ListOf(ServerAddressByClientCIDR),
            "A map of client CIDR to server address that is serving this group.",
            required=True,
            list_type="atomic",
        ),
    ],
)

APIGroup = _KINDS.kind(
    "APIGroup",
    "APIGroup contains the name, the supported versions, and the preferred version of a group.",
    [
        Field("name", 1, STRING, "Name is the name of the group.", required=True),
        Field(
            "versions",
            2,
            ListOf(GroupVersionForDiscovery),
            "Versions are the versions supported in this group.",
            required=True,
            list_type="atomic",
        ),
        Field(
            "preferredVersion",
            3,
            GroupVersionForDiscovery,
            "PreferredVersion is the version preferred by the API server, which probably is the "
            "storage version.",
        ),
        Field(
            "serverAddressByClientCIDRs",
            4,
            ListOf(ServerAddressByClientCIDR),
            "A map of client CIDR to server address that is serving this group.",
            list_type="atomic",
        ),
    ],
)

APIGroupList = _KINDS.kind(
    "APIGroupList",
    "APIGroupList is a list of APIGroup, to allow clients to discover the API at /apis.",
    [
        Field(
            "groups",
            1,
            ListOf(APIGroup),
            "Groups is a list of APIGroup.",
            required=True,
            list_type="atomic",
        ),
    ],
)

APIResource = Object(
    "io.k8s.apimachinery.pkg.apis.meta.v1.APIResource",
    "APIResource specifies the name of a resource and whether it is namespaced.",
    [
        Field("name", 1, STRING, "Name is the plural name of the resource.", required=True),
        Field(
            "singularName",
            6,
            STRING,
            "SingularName is the singular name of the resource.",
            required=True,
        ),
        Field(
            "namespaced",
            2,
            BOOL,
            "Namespaced indicates if a resource is namespaced or not.",
            required=True,
        ),
        Field("group", 8, STRING, "Group is the preferred group of the resource."),
        Field("version", 9, STRING, "Version is the preferred version of the resource."),
        Field(
            "kind",
            3,
            STRING,
            "Kind is the kind for the resource (e.g. 'Foo' is the kind for a resource 'foo').",
            required=True,
        ),
        Field(
            "verbs",
            0,
            ListOf(STRING),
            "Verbs is a list of supported kube verbs (this includes get, list, watch, create, "
            "update, patch, delete, deletecollection, and proxy).",
            required=True,
        ),
        Field(
            "shortNames",
            5,
            ListOf(STRING),
            "ShortNames is a list of suggested short names of the resource.",
            list_type="atomic",
        ),
        Field(
            "categories",
            7,
            ListOf(STRING),
            "Categories is a list of the grouped resources this resource belongs to (e.g. 'all').",
            list_type="atomic",
        ),
        Field(
            "storageVersionHash",
            10,
            STRING,
            "The hash value of the storage version, the version this resource is converted to "
            "when written to the data store.",
        ),
    ],
)

APIResourceList = _KINDS.kind(
    "APIResourceList",
    "APIResourceList is a list of APIResource, it is used to expose the name of the resources "
    "supported in a specific group and version.",
    [
        Field(
            "groupVersion",
            1,
            STRING,
            "GroupVersion is the group and version this APIResourceList is for.",
            required=True,
        ),
        Field(
            "resources",
            2,
            ListOf(APIResource),
            "Resources contains the name of the resources and if they are namespaced.",
            required=True,
            list_type="atomic",
        ),
    ],
)


TableOptions = _META_KINDS.kind(
    "TableOptions",
    "TableOptions are used when a Table is requested by the caller.",
    [
        Field(
            "includeObject",
            1,
            STRING,
            "IncludeObject decides whether to include each object along with its columnar "
            "information.",
            enum=("Metadata", "None", "Object"),
        ),
    ],
)

TableColumnDefinition = Object(
    "io.k8s.apimachinery.pkg.apis.meta.v1.TableColumnDefinition",
    "TableColumnDefinition contains information about a column returned in the Table.",
    [
        Field("name", 0, STRING, "Name is a human readable name for the column.", required=True),
        Field(
            "type",
            0,
            STRING,
            "Type is an OpenAPI type definition for this column, such as number, integer, string, "
            "or array.",
            required=True,
        ),
        Field(
            "format",
            0,
            STRING,
            "Format is an optional OpenAPI type modifier for this column.",
            required=True,
        ),
        Field(
            "description",
            0,
            STRING,
            "Description is a human readable description of this column.",
            required=True,
        ),
        Field(
            "priority",
            0,
            INT32,
            "Priority is an integer defining the relative importance of this column compared to "
            "others.",
            required=True,
        ),
    ],
)

TableRowCondition = Object(
    "io.k8s.apimachinery.pkg.apis.meta.v1.TableRowCondition",
    "TableRowCondition allows a row to be marked with additional information.",
    [
        Field(
            "type",
            0,
            STRING,
            "Type of row condition; the only defined value is 'Completed'.",
            required=True,
        ),
        Field(
            "status",
            0,
            STRING,
            "Status of the condition, one of True, False, Unknown.",
            required=True,
        ),
        Field(
            "reason",
            0,
            STRING,
            "(brief) machine readable reason for the condition's last transition.",
        ),
        Field(
            "message", 0, STRING, "Human readable message indicating details about last transition."
        ),
    ],
)

TableRow = Object(
    "io.k8s.apimachinery.pkg.apis.meta.v1.TableRow",
    "TableRow is an individual row in a table.",
    [
        Field(
            "cells",
            0,
            ListOf(JSON),
            "Cells will be as wide as the column definitions array.",
            required=True,
            list_type="atomic",
        ),
        Field(
            "conditions",
            0,
            ListOf(TableRowCondition),
            "Conditions describe additional status of a row that are relevant for a human user.",
            list_type="atomic",
        ),
        Field(
            "object",
            0,
            RAW_EXTENSION,
            "This field contains the requested additional information about each object based on "
            "the includeObject policy.",
        ),
    ],
)

Table = _META_KINDS.kind(
    "Table",
    "Table is a tabular representation of a set of API resources.",
    [
        Field("metadata", 0, ListMeta, "Standard list metadata."),
        Field(
            "columnDefinitions",
            0,
            ListOf(TableColumnDefinition),
            "ColumnDefinitions describes each column in the returned items array.",
            required=True,
            list_type="atomic",
        ),
        Field(
            "rows",
            0,
            ListOf(TableRow),
            "Rows is the list of items in the table.",
            required=True,
            list_type="atomic",
        ),
    ],
)

PartialObjectMetadata = _META_KINDS.kind(
    "PartialObjectMetadata",
    "PartialObjectMetadata is a generic representation of any object with ObjectMeta.",
    [
        Field("metadata", 1, ObjectMeta, "Standard object's metadata."),
    ],
)

PartialObjectMetadataList = list_kind(
    PartialObjectMetadata,
    "PartialObjectMetadataList contains a list of objects containing only their metadata.",
    "Items contains each of the included items.",
)

GetOptions = _META_KINDS.kind(
    "GetOptions",
    "GetOptions is the standard query options to the standard REST get call.",
    [
        Field(
            "resourceVersion",
            1,
            STRING,
            "ResourceVersion sets a constraint on what resource versions a request may be served "
            "from.",
        ),
    ],
)

ListOptions = _META_KINDS.kind(
    "ListOptions",
    "ListOptions is the query options to a standard REST list call.",
    [
        Field(
            "labelSelector",
            1,
            STRING,
            "A selector to restrict the list of returned objects by their labels.",
        ),
        Field(
            "fieldSelector",
            2,
            STRING,
            "A selector to restrict the list of returned objects by their fields.",
        ),
        Field(
            "watch",
            3,
            BOOL,
            "Watch for changes to the described resources and return them as a stream of add, "
            "update, and remove notifications.",
        ),
        Field(
            "allowWatchBookmarks",
            9,
            BOOL,
            'AllowWatchBookmarks requests watch events with type "BOOKMARK".',
        ),
        Field(
            "resourceVersion",
            4,
            STRING,
            "ResourceVersion sets a constraint on what resource versions a request may be served "
            "from.",
        ),
        Field(
            "resourceVersionMatch",
            10,
            STRING,
            "ResourceVersionMatch determines how resourceVersion is applied to list calls.",
            enum=("Exact", "NotOlderThan"),
        ),
        Field("timeoutSeconds", 5, INT64, "Timeout for the list/watch call."),
        Field(
            "limit", 7, INT64, "Limit is a maximum number of responses to return for a list call."
        ),
        Field(
            "continue",
            8,
            STRING,
            "The continue option should be set when retrieving more results from the server.",
        ),
        Field(
            "sendInitialEvents",
            11,
            BOOL,
            "SendInitialEvents=true may be set together with watch=true to begin the watch stream "
            "with synthetic events for the current state.",
        ),
    ],
)

CreateOptions = _META_KINDS.kind(
    "CreateOptions",
    "CreateOptions may be provided when creating an API object.",
    [
        _dry_run(1),
        _field_manager(3),
        _field_validation(4),
    ],
)

PatchOptions = _META_KINDS.kind(
    "PatchOptions",
    "PatchOptions may be provided when patching an API object.",
    [
        _dry_run(1),
        Field("force", 2, BOOL, 'Force is going to "force" Apply requests.'),
        _field_manager(3),
        _field_validation(4),
    ],
)

UpdateOptions = _META_KINDS.kind(
    "UpdateOptions",
    "UpdateOptions may be provided when updating an API object.",
    [
        _dry_run(1),
        _field_manager(2),
        _field_validation(3),
    ],
)
