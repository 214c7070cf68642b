"""The cluster's certificates: one CA, the API server's serving cert, client identities.

The layout follows kubeadm and k3s, simplified to one directory::

    ca.crt ca.key          the cluster CA (10 years); every cert below chains to it
    server.crt server.key  the API server's serving cert (1 year), SANs for every name it has
    admin.crt admin.key    CN=kubernetes-admin, O=system:masters: the admin kubeconfig's user
    apiserver-kubelet-client.crt .key
                           CN=kube-apiserver-kubelet-client, O=system:masters: the API server as a
                           client of the kubelets (logs, exec, attach, port-forward)
    sa.key sa.pub          the service-account token signing pair (RSA 2048, for RS256 JWTs)

Keys are ECDSA P-256 (fast to generate, accepted by Go's crypto/x509 and by OpenSSL) except the
service-account key, which is RSA because RS256 is the one JWT algorithm every verifier supports.

:func:`ensure_pki` is idempotent: a file that is present and still good is never rewritten, so a
second run leaves every byte (and every mtime) as it was. What "still good" means, per file:

- **CA**: ``ca.crt`` present and ``ca.key`` matching it. The key is written before the cert, so a
  crash between the two leaves no ``ca.crt`` and the next run starts the CA afresh. A ``ca.crt``
  whose key is missing is an error (:class:`PkiError`), not a reason to mint a new CA that every
  existing kubeconfig would reject.
- **server, admin and kubelet-client certs**: key matches, issued by the current CA, valid for
  at least :data:`RENEW_BEFORE` more, and (for the server) its SANs cover every requested name
  and IP; a client cert names its identity. Otherwise a new key and cert are issued; nothing
  else changes.
- **service-account keys**: ``sa.key`` present; ``sa.pub`` is rewritten from it if missing or
  stale. Replacing ``sa.key`` would invalidate every issued token, so it is never rotated here.

Every write goes to a temporary file in the same directory, is fsynced, then renamed over the
target: a crash leaves the old file or the new one, never half of either. Keys are 0600.

The certificate profiles are the ones Go's verifier and Python 3.13's ``VERIFY_X509_STRICT`` insist
on: a critical basicConstraints everywhere, keyUsage (keyCertSign for the CA, digitalSignature for
leaves), extendedKeyUsage serverAuth or clientAuth on leaves, subject and authority key
identifiers, and SANs on the serving cert (Go ignores the CN for host names).
"""

from __future__ import annotations

import datetime
import hashlib
import ipaddress
import os
import ssl
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

__all__ = [
    "ADMIN_GROUP",
    "ADMIN_USER",
    "CA_VALIDITY",
    "DEFAULT_CLUSTER_DOMAIN",
    "DEFAULT_SERVICE_IP",
    "KUBELET_CLIENT_USER",
    "LEAF_VALIDITY",
    "RENEW_BEFORE",
    "CsrContents",
    "CsrError",
    "Identity",
    "Pki",
    "PkiError",
    "ca_cert_hash",
    "client_csr_identity",
    "default_server_sans",
    "ensure_client_cert",
    "ensure_pki",
    "identity_from_cert",
    "issue_client_cert",
    "issue_serving_cert",
    "new_client_csr",
    "new_serving_csr",
    "read_csr",
    "self_signed_serving_cert",
    "serving_cert_usable",
    "serving_ssl_context",
    "sign_client_csr",
    "sign_serving_csr",
    "write_atomic",
]

CA_VALIDITY = datetime.timedelta(days=3650)
LEAF_VALIDITY = datetime.timedelta(days=365)
RENEW_BEFORE = datetime.timedelta(days=30)
# Certificates start a little in the past so a peer whose clock lags ours still accepts them.
_BACKDATE = datetime.timedelta(minutes=5)

DEFAULT_CLUSTER_DOMAIN = "cluster.local"
# The first address of the embedded service CIDR 127.96.0.0/16: the `kubernetes` Service.
DEFAULT_SERVICE_IP = "127.96.0.1"

ADMIN_USER = "kubernetes-admin"
ADMIN_GROUP = "system:masters"
#: Who the API server is to kubelets (kubeadm's ``apiserver-kubelet-client`` certificate).
KUBELET_CLIENT_USER = "kube-apiserver-kubelet-client"

