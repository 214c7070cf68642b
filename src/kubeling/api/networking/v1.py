"""networking.k8s.io/v1: Ingress, IngressClass and NetworkPolicy.

Field numbers come from ``k8s.io/api/networking/v1/generated.proto``. Two
numbering quirks are worth knowing: ``HTTPIngressPath.pathType`` is 3 while
``backend`` is 2, and ``IngressBackend.service`` is 4 (1 and 2 belonged to
the removed ``serviceName``/``servicePort``).

``IngressRule`` embeds ``IngressRuleValue`` inline in Go: in JSON ``http``
sits next to ``host``, while in protobuf it travels inside a nested message
(``IngressRule.ingressRuleValue = 2``, ``IngressRuleValue.http = 1``). So
``http`` is declared on the rule with proto 0 and the rule names
IngressRuleValue (declared for the protobuf codec only, never in OpenAPI)
with ``schema.Embedded``. ServiceCIDR and IPAddress are beta in 1.32 and are not
declared here.
"""

from __future__ import annotations

from kubeling.api.schema import (
    INT32,
    INT_OR_STRING,
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
    "HTTPIngressPath",
    "HTTPIngressRuleValue",
    "IPBlock",
    "Ingress",
    "IngressBackend",
    "IngressClass",
    "IngressClassList",
    "IngressClassParametersReference",
    "IngressClassSpec",
    "IngressList",
    "IngressLoadBalancerIngress",
    "IngressLoadBalancerStatus",
    "IngressPortStatus",
    "IngressRule",
    "IngressRuleValue",
    "IngressServiceBackend",
    "IngressSpec",
    "IngressStatus",
    "IngressTLS",
    "NetworkPolicy",
    "NetworkPolicyEgressRule",
    "NetworkPolicyIngressRule",
    "NetworkPolicyList",
    "NetworkPolicyPeer",
    "NetworkPolicyPort",
    "NetworkPolicySpec",
    "ServiceBackendPort",
]

GROUP = "networking.k8s.io"
VERSION = "v1"

_KINDS = Kinds("io.k8s.api.networking.v1.", GROUP, VERSION, TYPE_META_TERSE)
_OBJECT_META = Ref("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta")
_LABEL_SELECTOR = Ref("io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector")
_PROTOCOLS = ("SCTP", "TCP", "UDP")


# --- Ingress -----------------------------------------------------------------

ServiceBackendPort = Object(
    "io.k8s.api.networking.v1.ServiceBackendPort",
    "The service port being referenced, by name or number.",
    [
        Field("name", 1, STRING, "Name of the port on the Service; excludes number."),
        Field("number", 2, INT32, "Numerical port on the Service; excludes name."),
    ],
    atomic=True,
)

IngressServiceBackend = Object(
    "io.k8s.api.networking.v1.IngressServiceBackend",
    "A Service as an Ingress backend.",
    [
        Field("name", 1, STRING, "Name of the Service, in the Ingress's namespace.", required=True),
        Field("port", 2, ServiceBackendPort, "Port of the Service; a name or number is required."),
    ],
)

IngressBackend = Object(
    "io.k8s.api.networking.v1.IngressBackend",
    "All endpoints of one service and port, or another resource.",
    [
        Field(
            "resource",
            3,
            Ref("io.k8s.api.core.v1.TypedLocalObjectReference"),
            "Another resource in the Ingress's namespace; excludes service.",
        ),
        Field("service", 4, IngressServiceBackend, "A Service backend; excludes resource."),
    ],
)

HTTPIngressPath = Object(
    "io.k8s.api.networking.v1.HTTPIngressPath",
    "A path and the backend that requests matching it are forwarded to.",
    [
        Field("path", 1, STRING, "Path matched against incoming requests; must start with '/'."),
        Field(
            "backend",
            2,
            IngressBackend,
            "Service endpoint traffic is forwarded to.",
            required=True,
        ),
        Field(
            "pathType",
            3,
            STRING,
            "How the path is matched: Exact, Prefix or ImplementationSpecific.",
            required=True,
            enum=("Exact", "ImplementationSpecific", "Prefix"),
        ),
    ],
)

HTTPIngressRuleValue = Object(
    "io.k8s.api.networking.v1.HTTPIngressRuleValue",
    "A list of HTTP selectors pointing to backends.",
    [
        Field(
            "paths",
            1,
            ListOf(HTTPIngressPath),
            "Paths that map requests to backends.",
            required=True,
            list_type="atomic",
        ),
    ],
)

