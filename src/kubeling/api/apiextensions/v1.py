"""apiextensions.k8s.io/v1: CustomResourceDefinition and its structural schema.

Field numbers come from
``k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1/generated.proto``.
``CustomResourceDefinitionSpec`` skips 2, 5, 6 and 8 (v1beta1's top-level
version, validation, subresources and printer columns); ``conversion`` is 9.

JSONSchemaProps is recursive and refers to itself by name. Its JSON names are
the JSON Schema ones (``$schema``, ``$ref``, ``x-kubernetes-*``); ``default``,
``example`` and the ``enum`` items are arbitrary JSON values.

Three JSONSchemaProps fields are unions in JSON, which the declaration model
cannot express directly:

- ``items``: a schema, or an array of schemas (JSONSchemaPropsOrArray);
- ``additionalProperties``/``additionalItems``: a bool, or a schema
  (JSONSchemaPropsOrBool);
- ``dependencies`` values: a schema, or an array of property names
  (JSONSchemaPropsOrStringArray).

They are declared as their protobuf wrapper messages, whose fields carry the
protobuf numbers (``schema``, ``JSONSchemas``, ``allows``, ``property``), and
marked ``preserve_unknown`` because the JSON form is the bare schema, bool or
array rather than the wrapper. Consumers that look at JSON shape (pruning,
OpenAPI, the protobuf codec) treat the names in ``JSON_UNION_WRAPPERS``
specially: upstream OpenAPI publishes them with no type at all.
"""

from __future__ import annotations

from kubeling.api.schema import (
    BOOL,
    BYTES,
    DOUBLE,
    INT32,
    INT64,
    JSON,
    STRING,
    TIME,
    TYPE_META_TERSE,
    Field,
    Kinds,
    ListOf,
    MapOf,
    Object,
    Ref,
)

__all__ = [
    "JSON_UNION_WRAPPERS",
    "CustomResourceColumnDefinition",
    "CustomResourceConversion",
    "CustomResourceDefinition",
    "CustomResourceDefinitionCondition",
    "CustomResourceDefinitionList",
    "CustomResourceDefinitionNames",
    "CustomResourceDefinitionSpec",
    "CustomResourceDefinitionStatus",
    "CustomResourceDefinitionVersion",
    "CustomResourceSubresourceScale",
    "CustomResourceSubresourceStatus",
    "CustomResourceSubresources",
    "CustomResourceValidation",
    "ExternalDocumentation",
    "JSONSchemaProps",
    "JSONSchemaPropsOrArray",
    "JSONSchemaPropsOrBool",
    "JSONSchemaPropsOrStringArray",
    "SelectableField",
    "ServiceReference",
    "ValidationRule",
    "WebhookClientConfig",
    "WebhookConversion",
]

GROUP = "apiextensions.k8s.io"
VERSION = "v1"

_PREFIX = "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1."
_KINDS = Kinds(_PREFIX, GROUP, VERSION, TYPE_META_TERSE)

_SCHEMA = Ref(_PREFIX + "JSONSchemaProps")

# --- JSONSchemaProps ---------------------------------------------------------

JSONSchemaPropsOrArray = Object(
    _PREFIX + "JSONSchemaPropsOrArray",
    "A schema, or an array of schemas; the JSON value is either one directly.",
    [
        Field("schema", 1, _SCHEMA, "The single schema."),
        Field("JSONSchemas", 2, ListOf(_SCHEMA), "The array of schemas.", list_type="atomic"),
    ],
    preserve_unknown=True,
)

JSONSchemaPropsOrBool = Object(
    _PREFIX + "JSONSchemaPropsOrBool",
    "A schema, or a bool; the JSON value is either one directly. Defaults to true.",
    [
        Field("allows", 1, BOOL, "The boolean form."),
        Field("schema", 2, _SCHEMA, "The schema form."),
    ],
    preserve_unknown=True,
)

JSONSchemaPropsOrStringArray = Object(
    _PREFIX + "JSONSchemaPropsOrStringArray",
    "A schema, or an array of property names; the JSON value is either one directly.",
    [
        Field("schema", 1, _SCHEMA, "The schema form."),
        Field("property", 2, ListOf(STRING), "The property-name form.", list_type="atomic"),
    ],
    preserve_unknown=True,
)

JSON_UNION_WRAPPERS = frozenset(
    {
        JSONSchemaPropsOrArray.name,
        JSONSchemaPropsOrBool.name,
        JSONSchemaPropsOrStringArray.name,
    }
)
"""Definitions whose JSON form is a union, not the wrapper object (see module doc)."""

ExternalDocumentation = Object(
    _PREFIX + "ExternalDocumentation",
    "A reference to external documentation.",
    [
        Field("description", 1, STRING, "Description of the documentation."),
        Field("url", 2, STRING, "URL of the documentation."),
    ],
)