_SERVER_CN = "kube-apiserver"
_KEY_MODE = 0o600
_CERT_MODE = 0o644


class PkiError(Exception):
    """The PKI directory is in a state ensure_pki will not repair on its own."""


class CsrError(ValueError):
    """A certificate signing request that cannot be signed (unreadable, forged, or asking for
    more than a client certificate)."""


class CsrContents(NamedTuple):
    """What a certificate signing request asks for, as Go's ``x509.CertificateRequest`` shows
    it: the subject's CN and O values (in order) and the subject alternative names."""

    common_name: str
    organizations: tuple[str, ...]
    dns_names: tuple[str, ...] = ()
    ip_addresses: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    uris: tuple[str, ...] = ()


class Identity(NamedTuple):
    """Who a client certificate names: the user (CN) and the groups (O), in certificate order."""

    user: str
    groups: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class Pki:
    """Paths of the cluster's PKI files, and TLS contexts built from them."""

    dir: Path
    ca_cert: Path
    ca_key: Path
    server_cert: Path
    server_key: Path
    admin_cert: Path
    admin_key: Path
    kubelet_client_cert: Path
    kubelet_client_key: Path
    sa_key: Path
    sa_pub: Path

    @classmethod
    def at(cls, dir: Path) -> Pki:
        """The standard file names under ``dir`` (whether or not they exist yet)."""
        return cls(
            dir=dir,
            ca_cert=dir / "ca.crt",
            ca_key=dir / "ca.key",
            server_cert=dir / "server.crt",
            server_key=dir / "server.key",
            admin_cert=dir / "admin.crt",
            admin_key=dir / "admin.key",
            kubelet_client_cert=dir / "apiserver-kubelet-client.crt",
            kubelet_client_key=dir / "apiserver-kubelet-client.key",
            sa_key=dir / "sa.key",
            sa_pub=dir / "sa.pub",
        )

    def ca_pem(self) -> bytes:
        """The CA certificate, PEM: what clients put in certificate-authority-data."""
        return self.ca_cert.read_bytes()

    def service_account_signing_key(self) -> rsa.RSAPrivateKey:
        """The RSA key service account tokens are signed with (``sa.key``)."""
        key = _read_key(self.sa_key)
        if not isinstance(key, rsa.RSAPrivateKey):
            raise PkiError(f"{self.sa_key}: the service account key is not an RSA key")
        return key

    def server_ssl_context(self) -> ssl.SSLContext:
        """TLS for the API server: TLS 1.2+, client certs verified against the CA when sent.

        ``CERT_OPTIONAL``: a client without a certificate still connects (it may bring a bearer
        token instead); a client whose certificate does not chain to the CA fails the handshake.
        """
        return self.serving_ssl_context(self.server_cert, self.server_key)

    def serving_ssl_context(self, cert: Path, key: Path) -> ssl.SSLContext:
        """TLS for a server of this cluster (the API server, a kubelet) serving ``cert``/``key``,
        verifying client certificates against the CA when sent (``CERT_OPTIONAL``)."""
        return serving_ssl_context(cert, key, self.ca_cert)

    def kubelet_client_ssl_context(self) -> ssl.SSLContext:
        """TLS for the API server calling kubelets: the kubelet-client identity; the kubelet's
        serving certificate must chain to the CA and name the address dialled."""
        return self.client_ssl_context(self.kubelet_client_cert, self.kubelet_client_key)

    def client_ssl_context(self, cert: Path, key: Path) -> ssl.SSLContext:
        """TLS for an internal client: trust only the cluster CA, present ``cert``/``key``."""
        context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=self.ca_cert)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(cert, key)
        return context


