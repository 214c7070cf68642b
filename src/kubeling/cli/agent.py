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

2. **The kubelet** runs with that kubeconfig as ``system:node:<node>``: it registers the Node
   and runs the pods bound to it, with its state in ``<data-dir>/kubelet``. Several agents with
   distinct node names and data dirs run side by side on one machine.

3. **Stop** (SIGINT/SIGTERM): the kubelet stops every container of the node (as ``kubeling
   up`` does: no process outlives the agent), then the agent exits 0.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import datetime
import hmac
import json
import logging
import signal
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import aiohttp
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization

from kubeling.apiserver.node_join import CACERTS_PATH, JOIN_PATH, KUBELET_CLIENT_SIGNER
from kubeling.cli.kubeconfig import KubeconfigError, load_kubeconfig, write_kubeconfig
from kubeling.client import ClientConfig
from kubeling.kubelet import KubeletConfig, run_kubelet
from kubeling.pki import ca_cert_hash, identity_from_cert, new_client_csr

__all__ = ["AgentOptions", "JoinError", "join", "run_agent"]

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
    config = KubeletConfig(
        node_name=options.node_name,
        root_dir=options.data_dir.resolve() / "kubelet",
        node_ip=options.node_ip,
        node_labels=dict(options.node_labels),
        # Like `kubeling up`: the node's containers end with the agent.
        stop_pods_on_exit=True,
        cgroups=options.cgroups,
        cluster_dns=options.cluster_dns,
        cluster_domain=options.cluster_domain,
        resolv_conf=options.resolv_conf,
    )
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    kubelet = asyncio.create_task(
        run_kubelet(config, ClientConfig.from_kubeconfig(load_kubeconfig(kubeconfig))),
        name="kubelet",
    )
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
        body = {
            "apiVersion": "certificates.k8s.io/v1",
            "kind": "CertificateSigningRequest",
            "metadata": {},
            "spec": {
                "request": base64.b64encode(csr_pem).decode(),
                "signerName": KUBELET_CLIENT_SIGNER,
                "usages": ["digital signature", "client auth"],
            },
        }
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
        answer: dict[str, Any] = json.loads(raw)
        cert_pem = base64.b64decode(answer["status"]["certificate"], validate=True)
    except (ValueError, KeyError, TypeError) as err:
        raise JoinError(f"{base}{JOIN_PATH} answered without a certificate") from err
    return ca_pem, cert_pem, key_pem


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
