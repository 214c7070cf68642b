"""Whether a certificate request is a kubelet's: Kubernetes' ``ValidateKubeletClientCSR`` and
``ValidateKubeletServingCSR`` (``pkg/apis/certificates/helpers.go``).

Both are pure: a request's contents (:class:`~kubeling.pki.CsrContents`) and its usages in, the
first rule broken out, with Kubernetes' message, in Kubernetes' order:

- *client* (signer ``kubernetes.io/kube-apiserver-client-kubelet``): organization exactly
  ``[system:nodes]``; no DNS, email, IP or URI subject alternative name; CN beginning with
  ``system:node:``; usages exactly {digital signature, client auth} (+ key encipherment);
- *serving* (signer ``kubernetes.io/kubelet-serving``): organization exactly
  ``[system:nodes]``; at least one DNS or IP subject alternative name; no email or URI one;
  usages exactly {digital signature, server auth} (+ key encipherment); CN beginning with
  ``system:node:``.

>>> from kubeling.pki import CsrContents
>>> request = CsrContents("system:node:n1", ("system:nodes",), ip_addresses=("10.0.0.1",))
>>> kubelet_serving_csr_problem(request, ["digital signature", "server auth"]) is None
True
>>> kubelet_serving_csr_problem(request, ["server auth"])
'usages did not match [digital signature key encipherment server auth]'
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Final

from kubeling.pki import CsrContents

__all__ = [
    "KUBELET_CLIENT_SIGNER",
    "KUBELET_SERVING_SIGNER",
    "kubelet_client_csr_problem",
    "kubelet_serving_csr_problem",
]

KUBELET_CLIENT_SIGNER: Final = "kubernetes.io/kube-apiserver-client-kubelet"
KUBELET_SERVING_SIGNER: Final = "kubernetes.io/kubelet-serving"

_NODES_GROUP: Final = ("system:nodes",)
_NODE_PREFIX: Final = "system:node:"
_ORGANIZATION: Final = "subject organization is not system:nodes"
_COMMON_NAME: Final = "subject common name does not begin with system:node:"
# kubeletClientRequiredUsages(NoRSA), kubeletServingRequiredUsages(NoRSA): an RSA key also
# enciphers, an ECDSA key only signs.
_CLIENT_USAGES: Final = frozenset({"digital signature", "key encipherment", "client auth"})
_SERVING_USAGES: Final = frozenset({"digital signature", "key encipherment", "server auth"})


def kubelet_client_csr_problem(request: CsrContents, usages: Collection[str]) -> str | None:
    """Why ``request`` is not a kubelet client certificate request (None: it is one)."""
    if request.organizations != _NODES_GROUP:
        return _ORGANIZATION
    for present, kind in (
        (request.dns_names, "DNS"),
        (request.emails, "Email"),
        (request.ip_addresses, "IP"),
        (request.uris, "URI"),
    ):
        if present:
            return f"{kind} subjectAltNames are not allowed"
    if not request.common_name.startswith(_NODE_PREFIX):
        return _COMMON_NAME
    return _usages_problem(usages, _CLIENT_USAGES)


def kubelet_serving_csr_problem(request: CsrContents, usages: Collection[str]) -> str | None:
    """Why ``request`` is not a kubelet serving certificate request (None: it is one)."""
    if request.organizations != _NODES_GROUP:
        return _ORGANIZATION
    if not request.dns_names and not request.ip_addresses:
        return "DNS or IP subjectAltName is required"
    if request.emails:
        return "Email subjectAltNames are not allowed"
    if request.uris:
        return "URI subjectAltNames are not allowed"
    problem = _usages_problem(usages, _SERVING_USAGES)
    if problem is not None:
        return problem
    if not request.common_name.startswith(_NODE_PREFIX):
        return _COMMON_NAME
    return None


def _usages_problem(usages: Collection[str], required: frozenset[str]) -> str | None:
    """``usages`` must be ``required``, or ``required`` without key encipherment."""
    given = frozenset(usages)
    if given == required or given == required - {"key encipherment"}:
        return None
    # Go prints the sorted set of the required usages (sets.String.List) with %v.
    return f"usages did not match [{' '.join(sorted(required))}]"