def serving_ssl_context(cert: Path, key: Path, ca_cert: Path) -> ssl.SSLContext:
    """TLS for a server serving ``cert``/``key``: TLS 1.2+, client certificates verified
    against ``ca_cert`` when sent (``CERT_OPTIONAL``: a client may bring a token instead)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert, key)
    context.load_verify_locations(cafile=ca_cert)
    context.verify_mode = ssl.CERT_OPTIONAL
    # aiohttp speaks HTTP/1.1 only; saying so lets Go clients skip offering h2 on this conn.
    context.set_alpn_protocols(["http/1.1"])
    # One TLS 1.3 session ticket per connection, as Go's crypto/tls server (Kubernetes')
    # sends, not OpenSSL's two: each costs the server an encryption and a write.
    context.num_tickets = 1
    return context


def default_server_sans(
    *, cluster_domain: str = DEFAULT_CLUSTER_DOMAIN, service_ip: str = DEFAULT_SERVICE_IP
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The names and IPs every serving cert carries, whatever else is asked for.

    >>> names, ips = default_server_sans()
    >>> names[-1], ips
    ('kubernetes.default.svc.cluster.local', ('127.0.0.1', '127.96.0.1'))
    """
    names = (
        "localhost",
        "kubernetes",
        "kubernetes.default",
        "kubernetes.default.svc",
        f"kubernetes.default.svc.{cluster_domain}",
    )
    return names, ("127.0.0.1", service_ip)


def ensure_pki(
    dir: Path,
    *,
    server_names: Sequence[str],
    server_ips: Sequence[str],
    cluster_domain: str = DEFAULT_CLUSTER_DOMAIN,
    service_ip: str = DEFAULT_SERVICE_IP,
    now: datetime.datetime | None = None,
) -> Pki:
    """Create the PKI under ``dir``, or reuse what is there and still good (see the module notes).

    The serving cert's SANs are ``server_names``/``server_ips`` plus :func:`default_server_sans`.
    ``now`` (UTC) replaces the clock, for tests.
    """
    when = now if now is not None else datetime.datetime.now(datetime.UTC)
    dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    pki = Pki.at(dir)

    ca_cert, ca_key = _ensure_ca(pki, when)

    default_names, default_ips = default_server_sans(
        cluster_domain=cluster_domain, service_ip=service_ip
    )
    names = _unique([*default_names, *server_names], key=str.lower)
    ips = _unique([*default_ips, *server_ips], key=lambda ip: ipaddress.ip_address(ip).compressed)
    server = _load_leaf(pki.server_cert, pki.server_key, ca_cert, when)
    if server is None or not _covers_sans(server, names, ips):
        san = x509.SubjectAlternativeName(
            [
                *(x509.DNSName(name) for name in names),
                *(x509.IPAddress(ipaddress.ip_address(ip)) for ip in ips),
            ]
        )
        cert_pem, key_pem = _issue_leaf(
            ca_cert,
            ca_key,
            subject=_name(_SERVER_CN, ()),
            usage=ExtendedKeyUsageOID.SERVER_AUTH,
            san=san,
            now=when,
        )
        _write_pair(pki.server_cert, cert_pem, pki.server_key, key_pem)

    _ensure_client_identity(
        pki.admin_cert, pki.admin_key, Identity(ADMIN_USER, (ADMIN_GROUP,)), ca_cert, ca_key, when
    )
    _ensure_client_identity(
        pki.kubelet_client_cert,
        pki.kubelet_client_key,
        Identity(KUBELET_CLIENT_USER, (ADMIN_GROUP,)),
        ca_cert,
        ca_key,
        when,
    )
    _ensure_service_account_keys(pki)
    return pki


def _ensure_client_identity(
    cert_path: Path,
    key_path: Path,
    identity: Identity,
    ca_cert: x509.Certificate,
    ca_key: ec.EllipticCurvePrivateKey,
    now: datetime.datetime,
) -> None:
    """Keep or (re)issue the client cert at ``cert_path`` so that it names ``identity``."""
    current = _load_leaf(cert_path, key_path, ca_cert, now)
    if current is not None and (
        identity_from_cert(current.public_bytes(serialization.Encoding.DER)) == identity
    ):
        return
    cert_pem, key_pem = _issue_leaf(
        ca_cert,
        ca_key,
        subject=_name(identity.user, identity.groups),
        usage=ExtendedKeyUsageOID.CLIENT_AUTH,
        san=None,
        now=now,
    )
    _write_pair(cert_path, cert_pem, key_path, key_pem)


def ensure_client_cert(
    pki: Pki, name: str, identity: Identity, *, now: datetime.datetime | None = None
) -> tuple[Path, Path]:
    """``<dir>/<name>.crt`` and ``<name>.key``: a client cert for ``identity`` (CN = user,
    O = groups) signed by the CA, kept while still good (as the admin cert), else issued
    anew. For the identities of the components ``kubeling up`` runs."""
    when = now if now is not None else datetime.datetime.now(datetime.UTC)
    ca_cert, ca_key = _load_ca(pki)
    cert, key = pki.dir / f"{name}.crt", pki.dir / f"{name}.key"
    _ensure_client_identity(cert, key, identity, ca_cert, ca_key, when)
    return cert, key