ValidationRule = Object(
    _PREFIX + "ValidationRule",
    "A validation rule written in the CEL expression language.",
    [
        Field("rule", 1, STRING, "The CEL expression; self is the scoped value.", required=True),
        Field("message", 2, STRING, "Message shown when validation fails."),
        Field("messageExpression", 3, STRING, "CEL expression producing the failure message."),
        Field(
            "reason",
            4,
            STRING,
            "Machine-readable failure reason; defaults to FieldValueInvalid.",
            enum=(
                "FieldValueDuplicate",
                "FieldValueForbidden",
                "FieldValueInvalid",
                "FieldValueRequired",
            ),
        ),
        Field("fieldPath", 5, STRING, "Relative JSON path of the field reported on failure."),
        Field(
            "optionalOldSelf",
            6,
            BOOL,
            "Evaluate a transition rule even without an old value.",
        ),
    ],
)

JSONSchemaProps = Object(
    _PREFIX + "JSONSchemaProps",
    "A JSON Schema (draft 4) with Kubernetes extensions.",
    [
        Field("id", 1, STRING, "Schema identifier."),
        Field("$schema", 2, STRING, "JSON Schema dialect URI."),
        Field("$ref", 3, STRING, "Reference to another schema."),
        Field("description", 4, STRING, "Description of the value."),
        Field("type", 5, STRING, "JSON type of the value."),
        Field("format", 6, STRING, "OpenAPI v3 format; unknown formats are ignored."),
        Field("title", 7, STRING, "Title of the value."),
        Field("default", 8, JSON, "Default for an undefined field."),
        Field("maximum", 9, DOUBLE, "Inclusive upper bound."),
        Field("exclusiveMaximum", 10, BOOL, "Whether maximum is exclusive."),
        Field("minimum", 11, DOUBLE, "Inclusive lower bound."),
        Field("exclusiveMinimum", 12, BOOL, "Whether minimum is exclusive."),
        Field("maxLength", 13, INT64, "Maximum string length."),
        Field("minLength", 14, INT64, "Minimum string length."),
        Field("pattern", 15, STRING, "Regular expression strings must match."),
        Field("maxItems", 16, INT64, "Maximum array length."),
        Field("minItems", 17, INT64, "Minimum array length."),
        Field("uniqueItems", 18, BOOL, "Whether array items must be unique."),
        Field("multipleOf", 19, DOUBLE, "Numbers must be a multiple of this."),
        Field("enum", 20, ListOf(JSON), "Allowed values.", list_type="atomic"),
        Field("maxProperties", 21, INT64, "Maximum number of object properties."),
        Field("minProperties", 22, INT64, "Minimum number of object properties."),
        Field(
            "required", 23, ListOf(STRING), "Properties that must be present.", list_type="atomic"
        ),
        Field("items", 24, JSONSchemaPropsOrArray, "Schema of array items."),
        Field("allOf", 25, ListOf(_SCHEMA), "Schemas that all must match.", list_type="atomic"),
        Field("oneOf", 26, ListOf(_SCHEMA), "Schemas of which one must match.", list_type="atomic"),
        Field("anyOf", 27, ListOf(_SCHEMA), "Schemas of which any may match.", list_type="atomic"),
        Field("not", 28, _SCHEMA, "Schema that must not match."),
        Field("properties", 29, MapOf(_SCHEMA), "Schemas of named object properties."),
        Field(
            "additionalProperties",
            30,
            JSONSchemaPropsOrBool,
            "Schema of other properties, or whether they are allowed.",
        ),
        Field("patternProperties", 31, MapOf(_SCHEMA), "Schemas of properties by name pattern."),
        Field(
            "dependencies",
            32,
            MapOf(JSONSchemaPropsOrStringArray),
            "Schemas or properties required when a property is present.",
        ),
        Field(
            "additionalItems",
            33,
            JSONSchemaPropsOrBool,
            "Schema of extra array items, or whether they are allowed.",
        ),
        Field("definitions", 34, MapOf(_SCHEMA), "Reusable schema definitions."),
        Field("externalDocs", 35, ExternalDocumentation, "External documentation."),
        Field("example", 36, JSON, "An example value."),
        Field("nullable", 37, BOOL, "Whether null is allowed."),
        Field(
            "x-kubernetes-preserve-unknown-fields",
            38,
            BOOL,
            "Keep fields not in the schema instead of pruning them.",
        ),
        Field(
            "x-kubernetes-embedded-resource",
            39,
            BOOL,
            "The value is an embedded object with apiVersion, kind and metadata.",
        ),
        Field("x-kubernetes-int-or-string", 40, BOOL, "The value is an integer or a string."),
        Field(
            "x-kubernetes-list-map-keys",
            41,
            ListOf(STRING),
            "Keys of a list of type map.",
            list_type="atomic",
        ),
        Field("x-kubernetes-list-type", 42, STRING, "Topology of an array: atomic, set or map."),
        Field("x-kubernetes-map-type", 43, STRING, "Topology of an object: granular or atomic."),
        Field(
            "x-kubernetes-validations",
            44,
            ListOf(ValidationRule),
            "CEL validation rules.",
            patch_strategy="merge",
            patch_merge_key="rule",
            list_type="map",
            list_map_keys=("rule",),
        ),
    ],
)

