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
from kubeling.pki import CsrError, Pki, client_csr_identity, sign_client_csr

__all__ = ["CACERTS_PATH", "JOIN_PATH", "KUBELET_CLIENT_SIGNER", "NodeJoin"]

log = logging.getLogger(__name__)

CACERTS_PATH: Final = "/cacerts"
JOIN_PATH: Final = "/kubeling/v1/join"
KUBELET_CLIENT_SIGNER: Final = "kubernetes.io/kube-apiserver-client-kubelet"
NODE_PREFIX: Final = "system:node:"
NODES_GROUP: Final = "system:nodes"
_CSR_KIND: Final = "CertificateSigningRequest"
_CSR_GROUP_KIND: Final = "CertificateSigningRequest.certificates.k8s.io"
_CSR_API_VERSION: Final = "certificates.k8s.io/v1"
# Kubernetes' kubeletClientRequiredUsages and kubeletClientRequiredUsagesNoRSA.
_USAGES_RSA: Final = frozenset({"digital signature", "key encipherment", "client auth"})
_USAGES: Final = frozenset({"digital signature", "client auth"})

Obj = dict[str, Any]


class NodeJoin:
    """The two join paths (see the module docstring), over the cluster's PKI and the Secrets
    ``lookup`` reads."""

    paths: Final = frozenset({CACERTS_PATH, JOIN_PATH})

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
        csr, pem = _csr_body(await request.read())
        name = str((csr.get("metadata") or {}).get("name") or "")
        if not name:
            name = "node-csr-" + secrets.token_urlsafe(12).replace("_", "a").replace("-", "b")
        spec: Obj = csr["spec"]
        node = await asyncio.to_thread(_check_kubelet_client_csr, name, spec, pem)
        _, cert_pem = await asyncio.to_thread(sign_client_csr, self._pki, pem)
        now = format_time(self._clock().timestamp())
        log.info("node %s joined with a bootstrap token (%s)", node, user)
        answer: Obj = {
            "apiVersion": _CSR_API_VERSION,
            "kind": _CSR_KIND,
            "metadata": {"name": name, "creationTimestamp": now},
            "spec": {**spec, "username": user, "groups": list(groups)},
            "status": {
                "conditions": [
                    {
                        "type": "Approved",
                        "status": "True",
                        "reason": "AutoApproved",
                        "message": "Auto approving kubelet client certificate after "
                        "SubjectAccessReview.",
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


def _csr_body(raw: bytes) -> tuple[Obj, bytes]:
    """The CertificateSigningRequest of a join request, and its request (PEM) decoded."""
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
    if spec.get("signerName") != KUBELET_CLIENT_SIGNER:
        problems.append(
            fe.not_supported("spec.signerName", spec.get("signerName"), [KUBELET_CLIENT_SIGNER])
        )
    usages = spec.get("usages")
    if not isinstance(usages, list) or not all(isinstance(u, str) for u in usages):
        problems.append(fe.required("spec.usages"))
    if problems:
        raise errors.invalid(
            _CSR_GROUP_KIND, str((body.get("metadata") or {}).get("name") or ""), problems
        )
    return body, pem


def _check_kubelet_client_csr(name: str, spec: Obj, pem: bytes) -> str:
    """The node a kubelet client request is for; 422 unless Kubernetes would approve it."""

    def refuse(detail: str) -> errors.StatusError:
        return errors.invalid(
            _CSR_GROUP_KIND, name, [fe.invalid("spec.request", fe.OMIT_VALUE, detail)]
        )

    try:
        identity = client_csr_identity(pem)
    except CsrError as error:
        raise refuse(str(error)) from None
    if list(identity.groups) != [NODES_GROUP]:
        raise refuse("subject organization is not system:nodes")
    if not identity.user.startswith(NODE_PREFIX):
        raise refuse(f"subject common name does not begin with {NODE_PREFIX}")
    node = identity.user.removeprefix(NODE_PREFIX)
    if not node or is_dns1123_subdomain(node):
        raise refuse(f"{node!r} is not a valid node name (a DNS-1123 subdomain)")
    usages = set(spec["usages"])
    if usages != _USAGES and usages != _USAGES_RSA:
        raise errors.invalid(
            _CSR_GROUP_KIND,
            name,
            [fe.invalid("spec.usages", fe.OMIT_VALUE, f"usages did not match {sorted(usages)}")],
        )
    return node