IngressRuleValue = Object(
    "io.k8s.api.networking.v1.IngressRuleValue",
    "The rules of a host, inlined in IngressRule (protobuf only: not an OpenAPI definition).",
    [Field("http", 1, HTTPIngressRuleValue, "HTTP rules for this host.")],
)

IngressRule = Object(
    "io.k8s.api.networking.v1.IngressRule",
    "Maps the paths under a host to backends.",
    [
        Field("host", 1, STRING, "Fully qualified domain name, or a '*.' wildcard, to match."),
        # Inline IngressRuleValue: protobuf field 2 of IngressRule, http = 1 inside it.
        Field("http", 0, HTTPIngressRuleValue, "HTTP rules for this host."),
    ],
    embedded=[Embedded(2, IngressRuleValue, "ingressRuleValue")],
)

IngressTLS = Object(
    "io.k8s.api.networking.v1.IngressTLS",
    "The TLS configuration of an Ingress.",
    [
        Field(
            "hosts",
            1,
            ListOf(STRING),
            "Hosts included in the TLS certificate.",
            list_type="atomic",
        ),
        Field("secretName", 2, STRING, "Secret used to terminate TLS on port 443."),
    ],
)

IngressSpec = Object(
    "io.k8s.api.networking.v1.IngressSpec",
    "The Ingress the user wishes to exist.",
    [
        Field(
            "defaultBackend",
            1,
            IngressBackend,
            "Backend for requests that match no rule.",
        ),
        Field(
            "tls",
            2,
            ListOf(IngressTLS),
            "TLS configuration; hosts are multiplexed on port 443 by SNI.",
            list_type="atomic",
        ),
        Field(
            "rules",
            3,
            ListOf(IngressRule),
            "Host rules; unmatched traffic goes to the default backend.",
            list_type="atomic",
        ),
        Field("ingressClassName", 4, STRING, "Name of the IngressClass serving this Ingress."),
    ],
)

IngressPortStatus = Object(
    "io.k8s.api.networking.v1.IngressPortStatus",
    "The error condition of a service port.",
    [
        Field("port", 1, INT32, "Port number of the ingress port.", required=True),
        Field(
            "protocol",
            2,
            STRING,
            "Protocol of the ingress port.",
            required=True,
            enum=_PROTOCOLS,
        ),
        Field("error", 3, STRING, "The problem with the service port, in CamelCase."),
    ],
)

IngressLoadBalancerIngress = Object(
    "io.k8s.api.networking.v1.IngressLoadBalancerIngress",
    "The status of a load-balancer ingress point.",
    [
        Field("ip", 1, STRING, "IP of an IP-based load-balancer ingress point."),
        Field("hostname", 2, STRING, "Hostname of a DNS-based load-balancer ingress point."),
        Field(
            "ports",
            4,
            ListOf(IngressPortStatus),
            "Ports exposed by this load balancer.",
            list_type="atomic",
        ),
    ],
)

IngressLoadBalancerStatus = Object(
    "io.k8s.api.networking.v1.IngressLoadBalancerStatus",
    "The status of a load balancer.",
    [
        Field(
            "ingress",
            1,
            ListOf(IngressLoadBalancerIngress),
            "Ingress points of the load balancer.",
            list_type="atomic",
        ),
    ],
)

IngressStatus = Object(
    "io.k8s.api.networking.v1.IngressStatus",
    "The current state of an Ingress.",
    [Field("loadBalancer", 1, IngressLoadBalancerStatus, "Status of the load balancer.")],
)

Ingress = _KINDS.kind(
    "Ingress",
    "Rules that let inbound connections reach the endpoints of backends.",
    [
        Field("metadata", 1, _OBJECT_META, "Standard object's metadata."),
        Field("spec", 2, IngressSpec, "Desired state of the Ingress."),
        Field("status", 3, IngressStatus, "Current state of the Ingress."),
    ],
)

IngressList = list_kind(Ingress, "A list of Ingresses.", "The Ingresses.")

# --- IngressClass ------------------------------------------------------------

IngressClassParametersReference = Object(
    "io.k8s.api.networking.v1.IngressClassParametersReference",
    "A cluster- or namespace-scoped object holding controller parameters.",
    [
        Field("apiGroup", 1, STRING, "API group of the referent; empty means the core group."),
        Field("kind", 2, STRING, "Kind of the referent.", required=True),
        Field("name", 3, STRING, "Name of the referent.", required=True),
        Field("scope", 4, STRING, "Cluster (default) or Namespace."),
        Field("namespace", 5, STRING, "Namespace of the referent, when scope is Namespace."),
    ],
)