# --- CustomResourceDefinition ------------------------------------------------

CustomResourceValidation = Object(
    _PREFIX + "CustomResourceValidation",
    "Validation methods for custom resources.",
    [Field("openAPIV3Schema", 1, JSONSchemaProps, "OpenAPI v3 schema for validation and pruning.")],
)

CustomResourceSubresourceStatus = Object(
    _PREFIX + "CustomResourceSubresourceStatus",
    "Enables the status subresource; has no fields.",
    [],
)

CustomResourceSubresourceScale = Object(
    _PREFIX + "CustomResourceSubresourceScale",
    "How to serve the scale subresource.",
    [
        Field(
            "specReplicasPath",
            1,
            STRING,
            "JSON path under .spec of the desired replicas.",
            required=True,
        ),
        Field(
            "statusReplicasPath",
            2,
            STRING,
            "JSON path under .status of the observed replicas.",
            required=True,
        ),
        Field("labelSelectorPath", 3, STRING, "JSON path of the serialized label selector."),
    ],
)

CustomResourceSubresources = Object(
    _PREFIX + "CustomResourceSubresources",
    "The status and scale subresources of a custom resource.",
    [
        Field("status", 1, CustomResourceSubresourceStatus, "Serve a /status subresource."),
        Field("scale", 2, CustomResourceSubresourceScale, "Serve a /scale subresource."),
    ],
)

CustomResourceColumnDefinition = Object(
    _PREFIX + "CustomResourceColumnDefinition",
    "A column for server-side printing.",
    [
        Field("name", 1, STRING, "Human-readable name of the column.", required=True),
        Field("type", 2, STRING, "OpenAPI type of the column.", required=True),
        Field("format", 3, STRING, "OpenAPI format of the column."),
        Field("description", 4, STRING, "Human-readable description of the column."),
        Field("priority", 5, INT32, "Importance of the column; above 0 may be hidden."),
        Field("jsonPath", 6, STRING, "JSON path producing the column's value.", required=True),
    ],
)

SelectableField = Object(
    _PREFIX + "SelectableField",
    "A field that may be used with field selectors.",
    [
        Field(
            "jsonPath",
            1,
            STRING,
            "JSON path of a string, boolean or integer field.",
            required=True,
        ),
    ],
)

CustomResourceDefinitionVersion = Object(
    _PREFIX + "CustomResourceDefinitionVersion",
    "One version of a custom resource API.",
    [
        Field("name", 1, STRING, "The version name, e.g. v1 or v2beta1.", required=True),
        Field("served", 2, BOOL, "Whether this version is served.", required=True),
        Field("storage", 3, BOOL, "Whether this version is the storage version.", required=True),
        Field("schema", 4, CustomResourceValidation, "Schema for validation, pruning, defaulting."),
        Field("subresources", 5, CustomResourceSubresources, "Subresources of this version."),
        Field(
            "additionalPrinterColumns",
            6,
            ListOf(CustomResourceColumnDefinition),
            "Extra columns of Table output; none means an age column.",
            list_type="atomic",
        ),
        Field("deprecated", 7, BOOL, "Whether this version is deprecated."),
        Field("deprecationWarning", 8, STRING, "Overrides the default deprecation warning."),
        Field(
            "selectableFields",
            9,
            ListOf(SelectableField),
            "Fields usable as field selectors, at most 8.",
            list_type="atomic",
        ),
    ],
)

CustomResourceDefinitionNames = Object(
    _PREFIX + "CustomResourceDefinitionNames",
    "The names a custom resource is served under.",
    [
        Field("plural", 1, STRING, "Plural resource name, all lowercase.", required=True),
        Field("singular", 2, STRING, "Singular resource name; defaults to lowercased kind."),
        Field(
            "shortNames",
            3,
            ListOf(STRING),
            "Short names for the resource, like kubectl get <shortname>.",
            list_type="atomic",
        ),
        Field("kind", 4, STRING, "The serialized kind, normally CamelCase.", required=True),
        Field("listKind", 5, STRING, "Kind of the list; defaults to kind + 'List'."),
        Field(
            "categories",
            6,
            ListOf(STRING),
            "Grouped resources this belongs to, e.g. all.",
            list_type="atomic",
        ),
    ],
)

