"""admissionregistration.k8s.io/v1: admission webhooks and ValidatingAdmissionPolicy.

Field numbers come from ``k8s.io/api/admissionregistration/v1/generated.proto``.
The webhook lists (``webhooks``, ``matchConditions``, ``variables``) are maps
keyed by ``name`` with merge patch semantics; the Go field behind
``webhooks`` is spelled ``Webhooks`` in protobuf, which changes nothing on the
wire. MutatingWebhook and ValidatingWebhook number ``objectSelector``
differently (11 and 10).

Two structs are embedded inline in Go: ``Rule`` inside RuleWithOperations
(protobuf field 2) and ``RuleWithOperations`` inside NamedRuleWithOperations
(protobuf field 2). In JSON their fields sit at the outer level, and that is
how they are declared, with proto 0; each parent names the nesting message
with ``schema.Embedded`` and the protobuf codec nests them:
RuleWithOperations = {operations 1, rule 2 {apiGroups 1, apiVersions 2,
resources 3, scope 4}}, NamedRuleWithOperations = {resourceNames 1,
ruleWithOperations 2 {...}}. ``Rule`` is declared for the codec only; no field
refers to it, so no OpenAPI document describes it.

MutatingAdmissionPolicy is alpha in 1.32 and is not declared here.
"""

from __future__ import annotations

from dataclasses import replace

from kubeling.api.schema import (
    BYTES,
    INT32,
    INT64,
    STRING,
    TYPE_META_TERSE,
    Embedded,
    Field,
    Kinds,
    ListOf,
    Object,
    Ref,
    list_kind,
)

__all__ = [
    "AuditAnnotation",
    "ExpressionWarning",
    "MatchCondition",
    "MatchResources",
    "MutatingWebhook",
    "MutatingWebhookConfiguration",
    "MutatingWebhookConfigurationList",
    "NamedRuleWithOperations",
    "ParamKind",
    "ParamRef",
    "Rule",
    "RuleWithOperations",
    "ServiceReference",
    "TypeChecking",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "ValidatingAdmissionPolicyBindingList",
    "ValidatingAdmissionPolicyBindingSpec",
    "ValidatingAdmissionPolicyList",
    "ValidatingAdmissionPolicySpec",
    "ValidatingAdmissionPolicyStatus",
    "ValidatingWebhook",
    "ValidatingWebhookConfiguration",
    "ValidatingWebhookConfigurationList",
    "Validation",
    "Variable",
    "WebhookClientConfig",
]

GROUP = "admissionregistration.k8s.io"
VERSION = "v1"

_PREFIX = "io.k8s.api.admissionregistration.v1."
_KINDS = Kinds(_PREFIX, GROUP, VERSION, TYPE_META_TERSE)
_OBJECT_META = Ref("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta")
_LABEL_SELECTOR = Ref("io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector")

_FAILURE_POLICIES = ("Fail", "Ignore")
_MATCH_POLICIES = ("Equivalent", "Exact")


def _by_name(json: str, proto: int, item: Object, doc: str) -> Field:
    """A list of ``item`` keyed by ``name``, merged by that key in patches."""
    return Field(
        json,
        proto,
        ListOf(item),
        doc,
        patch_strategy="merge",
        patch_merge_key="name",
        list_type="map",
        list_map_keys=("name",),
    )


# --- Shared pieces -----------------------------------------------------------

# Fields of the inlined Rule (see the module docstring for their protobuf path).
_RULE_FIELDS = (
    Field(
        "apiGroups",
        0,
        ListOf(STRING),
        "API groups of the resources; '*' is all groups.",
        list_type="atomic",
    ),
    Field(
        "apiVersions",
        0,
        ListOf(STRING),
        "API versions of the resources; '*' is all versions.",
        list_type="atomic",
    ),
    Field(
        "resources",
        0,
        ListOf(STRING),
        "Resources the rule applies to, like pods or pods/log.",
        list_type="atomic",
    ),
    Field(
        "scope",
        0,
        STRING,
        "Scope of the rule: Cluster, Namespaced or '*' (default).",
        enum=("*", "Cluster", "Namespaced"),
    ),
)

Rule = Object(
    _PREFIX + "Rule",
    "Resources and versions a rule applies to, inlined in RuleWithOperations.",
    [replace(f, proto=number) for number, f in enumerate(_RULE_FIELDS, start=1)],
)