def issue_client_cert(
    pki: Pki,
    common_name: str,
    organizations: Sequence[str],
    *,
    now: datetime.datetime | None = None,
) -> tuple[bytes, bytes]:
    """A new client cert and key (PEM) for ``CN=common_name, O=organizations``, signed by the CA.

    For component identities: ``system:kube-scheduler``, ``system:kube-controller-manager``,
    ``system:node:<name>`` in ``system:nodes``, ``system:kube-proxy``. Nothing is written.
    """
    when = now if now is not None else datetime.datetime.now(datetime.UTC)
    ca_cert, ca_key = _load_ca(pki)
    return _issue_leaf(
        ca_cert,
        ca_key,
        subject=_name(common_name, organizations),
        usage=ExtendedKeyUsageOID.CLIENT_AUTH,
        san=None,
        now=when,
    )


def issue_serving_cert(
    pki: Pki,
    common_name: str,
    *,
    names: Sequence[str],
    ips: Sequence[str],
    now: datetime.datetime | None = None,
) -> tuple[bytes, bytes]:
    """A new serving cert and key (PEM) for ``names`` and ``ips``, signed by the CA.

    For kubelets (``CN=system:node:<node>``, the node's name and addresses as SANs): the API
    server dials a node's address and checks that the kubelet's certificate names it. Nothing is
    written.
    """
    when = now if now is not None else datetime.datetime.now(datetime.UTC)
    ca_cert = _read_cert(pki.ca_cert)
    ca_key = _read_key(pki.ca_key)
    if not isinstance(ca_key, ec.EllipticCurvePrivateKey):
        raise PkiError(f"{pki.ca_key}: the CA key is not an ECDSA key")
    return _issue_leaf(
        ca_cert,
        ca_key,
        subject=_name(common_name, ()),
        usage=ExtendedKeyUsageOID.SERVER_AUTH,
        san=_sans(names, ips),
        now=when,
    )


def _sans(names: Iterable[str], ips: Iterable[str]) -> x509.SubjectAlternativeName:
    """DNS names then IP addresses, each once."""
    return x509.SubjectAlternativeName(
        [
            *(x509.DNSName(name) for name in _unique(names, key=str.lower)),
            *(
                x509.IPAddress(ipaddress.ip_address(ip))
                for ip in _unique(ips, key=lambda ip: ipaddress.ip_address(ip).compressed)
            ),
        ]
    )


def new_client_csr(common_name: str, organizations: Sequence[str]) -> tuple[bytes, bytes]:
    """A new ECDSA P-256 key and a certificate signing request for ``CN=common_name,
    O=organizations`` signed by it, both PEM: (csr, key). The key never leaves its holder;
    only the request is sent (as the kubelet's TLS bootstrap does)."""
    key = ec.generate_private_key(ec.SECP256R1())
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(_name(common_name, organizations))
        .sign(key, hashes.SHA256())
    )
    return csr.public_bytes(serialization.Encoding.PEM), _pem(key)


def new_serving_csr(
    common_name: str, organizations: Sequence[str], *, names: Sequence[str], ips: Sequence[str]
) -> tuple[bytes, bytes]:
    """Like :func:`new_client_csr`, for a serving certificate: the request also asks for
    ``names`` and ``ips`` as subject alternative names (a kubelet's ``serverTLSBootstrap``
    request)."""
    key = ec.generate_private_key(ec.SECP256R1())
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(_name(common_name, organizations))
        .add_extension(_sans(names, ips), critical=False)
        .sign(key, hashes.SHA256())
    )
    return csr.public_bytes(serialization.Encoding.PEM), _pem(key)


def read_csr(csr_pem: bytes) -> CsrContents:
    """What the request ``csr_pem`` asks for (subject and SANs), once it is known to parse, to
    be signed by its own key and to use a key this CA signs for; :class:`CsrError` if not.

    Whether a request may be signed (its subject, its SANs, its usages) is the approver's
    question (:mod:`kubeling.apiserver.kubelet_csr`), not this function's.
    """
    return _csr_contents(_load_csr(csr_pem)[1])