ServiceReference = Object(
    _PREFIX + "ServiceReference",
    "A reference to a Service.",
    [
        Field("namespace", 1, STRING, "Namespace of the service.", required=True),
        Field("name", 2, STRING, "Name of the service.", required=True),
        Field("path", 3, STRING, "URL path the webhook is contacted at."),
        Field("port", 4, INT32, "Service port of the webhook; defaults to 443."),
    ],
)

WebhookClientConfig = Object(
    _PREFIX + "WebhookClientConfig",
    "How to make a TLS connection to a webhook.",
    [
        Field("service", 1, ServiceReference, "In-cluster service of the webhook; excludes url."),
        Field("caBundle", 2, BYTES, "PEM CA bundle to validate the webhook's certificate."),
        Field("url", 3, STRING, "https URL of the webhook; excludes service."),
    ],
)

WebhookConversion = Object(
    _PREFIX + "WebhookConversion",
    "How to call a conversion webhook.",
    [
        Field("clientConfig", 2, WebhookClientConfig, "How to call the webhook."),
        Field(
            "conversionReviewVersions",
            3,
            ListOf(STRING),
            "Preferred ConversionReview versions, in order.",
            required=True,
            list_type="atomic",
        ),
    ],
)

CustomResourceConversion = Object(
    _PREFIX + "CustomResourceConversion",
    "How custom resources are converted between versions.",
    [
        Field("strategy", 1, STRING, "None or Webhook.", required=True),
        Field("webhook", 2, WebhookConversion, "The conversion webhook, for Webhook strategy."),
    ],
)

CustomResourceDefinitionSpec = Object(
    _PREFIX + "CustomResourceDefinitionSpec",
    "How a custom resource should appear.",
    [
        Field("group", 1, STRING, "API group of the custom resource.", required=True),
        Field(
            "names",
            3,
            CustomResourceDefinitionNames,
            "Resource and kind names of the custom resource.",
            required=True,
        ),
        Field("scope", 4, STRING, "Cluster or Namespaced.", required=True),
        Field(
            "versions",
            7,
            ListOf(CustomResourceDefinitionVersion),
            "All API versions of the custom resource.",
            required=True,
            list_type="atomic",
        ),
        Field("conversion", 9, CustomResourceConversion, "Conversion settings."),
        Field(
            "preserveUnknownFields",
            10,
            BOOL,
            "Deprecated: keep fields not in the schema.",
        ),
    ],
)

CustomResourceDefinitionCondition = Object(
    _PREFIX + "CustomResourceDefinitionCondition",
    "A condition of a CustomResourceDefinition.",
    [
        Field("type", 1, STRING, "Established, NamesAccepted or Terminating.", required=True),
        Field("status", 2, STRING, "True, False or Unknown.", required=True),
        Field("lastTransitionTime", 3, TIME, "When the condition last changed status."),
        Field("reason", 4, STRING, "One-word CamelCase reason for the last transition."),
        Field("message", 5, STRING, "Human-readable details of the last transition."),
    ],
)

CustomResourceDefinitionStatus = Object(
    _PREFIX + "CustomResourceDefinitionStatus",
    "The state of a CustomResourceDefinition.",
    [
        Field(
            "conditions",
            1,
            ListOf(CustomResourceDefinitionCondition),
            "Conditions of the CustomResourceDefinition.",
            list_type="map",
            list_map_keys=("type",),
        ),
        Field(
            "acceptedNames",
            2,
            CustomResourceDefinitionNames,
            "Names actually served in discovery.",
        ),
        Field(
            "storedVersions",
            3,
            ListOf(STRING),
            "Every version that was ever persisted.",
            list_type="atomic",
        ),
    ],
)

CustomResourceDefinition = _KINDS.kind(
    "CustomResourceDefinition",
    "A resource served by the API server; named <plural>.<group>.",
    [
        Field(
            "metadata",
            1,
            Ref("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"),
            "Standard object's metadata.",
        ),
        Field(
            "spec",
            2,
            CustomResourceDefinitionSpec,
            "How the resources should appear.",
            required=True,
        ),
        Field("status", 3, CustomResourceDefinitionStatus, "Actual state of the definition."),
    ],
)

CustomResourceDefinitionList = _KINDS.kind(
    "CustomResourceDefinitionList",
    "A list of CustomResourceDefinitions.",
    [
        Field(
            "metadata",
            1,
            Ref("io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta"),
            "Standard list metadata.",
        ),
        Field(
            "items",
            2,
            ListOf(CustomResourceDefinition),
            "The CustomResourceDefinitions.",
            required=True,
        ),
    ],
)
