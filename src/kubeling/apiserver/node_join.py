"""Joining a node: the cluster CA for discovery, and a kubelet client certificate for a token.

Kubernetes' TLS bootstrap has a new kubelet authenticate with a bootstrap token, create a
``CertificateSigningRequest`` (certificates.k8s.io/v1, signer
``kubernetes.io/kube-apiserver-client-kubelet``), and wait until the controller manager's
csrapproving controller approves it and its csrsigning controller signs it with the cluster
CA. kubeling has no certificates API yet, so this module is kubeling's own shortcut with the
same pieces and the same rules, answered in one request (see docs/kubelet.md):

- ``GET /cacerts``: the cluster CA (PEM), to anyone, as k3s serves it: it is public, and the
  agent checks it against the pin it was given (``--ca-cert-hash sha256:...``, kubeadm's
  ``--discovery-token-ca-cert-hash``) before it sends its token anywhere.
- ``POST /kubeling/v1/join`` with ``Authorization: Bearer <bootstrap token>`` and a
  ``CertificateSigningRequest`` body: the token must be valid
  (:func:`~kubeling.api.bootstraptoken.check_token_secret`), else 401 Unauthorized; the
  request is checked as Kubernetes' approver checks a kubelet client CSR
  (``ValidateKubeletClientCSR``: O exactly ``system:nodes``, CN ``system:node:<node name>``,
  no SANs, usages ``digital signature`` + ``client auth`` (+ ``key encipherment``), signer
  ``kubernetes.io/kube-apiserver-client-kubelet``), else 422 Invalid; then it is signed by
  the cluster CA and returned approved (condition ``Approved``, reason ``AutoApproved``) with
  ``status.certificate``. The private key never leaves the node.

Neither path needs the caller's client certificate, so the app serves them before its own
authentication.

A joined node then gets its **serving** certificate (for the kubelet's HTTPS server on 10250)
as a kubelet with ``serverTLSBootstrap`` does, with the client certificate it just got:

- ``POST /kubeling/v1/kubelet-serving`` with a ``CertificateSigningRequest`` for the signer
  ``kubernetes.io/kubelet-serving``, served *after* authentication: the caller must be a node
  (``system:node:<name>`` in ``system:nodes``; anyone else gets 403 Forbidden, a bootstrap
  token included); the request is checked as Kubernetes checks a kubelet serving CSR
  (``ValidateKubeletServingCSR``, :mod:`kubeling.apiserver.kubelet_csr`: O exactly
  ``system:nodes``, a DNS or IP SAN, no email or URI SAN, usages ``digital signature`` +
  ``server auth`` (+ ``key encipherment``), CN ``system:node:...``), else 422 Invalid; its CN
  must be the caller's own name (a node gets a serving certificate for itself only, the rule
  the approvers of kubelet serving CSRs apply; 403 otherwise) and its DNS names must not be the
  API server's (``kubernetes``, ``kubernetes.*``: k0s's approver refuses them too); then it
  is signed by the cluster CA (subject, key and DNS/IP SANs of the request, usage serverAuth)
  and returned approved. The same call renews it: a restarted node whose serving certificate
  is missing, expiring or names other addresses asks again with its client certificate.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import datetime
import json
import logging
import secrets
from collections.abc import Callable
from typing import Any, Final

from aiohttp import web

from kubeling.api import errors
from kubeling.api import field as fe
from kubeling.api.authentication.node_identity import node_identity
from kubeling.api.authentication.user import UserInfo
from kubeling.api.bootstraptoken import (
    NAMESPACE,
    SECRET_PREFIX,
    InvalidTokenError,
    check_token_secret,
    parse_token,
)
from kubeling.api.naming import is_dns1123_subdomain
from kubeling.api.timestamps import format_time
from kubeling.apiserver.auth.serviceaccount_tokens import ObjectLookup
from kubeling.apiserver.kubelet_csr import (
    KUBELET_CLIENT_SIGNER,
    KUBELET_SERVING_SIGNER,
    kubelet_client_csr_problem,
    kubelet_serving_csr_problem,
)
from kubeling.pki import CsrError, Pki, read_csr, sign_client_csr, sign_serving_csr

__all__ = [
    "CACERTS_PATH",
    "JOIN_PATH",
    "KUBELET_CLIENT_SIGNER",
    "KUBELET_SERVING_SIGNER",
    "SERVING_PATH",
    "NodeJoin",
]

log = logging.getLogger(__name__)

CACERTS_PATH: Final = "/cacerts"
JOIN_PATH: Final = "/kubeling/v1/join"
SERVING_PATH: Final = "/kubeling/v1/kubelet-serving"
NODE_PREFIX: Final = "system:node:"
_CSR_KIND: Final = "CertificateSigningRequest"
_CSR_GROUP_KIND: Final = "CertificateSigningRequest.certificates.k8s.io"
_CSR_API_VERSION: Final = "certificates.k8s.io/v1"
_CSR_RESOURCE: Final = "certificatesigningrequests.certificates.k8s.io"

Obj = dict[str, Any]


class NodeJoin:
    """The join paths (see the module docstring), over the cluster's PKI and the Secrets
    ``lookup`` reads."""

    #: Served before authentication (:meth:`handle`).
    paths: Final = frozenset({CACERTS_PATH, JOIN_PATH})
    #: Served to an authenticated user (:meth:`handle_serving`).
    serving_path: Final = SERVING_PATH

    def __init__(
        self,
        pki: Pki,
        lookup: ObjectLookup,
        *,
        clock: Callable[[], datetime.datetime] = lambda: datetime.datetime.now(datetime.UTC),
    ) -> None:
        self._pki = pki
        self._ca_pem = pki.ca_pem()
        self._lookup = lookup
        self._clock = clock

    async def handle(self, request: web.Request) -> web.Response:
        if request.path == CACERTS_PATH:
            if request.method not in ("GET", "HEAD"):
                raise errors.method_not_supported("cacerts", request.method)
            return web.Response(body=self._ca_pem, content_type="application/x-pem-file")
        if request.method != "POST":
            raise errors.method_not_supported("join", request.method)
        user, groups = await self._authenticate(request)
        csr, pem = _csr_body(await request.read(), KUBELET_CLIENT_SIGNER)
        name = _csr_name(csr)
        spec: Obj = csr["spec"]
        node = await asyncio.to_thread(_check_kubelet_client_csr, name, spec, pem)
        try:
            _, cert_pem = await asyncio.to_thread(sign_client_csr, self._pki, pem)
        except CsrError as error:  # e.g. extensions other than SANs: not signed as asked
            raise _refuse(name, str(error)) from None
        log.info("node %s joined with a bootstrap token (%s)", node, user)
        return self._approved(
            name,
            spec,
            UserInfo(user, groups=tuple(groups)),
            cert_pem,
            "Auto approving kubelet client certificate after SubjectAccessReview.",
        )

    async def handle_serving(self, request: web.Request, user: UserInfo) -> web.Response:
        """``POST /kubeling/v1/kubelet-serving`` by the authenticated ``user``: a node's own
        serving certificate (see the module docstring)."""
        if request.method != "POST":
            raise errors.method_not_supported("kubelet-serving", request.method)
        node = node_identity(user)
        if not node.is_node or not node.name:
            raise errors.forbidden(
                _CSR_RESOURCE,
                "",
                f"User {user.name!r} is not a node: only a node gets a kubelet serving "
                "certificate, for itself",
            )
        csr, pem = _csr_body(await request.read(), KUBELET_SERVING_SIGNER)
        name = _csr_name(csr)
        spec: Obj = csr["spec"]
        await asyncio.to_thread(_check_kubelet_serving_csr, name, spec, pem, user.name)
        cert_pem = await asyncio.to_thread(sign_serving_csr, self._pki, pem)
        log.info("node %s got a kubelet serving certificate", node.name)
        return self._approved(
            name,
            spec,
            user,
            cert_pem,
            "Auto approving kubelet serving certificate for its own node.",
        )

    def _approved(
        self, name: str, spec: Obj, user: UserInfo, cert_pem: bytes, message: str
    ) -> web.Response:
        """The request as Kubernetes shows it once approved and signed (201)."""
        now = format_time(self._clock().timestamp())
        answer: Obj = {
            "apiVersion": _CSR_API_VERSION,
            "kind": _CSR_KIND,
            "metadata": {"name": name, "creationTimestamp": now},
            "spec": {**spec, "username": user.name, "groups": list(user.groups)},
            "status": {
                "conditions": [
                    {
                        "type": "Approved",
                        "status": "True",
                        "reason": "AutoApproved",
                        "message": message,
                        "lastUpdateTime": now,
                        "lastTransitionTime": now,
                    }
                ],
                "certificate": base64.b64encode(cert_pem).decode(),
            },
        }
        return web.json_response(answer, status=201)

    async def _authenticate(self, request: web.Request) -> tuple[str, tuple[str, ...]]:
        """The bootstrap token's user and groups; 401 for anything else (and the reason only in
        the log: nobody learns which tokens exist)."""
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise errors.unauthorized("Unauthorized")
        try:
            token_id, _ = parse_token(token)
            secret = await self._lookup("Secret", NAMESPACE, SECRET_PREFIX + token_id)
            if secret is None:
                raise InvalidTokenError(f"no Secret {NAMESPACE}/{SECRET_PREFIX}{token_id}")
            return check_token_secret(secret, token, now=self._clock())
        except InvalidTokenError as refused:
            log.info("join refused: %s", refused)
            raise errors.unauthorized("Unauthorized") from None


def _csr_name(csr: Obj) -> str:
    """The request's name, or a new one (``node-csr-<random>``, as the kubelet names them)."""
    name = str((csr.get("metadata") or {}).get("name") or "")
    if name:
        return name
    return "node-csr-" + secrets.token_urlsafe(12).replace("_", "a").replace("-", "b")