def _csr_contents(csr: x509.CertificateSigningRequest) -> CsrContents:
    organizations = tuple(
        str(a.value) for a in csr.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
    )
    identity = _identity(_subject_attributes(csr.subject))
    try:
        san = csr.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return CsrContents(identity.user if identity else "", organizations)
    return CsrContents(
        common_name=identity.user if identity else "",
        organizations=organizations,
        dns_names=tuple(san.get_values_for_type(x509.DNSName)),
        ip_addresses=tuple(str(ip) for ip in san.get_values_for_type(x509.IPAddress)),
        emails=tuple(san.get_values_for_type(x509.RFC822Name)),
        uris=tuple(san.get_values_for_type(x509.UniformResourceIdentifier)),
    )


def sign_serving_csr(pki: Pki, csr_pem: bytes, *, now: datetime.datetime | None = None) -> bytes:
    """Sign a serving certificate for the request ``csr_pem`` (PEM): its subject, its public key,
    its DNS and IP subject alternative names, the serverAuth usage; every other extension it
    asks for is left out, as Kubernetes' csrsigning controller leaves it out.

    Raises :class:`CsrError` for what :func:`read_csr` refuses, a request that names no CN, or
    one that names neither a DNS name nor an IP address.
    """
    public_key, csr = _load_csr(csr_pem)
    request = _csr_contents(csr)
    if not request.common_name:
        raise CsrError("the request's subject names no common name (CN)")
    if not request.dns_names and not request.ip_addresses:
        raise CsrError("DNS or IP subjectAltName is required")
    when = now if now is not None else datetime.datetime.now(datetime.UTC)
    ca_cert, ca_key = _load_ca(pki)
    cert = _sign_leaf(
        ca_cert,
        ca_key,
        public_key,
        subject=_name(request.common_name, request.organizations),
        usage=ExtendedKeyUsageOID.SERVER_AUTH,
        san=_sans(request.dns_names, request.ip_addresses),
        now=when,
    )
    return cert.public_bytes(serialization.Encoding.PEM)


def serving_cert_usable(
    cert_pem: bytes,
    key_pem: bytes,
    ca_pem: bytes,
    *,
    names: Iterable[str],
    ips: Iterable[str],
    now: datetime.datetime | None = None,
) -> bool:
    """Whether a serving certificate can be kept: its key, issued by the CA ``ca_pem``, at least
    :data:`RENEW_BEFORE` left, and its SANs cover ``names`` and ``ips``."""
    when = now if now is not None else datetime.datetime.now(datetime.UTC)
    try:
        cert = x509.load_pem_x509_certificate(cert_pem)
        key = serialization.load_pem_private_key(key_pem, password=None)
        ca_cert = x509.load_pem_x509_certificate(ca_pem)
    except (ValueError, TypeError):
        return False
    if not isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        return False
    if not _same_public_key(cert, key):
        return False
    try:
        cert.verify_directly_issued_by(ca_cert)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return cert.not_valid_after_utc - when >= RENEW_BEFORE and _covers_sans(cert, names, ips)


def client_csr_identity(csr_pem: bytes) -> Identity:
    """Who the certificate signing request ``csr_pem`` asks to be (CN, O), once it is known to
    be a request :func:`sign_client_csr` signs; :class:`CsrError` if it is not."""
    return _load_client_csr(csr_pem)[1]


def sign_client_csr(
    pki: Pki, csr_pem: bytes, *, now: datetime.datetime | None = None
) -> tuple[Identity, bytes]:
    """Sign a client certificate for the request ``csr_pem``: its subject, its public key, the
    clientAuth usage, no SANs. Returns who it names and the certificate (PEM).

    Raises :class:`CsrError` if the request does not parse, is not signed by its own key (a
    forged request), asks for extensions (SANs and the like), names no CN, or uses a key
    other than ECDSA P-256/P-384 or RSA of 2048 bits or more.
    """
    public_key, identity = _load_client_csr(csr_pem)
    when = now if now is not None else datetime.datetime.now(datetime.UTC)
    ca_cert, ca_key = _load_ca(pki)
    cert = _sign_leaf(
        ca_cert,
        ca_key,
        public_key,
        subject=_name(identity.user, identity.groups),
        usage=ExtendedKeyUsageOID.CLIENT_AUTH,
        san=None,
        now=when,
    )
    return identity, cert.public_bytes(serialization.Encoding.PEM)