IngressClassSpec = Object(
    "io.k8s.api.networking.v1.IngressClassSpec",
    "Information about the class of an Ingress.",
    [
        Field("controller", 1, STRING, "Name of the controller handling this class; immutable."),
        Field(
            "parameters",
            2,
            IngressClassParametersReference,
            "Custom resource with extra configuration for the controller.",
        ),
    ],
)

IngressClass = _KINDS.kind(
    "IngressClass",
    "The class of an Ingress, naming the controller that implements it.",
    [
        Field("metadata", 1, _OBJECT_META, "Standard object's metadata."),
        Field("spec", 2, IngressClassSpec, "Desired state of the IngressClass."),
    ],
)

IngressClassList = list_kind(IngressClass, "A list of IngressClasses.", "The IngressClasses.")

# --- NetworkPolicy -----------------------------------------------------------

IPBlock = Object(
    "io.k8s.api.networking.v1.IPBlock",
    "A CIDR allowed as a peer, minus excepted CIDRs.",
    [
        Field("cidr", 1, STRING, "The CIDR, e.g. 192.168.1.0/24 or 2001:db8::/64.", required=True),
        Field(
            "except",
            2,
            ListOf(STRING),
            "CIDRs inside cidr that are not included.",
            list_type="atomic",
        ),
    ],
)

NetworkPolicyPeer = Object(
    "io.k8s.api.networking.v1.NetworkPolicyPeer",
    "A peer to allow traffic to or from.",
    [
        Field("podSelector", 1, _LABEL_SELECTOR, "Pods selected as peers; empty selects all."),
        Field(
            "namespaceSelector",
            2,
            _LABEL_SELECTOR,
            "Namespaces selected as peers; empty selects all.",
        ),
        Field("ipBlock", 3, IPBlock, "An IP block; excludes the selectors."),
    ],
)

NetworkPolicyPort = Object(
    "io.k8s.api.networking.v1.NetworkPolicyPort",
    "A port to allow traffic on.",
    [
        Field(
            "protocol",
            1,
            STRING,
            "Protocol the traffic must match; defaults to TCP.",
            enum=_PROTOCOLS,
        ),
        Field("port", 2, INT_OR_STRING, "Numerical or named port; unset matches all ports."),
        Field("endPort", 3, INT32, "Last port of the range starting at port, inclusive."),
    ],
)

NetworkPolicyIngressRule = Object(
    "io.k8s.api.networking.v1.NetworkPolicyIngressRule",
    "Traffic allowed to the selected pods; must match both ports and from.",
    [
        Field(
            "ports",
            1,
            ListOf(NetworkPolicyPort),
            "Ports to allow; empty allows all.",
            list_type="atomic",
        ),
        Field(
            "from",
            2,
            ListOf(NetworkPolicyPeer),
            "Sources to allow; empty allows all.",
            list_type="atomic",
        ),
    ],
)

NetworkPolicyEgressRule = Object(
    "io.k8s.api.networking.v1.NetworkPolicyEgressRule",
    "Traffic allowed out of the selected pods; must match both ports and to.",
    [
        Field(
            "ports",
            1,
            ListOf(NetworkPolicyPort),
            "Destination ports to allow; empty allows all.",
            list_type="atomic",
        ),
        Field(
            "to",
            2,
            ListOf(NetworkPolicyPeer),
            "Destinations to allow; empty allows all.",
            list_type="atomic",
        ),
    ],
)

NetworkPolicySpec = Object(
    "io.k8s.api.networking.v1.NetworkPolicySpec",
    "The specification of a NetworkPolicy.",
    [
        Field(
            "podSelector",
            1,
            _LABEL_SELECTOR,
            "Pods this policy applies to; empty selects all in the namespace.",
            required=True,
        ),
        Field(
            "ingress",
            2,
            ListOf(NetworkPolicyIngressRule),
            "Ingress rules; empty isolates the selected pods.",
            list_type="atomic",
        ),
        Field(
            "egress",
            3,
            ListOf(NetworkPolicyEgressRule),
            "Egress rules; empty limits all outgoing traffic.",
            list_type="atomic",
        ),
        Field(
            "policyTypes",
            4,
            ListOf(STRING),
            "Rule types the policy relates to: Ingress, Egress or both.",
            list_type="atomic",
        ),
    ],
)

NetworkPolicy = _KINDS.kind(
    "NetworkPolicy",
    "What network traffic is allowed for a set of pods.",
    [
        Field("metadata", 1, _OBJECT_META, "Standard object's metadata."),
        Field("spec", 2, NetworkPolicySpec, "Desired behavior of this NetworkPolicy."),
    ],
)

NetworkPolicyList = list_kind(NetworkPolicy, "A list of NetworkPolicies.", "The NetworkPolicies.")