def _csr_body(raw: bytes, signer: str) -> tuple[Obj, bytes]:
    """The CertificateSigningRequest of a request for ``signer``, and its request (PEM)
    decoded."""
    try:
        body = json.loads(raw)
    except ValueError:
        raise errors.bad_request("the request body is not a JSON object") from None
    if not isinstance(body, dict):
        raise errors.bad_request("the request body is not a JSON object")
    if body.get("kind") != _CSR_KIND or body.get("apiVersion") != _CSR_API_VERSION:
        raise errors.bad_request(f"the request body must be a {_CSR_API_VERSION} {_CSR_KIND}")
    spec = body.get("spec")
    if not isinstance(spec, dict):
        raise errors.invalid(_CSR_GROUP_KIND, "", [fe.required("spec")])
    request = spec.get("request")
    problems: list[fe.FieldError] = []
    pem = b""
    if not isinstance(request, str) or not request:
        problems.append(fe.required("spec.request"))
    else:
        try:
            pem = base64.b64decode(request, validate=True)
        except (binascii.Error, ValueError):
            problems.append(fe.invalid("spec.request", fe.OMIT_VALUE, "not base64-encoded"))
    if spec.get("signerName") != signer:
        problems.append(fe.not_supported("spec.signerName", spec.get("signerName"), [signer]))
    usages = spec.get("usages")
    if not isinstance(usages, list) or not all(isinstance(u, str) for u in usages):
        problems.append(fe.required("spec.usages"))
    if problems:
        raise errors.invalid(
            _CSR_GROUP_KIND, str((body.get("metadata") or {}).get("name") or ""), problems
        )
    return body, pem