def _load_client_csr(
    csr_pem: bytes,
) -> tuple[ec.EllipticCurvePublicKey | rsa.RSAPublicKey, Identity]:
    public_key, csr = _load_csr(csr_pem)
    if len(csr.extensions) > 0:
        raise CsrError("the request must not ask for extensions (subject alternative names...)")
    identity = _identity(_subject_attributes(csr.subject))
    if identity is None:
        raise CsrError("the request's subject names no common name (CN)")
    return public_key, identity


def _load_csr(
    csr_pem: bytes,
) -> tuple[ec.EllipticCurvePublicKey | rsa.RSAPublicKey, x509.CertificateSigningRequest]:
    """The request and its public key, if it parses, verifies with that key, and the key is one
    this CA signs for (ECDSA P-256/P-384, RSA of 2048 bits or more)."""
    try:
        csr = x509.load_pem_x509_csr(csr_pem)
    except ValueError as error:
        raise CsrError("PEM block type must be CERTIFICATE REQUEST") from error
    try:
        csr.extensions  # noqa: B018 (parsing them may fail: a malformed request)
    except ValueError as error:
        raise CsrError(f"the request's extensions do not parse: {error}") from error
    if not csr.is_signature_valid:
        raise CsrError("the request's signature does not verify with its public key")
    public_key = csr.public_key()
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        if not isinstance(public_key.curve, ec.SECP256R1 | ec.SECP384R1):
            raise CsrError(f"unsupported elliptic curve {public_key.curve.name}")
    elif isinstance(public_key, rsa.RSAPublicKey):
        if public_key.key_size < 2048:
            raise CsrError(f"RSA keys must have 2048 bits or more, not {public_key.key_size}")
    else:
        raise CsrError(f"unsupported key type {type(public_key).__name__}")
    return public_key, csr


def ca_cert_hash(ca_pem: bytes) -> str:
    """kubeadm's CA pin: ``sha256:`` and the hex SHA-256 of the CA certificate's
    SubjectPublicKeyInfo (what ``--discovery-token-ca-cert-hash`` takes). The first
    certificate of ``ca_pem`` counts."""
    cert = x509.load_pem_x509_certificate(ca_pem)
    spki = cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return "sha256:" + hashlib.sha256(spki).hexdigest()


def identity_from_cert(peercert: Mapping[str, object] | bytes) -> Identity | None:
    """The user and groups a verified client certificate names, as Kubernetes reads them.

    ``peercert`` is either ``SSLSocket.getpeercert()``'s dict or the DER bytes of the cert. The
    user is the subject's CN, the groups its O values. Without a CN there is no identity (None),
    as in the Kubernetes x509 authenticator. With several CNs the last counts, as in Go's
    ``pkix.Name``.

    >>> subject = ((("organizationName", "dev"),), (("commonName", "alice"),))
    >>> identity_from_cert({"subject": subject})
    Identity(user='alice', groups=('dev',))
    """
    attributes: list[tuple[str, str]] = []
    if isinstance(peercert, bytes):
        attributes = _subject_attributes(x509.load_der_x509_certificate(peercert).subject)
    else:
        rdns = peercert.get("subject", ())
        if not isinstance(rdns, tuple):
            raise ValueError(f"peer certificate subject is not a tuple of RDNs: {rdns!r}")
        for rdn in rdns:
            for pair in rdn:
                key, value = pair
                attributes.append((str(key), str(value)))
    return _identity(attributes)


def _subject_attributes(subject: x509.Name) -> list[tuple[str, str]]:
    """The CN and O attributes of ``subject``, in order, named as ``getpeercert()`` names them."""
    attributes: list[tuple[str, str]] = []
    for attribute in subject:
        if attribute.oid == NameOID.COMMON_NAME and isinstance(attribute.value, str):
            attributes.append(("commonName", attribute.value))
        elif attribute.oid == NameOID.ORGANIZATION_NAME and isinstance(attribute.value, str):
            attributes.append(("organizationName", attribute.value))
    return attributes