RuleWithOperations = Object(
    _PREFIX + "RuleWithOperations",
    "Operations and the resources they apply to.",
    [
        Field(
            "operations",
            1,
            ListOf(STRING),
            "Operations the hook cares about: CREATE, UPDATE, DELETE, CONNECT or '*'.",
            list_type="atomic",
        ),
        *_RULE_FIELDS,
    ],
    embedded=[Embedded(2, Rule, "rule")],
)

NamedRuleWithOperations = Object(
    _PREFIX + "NamedRuleWithOperations",
    "Operations and resources, optionally limited to some object names.",
    [
        Field(
            "resourceNames",
            1,
            ListOf(STRING),
            "Optional allow-list of object names.",
            list_type="atomic",
        ),
        Field(
            "operations",
            0,
            ListOf(STRING),
            "Operations the policy cares about: CREATE, UPDATE, DELETE, CONNECT or '*'.",
            list_type="atomic",
        ),
        *_RULE_FIELDS,
    ],
    embedded=[Embedded(2, RuleWithOperations, "ruleWithOperations")],
    atomic=True,
)

ServiceReference = Object(
    _PREFIX + "ServiceReference",
    "A reference to a Service.",
    [
        Field("namespace", 1, STRING, "Namespace of the service.", required=True),
        Field("name", 2, STRING, "Name of the service.", required=True),
        Field("path", 3, STRING, "URL path sent in any request to the service."),
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

MatchCondition = Object(
    _PREFIX + "MatchCondition",
    "A CEL condition a request must fulfil to be sent to a webhook or policy.",
    [
        Field("name", 1, STRING, "Identifier of this condition, used for merging.", required=True),
        Field("expression", 2, STRING, "CEL expression evaluating to bool.", required=True),
    ],
)

# --- Webhook configurations --------------------------------------------------


def _webhook_fields(*, object_selector: int) -> list[Field]:
    """The fields MutatingWebhook and ValidatingWebhook share, in proto order."""
    return [
        Field("name", 1, STRING, "Fully qualified name of the webhook.", required=True),
        Field(
            "clientConfig",
            2,
            WebhookClientConfig,
            "How to communicate with the hook.",
            required=True,
        ),
        Field(
            "rules",
            3,
            ListOf(RuleWithOperations),
            "Operations and resources the webhook cares about; any may match.",
            list_type="atomic",
        ),
        Field(
            "failurePolicy",
            4,
            STRING,
            "How errors calling the webhook are handled; defaults to Fail.",
            enum=_FAILURE_POLICIES,
        ),
        Field(
            "namespaceSelector",
            5,
            _LABEL_SELECTOR,
            "Run the webhook only for objects in matching namespaces.",
        ),
        Field(
            "sideEffects",
            6,
            STRING,
            "Whether the webhook has side effects.",
            required=True,
            enum=("None", "NoneOnDryRun", "Some", "Unknown"),
        ),
        Field("timeoutSeconds", 7, INT32, "Timeout of a call, 1 to 30 seconds; defaults to 10."),
        Field(
            "admissionReviewVersions",
            8,
            ListOf(STRING),
            "Preferred AdmissionReview versions, in order.",
            required=True,
            list_type="atomic",
        ),
        Field(
            "matchPolicy",
            9,
            STRING,
            "How rules match requests; defaults to Equivalent.",
            enum=_MATCH_POLICIES,
        ),
        Field(
            "objectSelector",
            object_selector,
            _LABEL_SELECTOR,
            "Run the webhook only for objects with matching labels.",
        ),
    ]


MutatingWebhook = Object(
    _PREFIX + "MutatingWebhook",
    "An admission webhook that may change objects, and what it applies to.",
    [
        *_webhook_fields(object_selector=11),
        Field(
            "reinvocationPolicy",
            10,
            STRING,
            "Whether the webhook may be called again in one evaluation; defaults to Never.",
            enum=("IfNeeded", "Never"),
        ),
        _by_name(
            "matchConditions",
            12,
            MatchCondition,
            "Conditions a request must meet to be sent to the webhook.",
        ),
    ],
)

ValidatingWebhook = Object(
    _PREFIX + "ValidatingWebhook",
    "An admission webhook that accepts or rejects objects, and what it applies to.",
    [
        *_webhook_fields(object_selector=10),
        _by_name(
            "matchConditions",
            11,
            MatchCondition,
            "Conditions a request must meet to be sent to the webhook.",
        ),
    ],
)

MutatingWebhookConfiguration = _KINDS.kind(
    "MutatingWebhookConfiguration",
    "Admission webhooks that may accept, reject or change objects.",
    [
        Field("metadata", 1, _OBJECT_META, "Standard object's metadata."),
        _by_name("webhooks", 2, MutatingWebhook, "The webhooks and what they apply to."),
    ],
)

ValidatingWebhookConfiguration = _KINDS.kind(
    "ValidatingWebhookConfiguration",
    "Admission webhooks that accept or reject objects without changing them.",
    [
        Field("metadata", 1, _OBJECT_META, "Standard object's metadata."),
        _by_name("webhooks", 2, ValidatingWebhook, "The webhooks and what they apply to."),
    ],
)

MutatingWebhookConfigurationList = list_kind(
    MutatingWebhookConfiguration,
    "A list of MutatingWebhookConfigurations.",
    "The MutatingWebhookConfigurations.",
)
ValidatingWebhookConfigurationList = list_kind(
    ValidatingWebhookConfiguration,
    "A list of ValidatingWebhookConfigurations.",
    "The ValidatingWebhookConfigurations.",
)

# --- ValidatingAdmissionPolicy -----------------------------------------------

ParamKind = Object(
    _PREFIX + "ParamKind",
    "Group, version and kind of a parameter resource.",
    [
        Field("apiVersion", 1, STRING, "API group/version of the parameter resources."),
        Field("kind", 2, STRING, "Kind of the parameter resources."),
    ],
    atomic=True,
)

MatchResources = Object(
    _PREFIX + "MatchResources",
    "Which objects a policy applies to; exclusions take precedence.",
    [
        Field(
            "namespaceSelector",
            1,
            _LABEL_SELECTOR,
            "Apply only to objects in matching namespaces.",
        ),
        Field("objectSelector", 2, _LABEL_SELECTOR, "Apply only to objects with matching labels."),
        Field(
            "resourceRules",
            3,
            ListOf(NamedRuleWithOperations),
            "Operations and resources matched; any may match.",
            list_type="atomic",
        ),
        Field(
            "excludeResourceRules",
            4,
            ListOf(NamedRuleWithOperations),
            "Operations and resources excluded.",
            list_type="atomic",
        ),
        Field(
            "matchPolicy",
            7,
            STRING,
            "How rules match requests; defaults to Equivalent.",
            enum=_MATCH_POLICIES,
        ),
    ],
    atomic=True,
)

Validation = Object(
    _PREFIX + "Validation",
    "A CEL expression used to validate requests.",
    [
        Field("expression", 1, STRING, "CEL expression evaluating to bool.", required=True),
        Field("message", 2, STRING, "Message shown when validation fails."),
        Field("reason", 3, STRING, "Machine-readable reason, like Forbidden or Invalid."),
        Field("messageExpression", 4, STRING, "CEL expression producing the failure message."),
    ],
)

AuditAnnotation = Object(
    _PREFIX + "AuditAnnotation",
    "How to produce an audit annotation for a request.",
    [
        Field("key", 1, STRING, "Audit annotation key, unique in the policy.", required=True),
        Field(
            "valueExpression",
            2,
            STRING,
            "CEL expression producing the annotation value.",
            required=True,
        ),
    ],
)

Variable = Object(
    _PREFIX + "Variable",
    "A named CEL expression usable in the policy's other expressions.",
    [
        Field("name", 1, STRING, "Name of the variable, a CEL identifier.", required=True),
        Field(
            "expression", 2, STRING, "CEL expression giving the variable's value.", required=True
        ),
    ],
    atomic=True,
)

ValidatingAdmissionPolicySpec = Object(
    _PREFIX + "ValidatingAdmissionPolicySpec",
    "The desired behavior of a ValidatingAdmissionPolicy.",
    [
        Field("paramKind", 1, ParamKind, "Kind of the resources that parameterize the policy."),
        Field("matchConstraints", 2, MatchResources, "Resources the policy validates."),
        Field(
            "validations",
            3,
            ListOf(Validation),
            "CEL validations to apply.",
            list_type="atomic",
        ),
        Field(
            "failurePolicy",
            4,
            STRING,
            "How policy failures are handled; defaults to Fail.",
            enum=_FAILURE_POLICIES,
        ),
        Field(
            "auditAnnotations",
            5,
            ListOf(AuditAnnotation),
            "CEL expressions producing audit annotations.",
            list_type="atomic",
        ),
        _by_name(
            "matchConditions",
            6,
            MatchCondition,
            "Conditions a request must meet to be validated.",
        ),
        _by_name("variables", 7, Variable, "Named expressions usable in the other expressions."),
    ],
)

ExpressionWarning = Object(
    _PREFIX + "ExpressionWarning",
    "A type-checking warning about one expression.",
    [
        Field("fieldRef", 2, STRING, "Path of the field holding the expression.", required=True),
        Field("warning", 3, STRING, "The type-checking message.", required=True),
    ],
)

TypeChecking = Object(
    _PREFIX + "TypeChecking",
    "Results of type-checking a policy's expressions.",
    [
        Field(
            "expressionWarnings",
            1,
            ListOf(ExpressionWarning),
            "Warnings for each expression.",
            list_type="atomic",
        ),
    ],
)

ValidatingAdmissionPolicyStatus = Object(
    _PREFIX + "ValidatingAdmissionPolicyStatus",
    "The status of a ValidatingAdmissionPolicy.",
    [
        Field("observedGeneration", 1, INT64, "Generation observed by the controller."),
        Field("typeChecking", 2, TypeChecking, "Results of type-checking the expressions."),
        Field(
            "conditions",
            3,
            ListOf(Ref("io.k8s.apimachinery.pkg.apis.meta.v1.Condition")),
            "Latest observations of the policy's state.",
            list_type="map",
            list_map_keys=("type",),
        ),
    ],
)

ValidatingAdmissionPolicy = _KINDS.kind(
    "ValidatingAdmissionPolicy",
    "An admission policy that accepts or rejects objects without changing them.",
    [
        Field("metadata", 1, _OBJECT_META, "Standard object's metadata."),
        Field("spec", 2, ValidatingAdmissionPolicySpec, "Desired behavior of the policy."),
        Field("status", 3, ValidatingAdmissionPolicyStatus, "Status of the policy."),
    ],
)

ParamRef = Object(
    _PREFIX + "ParamRef",
    "How to find the parameters of a policy binding.",
    [
        Field("name", 1, STRING, "Name of the parameter resource; excludes selector."),
        Field("namespace", 2, STRING, "Namespace of the parameter resources."),
        Field("selector", 3, _LABEL_SELECTOR, "Labels of the parameter resources; excludes name."),
        Field(
            "parameterNotFoundAction",
            4,
            STRING,
            "What to do when no parameter matches: Allow or Deny.",
            enum=("Allow", "Deny"),
        ),
    ],
    atomic=True,
)

ValidatingAdmissionPolicyBindingSpec = Object(
    _PREFIX + "ValidatingAdmissionPolicyBindingSpec",
    "The specification of a ValidatingAdmissionPolicyBinding.",
    [
        Field("policyName", 1, STRING, "Name of the bound ValidatingAdmissionPolicy."),
        Field("paramRef", 2, ParamRef, "The parameter resource of the policy."),
        Field("matchResources", 3, MatchResources, "Resources validated by this binding."),
        Field(
            "validationActions",
            4,
            ListOf(STRING),
            "How failed validations are enforced: Deny, Warn and/or Audit.",
            list_type="set",
        ),
    ],
)

ValidatingAdmissionPolicyBinding = _KINDS.kind(
    "ValidatingAdmissionPolicyBinding",
    "Binds a ValidatingAdmissionPolicy to parameters and resources.",
    [
        Field("metadata", 1, _OBJECT_META, "Standard object's metadata."),
        Field("spec", 2, ValidatingAdmissionPolicyBindingSpec, "Desired behavior of the binding."),
    ],
)

ValidatingAdmissionPolicyList = list_kind(
    ValidatingAdmissionPolicy,
    "A list of ValidatingAdmissionPolicies.",
    "The ValidatingAdmissionPolicies.",
)
ValidatingAdmissionPolicyBindingList = list_kind(
    ValidatingAdmissionPolicyBinding,
    "A list of ValidatingAdmissionPolicyBindings.",
    "The ValidatingAdmissionPolicyBindings.",
)