def _refuse(name: str, detail: str) -> errors.StatusError:
    """422 for a request Kubernetes' kubelet CSR rules refuse: the usages, or the request."""
    path = "spec.usages" if detail.startswith("usages") else "spec.request"
    return errors.invalid(_CSR_GROUP_KIND, name, [fe.invalid(path, fe.OMIT_VALUE, detail)])


def _check_kubelet_client_csr(name: str, spec: Obj, pem: bytes) -> str:
    """The node a kubelet client request is for; 422 unless Kubernetes would approve it."""
    try:
        request = read_csr(pem)
    except CsrError as error:
        raise _refuse(name, str(error)) from None
    problem = kubelet_client_csr_problem(request, spec["usages"])
    if problem is not None:
        raise _refuse(name, problem)
    node = request.common_name.removeprefix(NODE_PREFIX)
    if not node or is_dns1123_subdomain(node):
        raise _refuse(name, f"{node!r} is not a valid node name (a DNS-1123 subdomain)")
    return node


def _check_kubelet_serving_csr(name: str, spec: Obj, pem: bytes, requester: str) -> None:
    """422 unless Kubernetes would take ``pem`` for a kubelet serving request; 403 unless it
    is for the ``requester``'s own node and stays off the API server's names."""
    try:
        request = read_csr(pem)
    except CsrError as error:
        raise _refuse(name, str(error)) from None
    problem = kubelet_serving_csr_problem(request, spec["usages"])
    if problem is not None:
        raise _refuse(name, problem)
    node = requester.removeprefix(NODE_PREFIX)
    if request.common_name != requester:
        raise errors.forbidden(
            _CSR_RESOURCE,
            name,
            f"node {node!r} may only request a serving certificate for itself "
            f"({requester}), not for {request.common_name}",
        )
    reserved = [n for n in request.dns_names if n == "kubernetes" or n.startswith("kubernetes.")]
    if reserved:
        raise errors.forbidden(
            _CSR_RESOURCE,
            name,
            f"node {node!r} may not name the API server in its serving certificate: {reserved[0]}",
        )