def _identity(attributes: Iterable[tuple[str, str]]) -> Identity | None:
    user = ""
    groups: list[str] = []
    for key, value in attributes:
        if key == "commonName":
            user = value
        elif key == "organizationName":
            groups.append(value)
    if not user:
        return None
    return Identity(user, tuple(groups))


def write_atomic(path: Path, data: bytes, *, mode: int) -> None:
    """Replace ``path`` with ``data`` so that a crash leaves either the old file or the new one.

    The bytes go to a temporary file beside ``path`` (created 0600), are fsynced, get ``mode``,
    and are renamed over ``path``; then the directory is fsynced so the rename itself is durable.
    """
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


# -- the CA ---------------------------------------------------------------------------------


def _ensure_ca(
    pki: Pki, now: datetime.datetime
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    if pki.ca_cert.exists():
        cert = _read_cert(pki.ca_cert)
        if not pki.ca_key.exists():
            raise PkiError(
                f"{pki.ca_cert} exists but {pki.ca_key} does not: restore the CA key, or remove "
                f"{pki.dir} to start a new CA (every existing kubeconfig will stop working)"
            )
        key = _read_key(pki.ca_key)
        if not isinstance(key, ec.EllipticCurvePrivateKey) or not _same_public_key(cert, key):
            raise PkiError(f"{pki.ca_key} is not the key of {pki.ca_cert}")
        return cert, key

    key = ec.generate_private_key(ec.SECP256R1())
    subject = _name(f"kubeling-ca@{int(now.timestamp())}", ())
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _BACKDATE)
        .not_valid_after(now + CA_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            _key_usage(digital_signature=True, key_cert_sign=True, crl_sign=True), critical=True
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    # Key first: a crash before the cert lands leaves no ca.crt, so the next run starts over.
    _write_pair(pki.ca_cert, cert.public_bytes(serialization.Encoding.PEM), pki.ca_key, _pem(key))
    return cert, key


def _load_ca(pki: Pki) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    ca_cert = _read_cert(pki.ca_cert)
    ca_key = _read_key(pki.ca_key)
    if not isinstance(ca_key, ec.EllipticCurvePrivateKey):
        raise PkiError(f"{pki.ca_key}: the CA key is not an ECDSA key")
    return ca_cert, ca_key


# -- leaf certificates ----------------------------------------------------------------------


def _issue_leaf(
    ca_cert: x509.Certificate,
    ca_key: ec.EllipticCurvePrivateKey,
    *,
    subject: x509.Name,
    usage: x509.ObjectIdentifier,
    san: x509.SubjectAlternativeName | None,
    now: datetime.datetime,
) -> tuple[bytes, bytes]:
    key = ec.generate_private_key(ec.SECP256R1())
    cert = _sign_leaf(
        ca_cert, ca_key, key.public_key(), subject=subject, usage=usage, san=san, now=now
    )
    return cert.public_bytes(serialization.Encoding.PEM), _pem(key)


def self_signed_serving_cert(
    common_name: str, *, dns_names: Sequence[str] = (), now: datetime.datetime | None = None
) -> tuple[bytes, bytes]:
    """A self-signed serving certificate and its key (PEM), valid :data:`LEAF_VALIDITY`:
    what a server answers with when it has nothing better, like the ingress's default
    certificate (ingress-nginx's "Kubernetes Ingress Controller Fake Certificate")."""
    now = now or datetime.datetime.now(datetime.UTC)
    key = ec.generate_private_key(ec.SECP256R1())
    subject = _name(common_name, ())
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _BACKDATE)
        .not_valid_after(now + LEAF_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(digital_signature=True), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
    )
    if dns_names:
        names = x509.SubjectAlternativeName([x509.DNSName(n) for n in dns_names])
        builder = builder.add_extension(names, critical=False)
    cert = builder.sign(key, hashes.SHA256())
    return cert.public_bytes(serialization.Encoding.PEM), _pem(key)


