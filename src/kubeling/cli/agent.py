"""``kubeling agent``: a further node, joined to a cluster with a bootstrap token.

What it does, in order:

1. **Credentials.** If ``<data-dir>/kubelet.kubeconfig`` holds a certificate for this node and
   this server that the CA still vouches for, it is used as it is (a restarted agent needs no
   token). Otherwise the agent joins:

   a. *discovery*: ``GET <server>/cacerts`` without verifying the server (it has no CA yet);
      the CA is accepted only if its public key's SHA-256 is the ``--ca-cert-hash`` pin
      (kubeadm's ``--discovery-token-ca-cert-hash``, which ``kubeling token create
      --print-join-command`` prints). Without a pin the CA is trusted as first seen, with a
      warning (kubeadm's ``--discovery-token-unsafe-skip-ca-verification``);
   b. *TLS bootstrap*: a new key is made here and never leaves the node; a
      CertificateSigningRequest for ``CN=system:node:<node>, O=system:nodes`` goes to
      ``POST <server>/kubeling/v1/join`` over TLS verified with that CA, with the token as
      bearer; the answer carries the signed certificate
      (:mod:`kubeling.apiserver.node_join`);
   c. the kubeconfig is written (0600) with the CA, the certificate and the key.

2. **Serving certificate** (the kubelet's ``serverTLSBootstrap``): if
   ``<data-dir>/kubelet/pki/kubelet.crt`` is signed by the cluster CA, has at least 30 days
   left and names the node's address and names, it is kept. Otherwise a new key is made here
   and a CertificateSigningRequest for the signer ``kubernetes.io/kubelet-serving``
   (``CN=system:node:<node>, O=system:nodes``, SANs: the node's IP, its name and the host's
   name) goes to ``POST <server>/kubeling/v1/kubelet-serving``, authenticated with the node's
   client certificate: a node may only get one for itself. So a restarted agent renews it
   without a token.

3. **The kubelet** runs with that kubeconfig as ``system:node:<node>``: it registers the Node
   and runs the pods bound to it, with its state in ``<data-dir>/kubelet``, and serves logs,
   exec, attach and port-forward over HTTPS on the node's IP, port ``--kubelet-port`` (10250
   by default, or a free one when that is taken: the Node reports the port it got in
   ``status.daemonEndpoints``, which the API server dials). Several agents with distinct node
   names and data dirs run side by side on one machine, on distinct node IPs
   (127.0.0.2, 127.0.0.3, ...) or distinct ports.

4. **Stop** (SIGINT/SIGTERM): the kubelet stops every container of the node (as ``kubeling
   up`` does: no process outlives the agent), then the agent exits 0.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import datetime
import hmac
import ipaddress
import json
import logging
import signal
import socket
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import aiohttp
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization

from kubeling.api import errors
from kubeling.api.naming import is_dns1123_subdomain
from kubeling.apiserver.node_join import (
    CACERTS_PATH,
    JOIN_PATH,
    KUBELET_CLIENT_SIGNER,
    KUBELET_SERVING_SIGNER,
    SERVING_PATH,
)
from kubeling.cli.kubeconfig import KubeconfigError, load_kubeconfig, write_kubeconfig
from kubeling.cli.kubelet_serving import serving_config, serving_files, write_serving_files
from kubeling.client import ApiClient, ClientConfig, TransportError
from kubeling.kubelet import KubeletConfig, default_node_ip, run_kubelet
from kubeling.kubelet.server.server import DEFAULT_PORT as DEFAULT_KUBELET_PORT
from kubeling.pki import (
    ca_cert_hash,
    identity_from_cert,
    new_client_csr,
    new_serving_csr,
    serving_cert_usable,
    write_atomic,
)

__all__ = ["AgentOptions", "JoinError", "ensure_serving_cert", "join", "run_agent"]

log = logging.getLogger(__name__)

KUBECONFIG_NAME: Final = "kubelet.kubeconfig"
_TIMEOUT: Final = aiohttp.ClientTimeout(total=30)


class JoinError(Exception):
    """Joining the cluster failed; the message says why."""


@dataclass(frozen=True, slots=True)
class AgentOptions:
    server: str
    token: str
    node_name: str
    data_dir: Path
    #: ``sha256:<hex>``: the cluster CA's public key pin; "" trusts the CA first seen.
    ca_cert_hash: str = ""
    node_ip: str = ""
    #: The kubelet's HTTPS port; None: 10250, or a free one if 10250 is taken on the node IP.
    kubelet_port: int | None = None
    node_labels: Mapping[str, str] = field(default_factory=dict)
    cgroups: bool = True
    #: The kubelet's DNS settings for pods (``--cluster-dns``, ``--cluster-domain``,
    #: ``--resolv-conf``): by default the cluster DNS of ``kubeling up``.
    cluster_dns: tuple[str, ...] = ("127.96.0.10",)
    cluster_domain: str = "cluster.local"
    resolv_conf: str = "/etc/resolv.conf"

    @property
    def kubeconfig(self) -> Path:
        return self.data_dir / KUBECONFIG_NAME


def node_user(node_name: str) -> str:
    return f"system:node:{node_name}"


async def run_agent(options: AgentOptions, *, stop: asyncio.Event | None = None) -> int:
    """Join (unless already joined), then run the node until ``stop`` or a signal."""
    node_ip = options.node_ip or default_node_ip()
    try:
        ipaddress.ip_address(node_ip)
    except ValueError:
        raise JoinError(f"--node-ip {node_ip!r} is not an IP address") from None
    await asyncio.to_thread(options.data_dir.mkdir, parents=True, exist_ok=True)
    kubeconfig = options.kubeconfig
    if not await asyncio.to_thread(_joined, kubeconfig, options.server, options.node_name):
        ca_pem, cert_pem, key_pem = await join(
            options.server, options.token, options.node_name, ca_pin=options.ca_cert_hash
        )
        await asyncio.to_thread(
            write_kubeconfig,
            kubeconfig,
            server_url=options.server,
            ca_pem=ca_pem,
            client_cert_pem=cert_pem,
            client_key_pem=key_pem,
            user=node_user(options.node_name),
        )
        log.info("node %s joined %s", options.node_name, options.server)
    client_config = ClientConfig.from_kubeconfig(load_kubeconfig(kubeconfig))
    root_dir = options.data_dir.resolve() / "kubelet"
    cert, key, ca = await ensure_serving_cert(
        client_config, node_name=options.node_name, node_ip=node_ip, root_dir=root_dir
    )
    server = serving_config(
        cert,
        key,
        ca,
        # The node's own address: agents on one machine with distinct node IPs share the port.
        bind_address=node_ip,
        port=DEFAULT_KUBELET_PORT if options.kubelet_port is None else options.kubelet_port,
    )
    config = KubeletConfig(
        node_name=options.node_name,
        root_dir=root_dir,
        node_ip=node_ip,
        node_labels=dict(options.node_labels),
        # Like `kubeling up`: the node's containers end with the agent.
        stop_pods_on_exit=True,
        kubelet_port_fallback=options.kubelet_port is None,
        cgroups=options.cgroups,
        cluster_dns=options.cluster_dns,
        cluster_domain=options.cluster_domain,
        resolv_conf=options.resolv_conf,
    )
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    kubelet = asyncio.create_task(run_kubelet(config, client_config, server), name="kubelet")
    print(
        f"kubeling agent: node {options.node_name} joined {options.server}; "
        f"kubeconfig: {kubeconfig}",
        flush=True,
    )
    stopping = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait({kubelet, stopping}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        stopping.cancel()
        kubelet.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await kubelet  # a kubelet that failed raises its error here
    return 0


def _joined(kubeconfig: Path, server: str, node_name: str) -> bool:
    """Whether ``kubeconfig`` already holds this node's certificate for ``server``, issued by
    its CA and not expired."""
    if not kubeconfig.exists():
        return False
    try:
        config = load_kubeconfig(kubeconfig)
    except KubeconfigError as err:
        log.warning("%s is unusable (%s): joining again", kubeconfig, err)
        return False
    if config.server.rstrip("/") != server.rstrip("/"):
        return False
    if not config.client_cert_pem or not config.client_key_pem or not config.ca_pem:
        return False
    try:
        cert = x509.load_pem_x509_certificate(config.client_cert_pem)
        ca = x509.load_pem_x509_certificate(config.ca_pem)
        cert.verify_directly_issued_by(ca)
    except (ValueError, TypeError, InvalidSignature):
        return False
    identity = identity_from_cert(cert.public_bytes(serialization.Encoding.DER))
    if identity is None or identity.user != node_user(node_name):
        return False
    return cert.not_valid_after_utc > datetime.datetime.now(datetime.UTC)


async def join(
    server: str, token: str, node_name: str, *, ca_pin: str = ""
) -> tuple[bytes, bytes, bytes]:
    """The CA, a client certificate and its key (PEM) for ``node_name``, from ``server`` with
    the bootstrap ``token`` (see the module docstring)."""
    base = server.rstrip("/")
    unverified = ssl.create_default_context()
    unverified.check_hostname = False
    unverified.verify_mode = ssl.CERT_NONE
    async with aiohttp.ClientSession(timeout=_TIMEOUT) as session:
        try:
            async with session.get(base + CACERTS_PATH, ssl=unverified) as response:
                ca_pem = await response.read()
                if response.status != 200:
                    raise JoinError(f"GET {base}{CACERTS_PATH}: {_failure(response, ca_pem)}")
        except aiohttp.ClientError as err:
            raise JoinError(f"cannot reach {base}: {err}") from err
        _check_ca(ca_pem, ca_pin, base)
        csr_pem, key_pem = await asyncio.to_thread(
            new_client_csr, node_user(node_name), ["system:nodes"]
        )
        body = _csr_request(csr_pem, KUBELET_CLIENT_SIGNER, ["digital signature", "client auth"])
        verified = ssl.create_default_context(cadata=ca_pem.decode())
        try:
            async with session.post(
                base + JOIN_PATH,
                json=body,
                headers={"Authorization": f"Bearer {token}"},
                ssl=verified,
            ) as response:
                raw = await response.read()
                if response.status != 201:
                    raise JoinError(f"joining {base} failed: {_failure(response, raw)}")
        except aiohttp.ClientError as err:
            raise JoinError(f"cannot reach {base}: {err}") from err
    try:
        answer = json.loads(raw)
    except ValueError as err:
        raise JoinError(f"{base}{JOIN_PATH} answered without a certificate") from err
    return ca_pem, _certificate_of(answer, base + JOIN_PATH), key_pem


def serving_names(node_name: str) -> list[str]:
    """The DNS names a node's serving certificate carries: its name and the host's (as the
    Node's ``Hostname`` address shows it), when that is a valid DNS name."""
    host = socket.gethostname().lower()
    names = [node_name]
    if host != node_name and not is_dns1123_subdomain(host):
        names.append(host)
    return names


async def ensure_serving_cert(
    client: ClientConfig, *, node_name: str, node_ip: str, root_dir: Path
) -> tuple[Path, Path, Path]:
    """The kubelet's serving certificate, key and the cluster CA (paths under
    ``<root_dir>/pki``): kept if still good for this node's names and ``node_ip``, else signed
    anew by the API server for a request made with the node's client credentials ``client``
    (see the module docstring)."""
    if client.ca_pem is None:
        raise JoinError("the node's kubeconfig holds no cluster CA")
    ca_pem = client.ca_pem
    names = serving_names(node_name)
    ips = [node_ip]
    cert, key = serving_files(root_dir)

    def usable() -> bool:
        if not cert.exists() or not key.exists():
            return False
        return serving_cert_usable(
            cert.read_bytes(), key.read_bytes(), ca_pem, names=names, ips=ips
        )

    if not await asyncio.to_thread(usable):
        cert_pem, key_pem = await _request_serving_cert(client, node_name, names, ips)
        if not serving_cert_usable(cert_pem, key_pem, ca_pem, names=names, ips=ips):
            raise JoinError(
                f"{client.server}{SERVING_PATH} answered with a certificate that does not fit "
                f"node {node_name} at {node_ip}"
            )
        await asyncio.to_thread(write_serving_files, root_dir, cert_pem, key_pem)
        log.info("node %s has a new kubelet serving certificate", node_name)
    ca = cert.parent / "ca.crt"
    await asyncio.to_thread(write_atomic, ca, ca_pem, mode=0o644)
    return cert, key, ca


async def _request_serving_cert(
    client: ClientConfig, node_name: str, names: list[str], ips: list[str]
) -> tuple[bytes, bytes]:
    """A serving certificate and its key (PEM), signed for a request made here, sent with the
    node's own credentials."""
    csr_pem, key_pem = await asyncio.to_thread(
        new_serving_csr, node_user(node_name), ["system:nodes"], names=names, ips=ips
    )
    body = _csr_request(csr_pem, KUBELET_SERVING_SIGNER, ["digital signature", "server auth"])
    where = client.server.rstrip("/") + SERVING_PATH
    try:
        async with ApiClient(client) as api:
            answer = await api.request("POST", SERVING_PATH, body=body)
    except errors.StatusError as err:
        raise JoinError(
            f"getting a serving certificate from {where} failed: {err.code} {err.status.message}"
        ) from err
    except TransportError as err:
        raise JoinError(f"cannot reach {where}: {err}") from err
    return _certificate_of(answer, where), key_pem


def _csr_request(csr_pem: bytes, signer: str, usages: list[str]) -> dict[str, Any]:
    """A certificates.k8s.io/v1 CertificateSigningRequest for ``csr_pem``."""
    return {
        "apiVersion": "certificates.k8s.io/v1",
        "kind": "CertificateSigningRequest",
        "metadata": {},
        "spec": {
            "request": base64.b64encode(csr_pem).decode(),
            "signerName": signer,
            "usages": usages,
        },
    }


def _certificate_of(answer: object, where: str) -> bytes:
    """``status.certificate`` (PEM) of an approved request's answer from ``where``."""
    status = answer.get("status") if isinstance(answer, dict) else None
    certificate = status.get("certificate") if isinstance(status, dict) else None
    try:
        if not isinstance(certificate, str) or not certificate:
            raise ValueError("no status.certificate")
        return base64.b64decode(certificate, validate=True)
    except ValueError as err:
        raise JoinError(f"{where} answered without a certificate") from err


def _check_ca(ca_pem: bytes, pin: str, server: str) -> None:
    try:
        found = ca_cert_hash(ca_pem)
    except ValueError as err:
        raise JoinError(f"{server}{CACERTS_PATH} did not answer with a PEM certificate") from err
    if not pin:
        log.warning(
            "no --ca-cert-hash: trusting the CA %s served by %s as first seen", found, server
        )
        return
    if not hmac.compare_digest(found, pin.lower()):
        raise JoinError(
            f"the CA of {server} ({found}) does not match --ca-cert-hash {pin}: "
            "not sending the token"
        )


def _failure(response: aiohttp.ClientResponse, raw: bytes) -> str:
    """``<code> <Status message>`` of a refused request."""
    message = raw.decode(errors="replace").strip()
    try:
        status = json.loads(raw)
        if isinstance(status, dict) and status.get("message"):
            message = str(status["message"])
    except ValueError:
        pass
    return f"{response.status} {message[:500]}"