def _sign_leaf(
    ca_cert: x509.Certificate,
    ca_key: ec.EllipticCurvePrivateKey,
    public_key: ec.EllipticCurvePublicKey | rsa.RSAPublicKey,
    *,
    subject: x509.Name,
    usage: x509.ObjectIdentifier,
    san: x509.SubjectAlternativeName | None,
    now: datetime.datetime,
) -> x509.Certificate:
    ca_ski = ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca_cert.subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _BACKDATE)
        # Never outlive the CA: a chain is only as valid as its shortest link.
        .not_valid_after(min(now + LEAF_VALIDITY, ca_cert.not_valid_after_utc))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        # ECDSA keys sign; keyEncipherment is for RSA key transport and would be wrong here.
        .add_extension(_key_usage(digital_signature=True), critical=True)
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False
        )
    )
    if san is not None:
        builder = builder.add_extension(san, critical=False)
    return builder.sign(ca_key, hashes.SHA256())


def _load_leaf(
    cert_path: Path, key_path: Path, ca_cert: x509.Certificate, now: datetime.datetime
) -> x509.Certificate | None:
    """The cert at ``cert_path`` if it can be kept: its key, the current CA, time left."""
    if not cert_path.exists() or not key_path.exists():
        return None
    try:
        cert = _read_cert(cert_path)
        key = _read_key(key_path)
    except PkiError:
        return None  # unreadable: replaced like any other unusable leaf
    if not _same_public_key(cert, key):
        return None
    try:
        cert.verify_directly_issued_by(ca_cert)
    except (ValueError, TypeError, InvalidSignature):
        return None
    if cert.not_valid_after_utc - now < RENEW_BEFORE:
        return None
    return cert


def _covers_sans(cert: x509.Certificate, names: Iterable[str], ips: Iterable[str]) -> bool:
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return False
    have_names = {name.lower() for name in san.get_values_for_type(x509.DNSName)}
    have_ips = set(san.get_values_for_type(x509.IPAddress))
    return all(name.lower() in have_names for name in names) and all(
        ipaddress.ip_address(ip) in have_ips for ip in ips
    )


# -- service-account keys -------------------------------------------------------------------


def _ensure_service_account_keys(pki: Pki) -> None:
    if pki.sa_key.exists():
        key = _read_key(pki.sa_key)
    else:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        write_atomic(pki.sa_key, _pem(key), mode=_KEY_MODE)
    pub = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    if not pki.sa_pub.exists() or pki.sa_pub.read_bytes() != pub:
        write_atomic(pki.sa_pub, pub, mode=_CERT_MODE)


# -- small pieces ---------------------------------------------------------------------------

_PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey


def _read_cert(path: Path) -> x509.Certificate:
    try:
        return x509.load_pem_x509_certificate(path.read_bytes())
    except ValueError as error:
        raise PkiError(f"{path}: not a PEM certificate") from error


def _read_key(path: Path) -> _PrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (ValueError, TypeError) as error:
        raise PkiError(f"{path}: not an unencrypted PEM private key") from error
    if not isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        raise PkiError(f"{path}: unsupported private key type {type(key).__name__}")
    return key


def _pem(key: _PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _same_public_key(cert: x509.Certificate, key: _PrivateKey) -> bool:
    def der(public: object) -> bytes:
        if not isinstance(public, ec.EllipticCurvePublicKey | rsa.RSAPublicKey):
            return b""
        return public.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    return der(cert.public_key()) == der(key.public_key()) != b""


def _write_pair(cert_path: Path, cert_pem: bytes, key_path: Path, key_pem: bytes) -> None:
    # The key goes first: a cert on disk always has its key beside it, and a crash in between
    # leaves a key that does not match the old cert, which the next run notices and replaces.
    write_atomic(key_path, key_pem, mode=_KEY_MODE)
    write_atomic(cert_path, cert_pem, mode=_CERT_MODE)


def _name(common_name: str, organizations: Sequence[str]) -> x509.Name:
    return x509.Name(
        [
            *(x509.NameAttribute(NameOID.ORGANIZATION_NAME, org) for org in organizations),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _key_usage(
    *, digital_signature: bool = False, key_cert_sign: bool = False, crl_sign: bool = False
) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=digital_signature,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=key_cert_sign,
        crl_sign=crl_sign,
        encipher_only=False,
        decipher_only=False,
    )


def _unique(items: Iterable[str], *, key: Callable[[str], str]) -> list[str]:
    """``items`` in order, without later duplicates (as compared by ``key``)."""
    seen: set[str] = set()
    out: list[str] = []
    for item in items:
        marker = key(item)
        if marker not in seen:
            seen.add(marker)
            out.append(item)
    return out
