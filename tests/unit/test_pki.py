"""The cluster PKI: profiles, chains, idempotence, renewal, permissions, identities."""

from __future__ import annotations

import datetime
import hashlib
import ipaddress
import shutil
import ssl
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID
from cryptography.x509.verification import (
    ClientVerifier,
    Criticality,
    ExtensionPolicy,
    PolicyBuilder,
    Store,
)

from kubeling.pki import (
    CsrContents,
    CsrError,
    Identity,
    Pki,
    PkiError,
    ca_cert_hash,
    client_csr_identity,
    ensure_pki,
    identity_from_cert,
    issue_client_cert,
    issue_serving_cert,
    new_client_csr,
    new_serving_csr,
    read_csr,
    self_signed_serving_cert,
    serving_cert_usable,
    sign_client_csr,
    sign_serving_csr,
)

NOW = datetime.datetime(2026, 12, 1, 12, 0, tzinfo=datetime.UTC)
NAMES = ["node-1.example.test"]
IPS = ["192.0.2.10"]
FILES = (
    "ca.crt",
    "ca.key",
    "server.crt",
    "server.key",
    "admin.crt",
    "admin.key",
    "apiserver-kubelet-client.crt",
    "apiserver-kubelet-client.key",
    "sa.key",
    "sa.pub",
)


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One PKI made once per module (RSA keygen is the slow part); tests work on copies."""
    dir = tmp_path_factory.mktemp("pristine") / "pki"
    ensure_pki(dir, server_names=NAMES, server_ips=IPS, now=NOW)
    return dir


@pytest.fixture
def pki(pristine: Path, tmp_path: Path) -> Pki:
    dir = tmp_path / "pki"
    shutil.copytree(pristine, dir)
    return Pki.at(dir)


def _cert(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def _snapshot(dir: Path) -> dict[str, tuple[bytes, int]]:
    return {name: ((dir / name).read_bytes(), (dir / name).stat().st_mtime_ns) for name in FILES}


def _store(pki: Pki) -> PolicyBuilder:
    return PolicyBuilder().store(Store([_cert(pki.ca_cert)])).time(NOW)


def _client_verifier(pki: Pki) -> ClientVerifier:
    """The webpki client profile, except that SANs are optional: Kubernetes client certs name
    their user in the subject and carry no SAN, which Go and OpenSSL accept."""
    leaf = ExtensionPolicy.webpki_defaults_ee().may_be_present(
        x509.SubjectAlternativeName, Criticality.AGNOSTIC, None
    )
    return (
        _store(pki)
        .extension_policies(ca_policy=ExtensionPolicy.webpki_defaults_ca(), ee_policy=leaf)
        .build_client_verifier()
    )


def test_every_file_is_created(pki: Pki) -> None:
    """ensure_pki lays out the ten files, and the Pki paths point at them."""
    assert sorted(p.name for p in pki.dir.iterdir()) == sorted(FILES)
    assert pki.ca_cert == pki.dir / "ca.crt"
    assert pki.sa_pub == pki.dir / "sa.pub"


def test_keys_are_private_and_certs_readable(pki: Pki) -> None:
    """Private keys are 0600; certificates and the public SA key are 0644."""
    for name in ("ca.key", "server.key", "admin.key", "apiserver-kubelet-client.key", "sa.key"):
        assert stat.S_IMODE((pki.dir / name).stat().st_mode) == 0o600, name
    for name in ("ca.crt", "server.crt", "admin.crt", "apiserver-kubelet-client.crt", "sa.pub"):
        assert stat.S_IMODE((pki.dir / name).stat().st_mode) == 0o644, name


def test_ca_profile(pki: Pki) -> None:
    """The CA: self-signed, CA:TRUE critical, may sign certs, ten years, ECDSA P-256."""
    ca = _cert(pki.ca_cert)
    assert ca.issuer == ca.subject
    ca.verify_directly_issued_by(ca)
    constraints = ca.extensions.get_extension_for_class(x509.BasicConstraints)
    assert constraints.critical
    assert constraints.value.ca
    usage = ca.extensions.get_extension_for_class(x509.KeyUsage)
    assert usage.critical
    assert usage.value.key_cert_sign
    assert usage.value.crl_sign
    assert ca.not_valid_after_utc - ca.not_valid_before_utc >= datetime.timedelta(days=3650)
    key = ca.public_key()
    assert isinstance(key, ec.EllipticCurvePublicKey)
    assert key.curve.name == "secp256r1"


def test_server_cert_chains_and_serves_every_name(pki: Pki) -> None:
    """The serving cert verifies for every default and requested name and IP (webpki rules)."""
    server = _cert(pki.server_cert)
    names = [
        "localhost",
        "kubernetes",
        "kubernetes.default",
        "kubernetes.default.svc",
        "kubernetes.default.svc.cluster.local",
        *NAMES,
    ]
    ips = ["127.0.0.1", "127.96.0.1", *IPS]
    for name in names:
        _store(pki).build_server_verifier(x509.DNSName(name)).verify(server, [])
    for ip in ips:
        subject = x509.IPAddress(ipaddress.ip_address(ip))
        _store(pki).build_server_verifier(subject).verify(server, [])
    san = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == names
    assert [str(ip) for ip in san.get_values_for_type(x509.IPAddress)] == ips


def test_server_cert_does_not_serve_other_names(pki: Pki) -> None:
    """A name that was not asked for does not verify: the SAN check has teeth."""
    verifier = _store(pki).build_server_verifier(x509.DNSName("elsewhere.example.test"))
    with pytest.raises(x509.verification.VerificationError):
        verifier.verify(_cert(pki.server_cert), [])


def test_leaf_profiles(pki: Pki) -> None:
    """Leaves: CA:FALSE critical, digitalSignature only, the right EKU, one year, with AKI/SKI."""
    ca_ski = _cert(pki.ca_cert).extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
    for path, eku in (
        (pki.server_cert, ExtendedKeyUsageOID.SERVER_AUTH),
        (pki.admin_cert, ExtendedKeyUsageOID.CLIENT_AUTH),
        (pki.kubelet_client_cert, ExtendedKeyUsageOID.CLIENT_AUTH),
    ):
        cert = _cert(path)
        constraints = cert.extensions.get_extension_for_class(x509.BasicConstraints)
        assert constraints.critical
        assert not constraints.value.ca
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
        assert usage.digital_signature
        assert not usage.key_cert_sign
        assert not usage.key_encipherment
        assert list(cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value) == [eku]
        aki = cert.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
        assert aki.key_identifier == ca_ski.value.digest
        cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
        lifetime = cert.not_valid_after_utc - cert.not_valid_before_utc
        assert datetime.timedelta(days=365) <= lifetime < datetime.timedelta(days=366)


def test_admin_cert_is_a_client_of_the_ca(pki: Pki) -> None:
    """The admin cert verifies as a client cert and names kubernetes-admin in system:masters."""
    admin = _cert(pki.admin_cert)
    _client_verifier(pki).verify(admin, [])
    assert identity_from_cert(admin.public_bytes(serialization.Encoding.DER)) == Identity(
        "kubernetes-admin", ("system:masters",)
    )


def test_kubelet_client_cert_names_the_api_server(pki: Pki) -> None:
    """The API server calls kubelets as kube-apiserver-kubelet-client in system:masters."""
    cert = _cert(pki.kubelet_client_cert)
    _client_verifier(pki).verify(cert, [])
    assert identity_from_cert(cert.public_bytes(serialization.Encoding.DER)) == Identity(
        "kube-apiserver-kubelet-client", ("system:masters",)
    )


def test_issued_serving_cert_serves_its_names_only(pki: Pki) -> None:
    """A kubelet's serving cert chains to the CA for its names and IPs, and for no other."""
    cert_pem, key_pem = issue_serving_cert(
        pki, "system:node:node-1", names=["node-1"], ips=["127.0.0.1"], now=NOW
    )
    cert = x509.load_pem_x509_certificate(cert_pem)
    key = serialization.load_pem_private_key(key_pem, password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    assert key.public_key() == cert.public_key()
    for name in (x509.DNSName("node-1"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))):
        _store(pki).build_server_verifier(name).verify(cert, [])
    with pytest.raises(x509.verification.VerificationError):
        _store(pki).build_server_verifier(x509.DNSName("node-2")).verify(cert, [])
    assert sorted(p.name for p in pki.dir.iterdir()) == sorted(FILES)  # nothing written


def test_serving_cert_is_not_a_client_cert(pki: Pki) -> None:
    """The EKUs keep roles apart: the serving cert does not verify as a client cert."""
    with pytest.raises(x509.verification.VerificationError):
        _client_verifier(pki).verify(_cert(pki.server_cert), [])


def test_keys_match_their_certs(pki: Pki) -> None:
    """Each key file is the private half of its cert; sa.pub is the public half of sa.key."""
    for cert_path, key_path in (
        (pki.ca_cert, pki.ca_key),
        (pki.server_cert, pki.server_key),
        (pki.admin_cert, pki.admin_key),
    ):
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        assert isinstance(key, ec.EllipticCurvePrivateKey)
        assert key.public_key() == _cert(cert_path).public_key()
    sa_key = serialization.load_pem_private_key(pki.sa_key.read_bytes(), password=None)
    assert isinstance(sa_key, rsa.RSAPrivateKey)
    assert sa_key.key_size == 2048
    assert serialization.load_pem_public_key(pki.sa_pub.read_bytes()) == sa_key.public_key()


def test_service_account_signing_key(pki: Pki) -> None:
    """The signing key is sa.key, as RSA; a key of another type is a PkiError."""
    key = pki.service_account_signing_key()
    assert serialization.load_pem_public_key(pki.sa_pub.read_bytes()) == key.public_key()
    pki.ca_key.replace(pki.sa_key)  # an ECDSA key where the RSA one belongs
    with pytest.raises(PkiError, match="not an RSA key"):
        pki.service_account_signing_key()


def test_second_ensure_rewrites_nothing(pki: Pki) -> None:
    """Run again with the same request: every file byte-identical, not even touched."""
    before = _snapshot(pki.dir)
    again = ensure_pki(pki.dir, server_names=NAMES, server_ips=IPS, now=NOW)
    assert again == pki
    assert _snapshot(pki.dir) == before


def test_subset_of_sans_is_covered(pki: Pki) -> None:
    """Asking for fewer names, or the same ones differently spelled, keeps the serving cert."""
    before = _snapshot(pki.dir)
    ensure_pki(pki.dir, server_names=["NODE-1.example.test"], server_ips=[], now=NOW)
    assert _snapshot(pki.dir) == before


def test_new_san_regenerates_only_the_server_cert(pki: Pki) -> None:
    """A name the serving cert lacks: new server cert and key, every other file untouched."""
    before = _snapshot(pki.dir)
    ensure_pki(pki.dir, server_names=[*NAMES, "api.example.test"], server_ips=IPS, now=NOW)
    after = _snapshot(pki.dir)
    changed = {name for name in FILES if after[name] != before[name]}
    assert changed == {"server.crt", "server.key"}
    _store(pki).build_server_verifier(x509.DNSName("api.example.test")).verify(
        _cert(pki.server_cert), []
    )


def test_new_ip_regenerates_the_server_cert(pki: Pki) -> None:
    """An IP the serving cert lacks also triggers a new serving cert."""
    old = pki.server_cert.read_bytes()
    ensure_pki(pki.dir, server_names=NAMES, server_ips=[*IPS, "2001:db8::1"], now=NOW)
    assert pki.server_cert.read_bytes() != old
    subject = x509.IPAddress(ipaddress.ip_address("2001:db8::1"))
    _store(pki).build_server_verifier(subject).verify(_cert(pki.server_cert), [])


def test_leaves_are_renewed_within_thirty_days_of_expiry(pki: Pki) -> None:
    """Eleven months on, the leaf certs are renewed; the CA and SA keys are not."""
    before = _snapshot(pki.dir)
    later = NOW + datetime.timedelta(days=340)
    ensure_pki(pki.dir, server_names=NAMES, server_ips=IPS, now=later)
    after = _snapshot(pki.dir)
    changed = {name for name in FILES if after[name] != before[name]}
    assert changed == {
        "server.crt",
        "server.key",
        "admin.crt",
        "admin.key",
        "apiserver-kubelet-client.crt",
        "apiserver-kubelet-client.key",
    }
    assert _cert(pki.server_cert).not_valid_after_utc > later + datetime.timedelta(days=360)


def test_leaves_are_kept_with_more_than_thirty_days_left(pki: Pki) -> None:
    """Ten months on, 65 days remain: nothing is renewed."""
    before = _snapshot(pki.dir)
    ensure_pki(pki.dir, server_names=NAMES, server_ips=IPS, now=NOW + datetime.timedelta(days=300))
    assert _snapshot(pki.dir) == before


def test_mismatched_server_key_is_repaired(pki: Pki) -> None:
    """A crash between writing a new key and its cert: the next run issues a matching pair."""
    pki.server_key.write_bytes(pki.admin_key.read_bytes())
    ensure_pki(pki.dir, server_names=NAMES, server_ips=IPS, now=NOW)
    key = serialization.load_pem_private_key(pki.server_key.read_bytes(), password=None)
    assert key.public_key() == _cert(pki.server_cert).public_key()


def test_missing_ca_cert_starts_a_new_ca_and_reissues_leaves(pki: Pki) -> None:
    """No ca.crt (a crash before it landed): a new CA, and leaves re-issued under it."""
    old_ca = pki.ca_cert.read_bytes()
    old_sa = pki.sa_key.read_bytes()
    pki.ca_cert.unlink()
    ensure_pki(pki.dir, server_names=NAMES, server_ips=IPS, now=NOW)
    assert pki.ca_cert.read_bytes() != old_ca
    _store(pki).build_server_verifier(x509.DNSName("localhost")).verify(_cert(pki.server_cert), [])
    _client_verifier(pki).verify(_cert(pki.admin_cert), [])
    assert pki.sa_key.read_bytes() == old_sa


def test_ca_cert_without_its_key_is_an_error(pki: Pki) -> None:
    """A ca.crt whose key is gone is not silently replaced: clients trust that CA."""
    pki.ca_key.unlink()
    with pytest.raises(PkiError, match=r"ca\.key"):
        ensure_pki(pki.dir, server_names=NAMES, server_ips=IPS, now=NOW)


def test_ca_cert_with_the_wrong_key_is_an_error(pki: Pki) -> None:
    """A ca.key that is not the CA's key is refused."""
    pki.ca_key.write_bytes(pki.admin_key.read_bytes())
    with pytest.raises(PkiError, match="is not the key of"):
        ensure_pki(pki.dir, server_names=NAMES, server_ips=IPS, now=NOW)


def test_corrupt_server_cert_is_replaced(pki: Pki) -> None:
    """A serving cert that does not parse is re-issued like any other unusable leaf."""
    pki.server_cert.write_bytes(b"garbage")
    ensure_pki(pki.dir, server_names=NAMES, server_ips=IPS, now=NOW)
    _store(pki).build_server_verifier(x509.DNSName("localhost")).verify(_cert(pki.server_cert), [])


def test_corrupt_ca_cert_is_an_error(pki: Pki) -> None:
    """A ca.crt that does not parse is a PkiError naming the file, not a bare ValueError."""
    pki.ca_cert.write_bytes(b"garbage")
    with pytest.raises(PkiError, match="not a PEM certificate"):
        ensure_pki(pki.dir, server_names=NAMES, server_ips=IPS, now=NOW)


def test_missing_sa_pub_is_rewritten_from_sa_key(pki: Pki) -> None:
    """sa.pub is derived: lost, it comes back identical; sa.key is never replaced."""
    pub = pki.sa_pub.read_bytes()
    key = pki.sa_key.read_bytes()
    pki.sa_pub.unlink()
    ensure_pki(pki.dir, server_names=NAMES, server_ips=IPS, now=NOW)
    assert pki.sa_pub.read_bytes() == pub
    assert pki.sa_key.read_bytes() == key


def test_no_temporary_files_are_left_behind(pki: Pki) -> None:
    """Atomic writes clean up: only the eight files remain after a regeneration."""
    ensure_pki(pki.dir, server_names=["other.example.test"], server_ips=[], now=NOW)
    assert sorted(p.name for p in pki.dir.iterdir()) == sorted(FILES)


@pytest.mark.parametrize(
    ("common_name", "organizations"),
    [
        ("system:kube-scheduler", []),
        ("system:kube-controller-manager", []),
        ("system:node:node-1", ["system:nodes"]),
        ("system:kube-proxy", []),
        ("jane", ["dev", "ops"]),
    ],
)
def test_issued_client_certs_carry_the_identity(
    pki: Pki, common_name: str, organizations: list[str]
) -> None:
    """issue_client_cert: a client cert under the CA whose CN/O read back as user/groups."""
    cert_pem, key_pem = issue_client_cert(pki, common_name, organizations, now=NOW)
    cert = x509.load_pem_x509_certificate(cert_pem)
    _client_verifier(pki).verify(cert, [])
    key = serialization.load_pem_private_key(key_pem, password=None)
    assert key.public_key() == cert.public_key()
    der = cert.public_bytes(serialization.Encoding.DER)
    assert identity_from_cert(der) == Identity(common_name, tuple(organizations))


def test_identity_from_a_getpeercert_dict() -> None:
    """The dict form: CN is the user, every O a group, multi-valued RDNs included."""
    peercert = {
        "subject": (
            (("organizationName", "system:nodes"),),
            (("organizationName", "extra"), ("countryName", "NL")),
            (("commonName", "system:node:n1"),),
        ),
        "issuer": ((("commonName", "kubeling-ca"),),),
    }
    assert identity_from_cert(peercert) == Identity("system:node:n1", ("system:nodes", "extra"))


def test_no_common_name_means_no_identity() -> None:
    """A subject without a CN authenticates nobody, as in Kubernetes."""
    assert identity_from_cert({"subject": ((("organizationName", "system:masters"),),)}) is None
    assert identity_from_cert({}) is None


def test_server_ssl_context(pki: Pki) -> None:
    """The server context: TLS 1.2 at least, client certs optional but verified against the CA."""
    context = pki.server_ssl_context()
    assert context.minimum_version == ssl.TLSVersion.TLSv1_2
    assert context.verify_mode == ssl.CERT_OPTIONAL
    assert context.cert_store_stats()["x509_ca"] == 1
    assert context.num_tickets == 1  # as Go's TLS 1.3 server


def test_client_ssl_context(pki: Pki) -> None:
    """The client context trusts only the cluster CA and checks the host name."""
    context = pki.client_ssl_context(pki.admin_cert, pki.admin_key)
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname
    assert context.cert_store_stats()["x509_ca"] == 1


def test_a_client_csr_is_signed_as_a_client_cert_of_the_ca(pki: Pki) -> None:
    """The key stays with the requester; the cert names its subject and verifies as a client."""
    csr_pem, key_pem = new_client_csr("system:node:n1", ["system:nodes"])
    assert client_csr_identity(csr_pem) == Identity("system:node:n1", ("system:nodes",))
    identity, cert_pem = sign_client_csr(pki, csr_pem, now=NOW)
    assert identity == Identity("system:node:n1", ("system:nodes",))
    cert = x509.load_pem_x509_certificate(cert_pem)
    _client_verifier(pki).verify(cert, [])
    assert identity_from_cert(cert.public_bytes(serialization.Encoding.DER)) == identity
    key = serialization.load_pem_private_key(key_pem, password=None)
    assert cert.public_key() == key.public_key()


def _csr(key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey, *, san: bool = False) -> bytes:
    builder = x509.CertificateSigningRequestBuilder().subject_name(
        x509.Name([x509.NameAttribute(x509.oid.NameOID.COMMON_NAME, "system:node:n1")])
    )
    if san:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName("n1")]), critical=False
        )
    return builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)


def _forged() -> bytes:
    """A request whose signature is not its key's: one signature byte flipped."""
    der = x509.load_pem_x509_csr(_csr(ec.generate_private_key(ec.SECP256R1()))).public_bytes(
        serialization.Encoding.DER
    )
    forged = der[:-1] + bytes([der[-1] ^ 1])
    return x509.load_der_x509_csr(forged).public_bytes(serialization.Encoding.PEM)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: b"not a csr", "PEM block type must be CERTIFICATE REQUEST"),
        (_forged, "signature does not verify"),
        (lambda: _csr(ec.generate_private_key(ec.SECP256R1()), san=True), "extensions"),
        (lambda: _csr(rsa.generate_private_key(65537, 1024)), "2048 bits or more"),
        (lambda: _csr(ec.generate_private_key(ec.SECP192R1())), "unsupported elliptic curve"),
    ],
)
def test_requests_that_are_not_plain_client_requests_are_refused(
    pki: Pki, make: Callable[[], bytes], message: str
) -> None:
    with pytest.raises(CsrError, match=message):
        sign_client_csr(pki, make(), now=NOW)


def test_a_serving_csr_is_signed_as_a_serving_cert_for_its_sans(pki: Pki) -> None:
    """A kubelet's serving request: its subject and SANs, serverAuth, verifiable for each SAN."""
    csr_pem, key_pem = new_serving_csr(
        "system:node:n1", ["system:nodes"], names=["n1", "host-1"], ips=["127.0.0.2"]
    )
    assert read_csr(csr_pem) == CsrContents(
        "system:node:n1", ("system:nodes",), ("n1", "host-1"), ("127.0.0.2",)
    )
    cert_pem = sign_serving_csr(pki, csr_pem, now=NOW)
    cert = x509.load_pem_x509_certificate(cert_pem)
    for subject in (
        x509.DNSName("n1"),
        x509.DNSName("host-1"),
        x509.IPAddress(ipaddress.ip_address("127.0.0.2")),
    ):
        _store(pki).build_server_verifier(subject).verify(cert, [])
    usage = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(usage) == [ExtendedKeyUsageOID.SERVER_AUTH]
    assert identity_from_cert(cert.public_bytes(serialization.Encoding.DER)) == Identity(
        "system:node:n1", ("system:nodes",)
    )
    ca_pem = pki.ca_pem()
    later = NOW + datetime.timedelta(days=1)
    assert serving_cert_usable(
        cert_pem, key_pem, ca_pem, names=["n1"], ips=["127.0.0.2"], now=later
    )
    # Another address, another key, or too little time left: a new one is needed.
    assert not serving_cert_usable(
        cert_pem, key_pem, ca_pem, names=[], ips=["127.0.0.3"], now=later
    )
    _, other_key = new_client_csr("x", [])
    assert not serving_cert_usable(cert_pem, other_key, ca_pem, names=[], ips=[], now=later)
    late = NOW + datetime.timedelta(days=340)
    assert not serving_cert_usable(cert_pem, key_pem, ca_pem, names=[], ips=[], now=late)
    assert not serving_cert_usable(b"junk", key_pem, ca_pem, names=[], ips=[], now=later)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: b"not a csr", "PEM block type must be CERTIFICATE REQUEST"),
        (_forged, "signature does not verify"),
        (lambda: _csr(ec.generate_private_key(ec.SECP256R1())), "DNS or IP subjectAltName"),
        (lambda: _csr(rsa.generate_private_key(65537, 1024), san=True), "2048 bits or more"),
    ],
)
def test_requests_that_cannot_be_serving_certs_are_refused(
    pki: Pki, make: Callable[[], bytes], message: str
) -> None:
    with pytest.raises(CsrError, match=message):
        sign_serving_csr(pki, make(), now=NOW)


def test_ca_cert_hash_is_kubeadms_pin(pki: Pki) -> None:
    """sha256 of the CA's SubjectPublicKeyInfo, hex, with the sha256: prefix."""
    spki = (
        _cert(pki.ca_cert)
        .public_key()
        .public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    assert ca_cert_hash(pki.ca_pem()) == "sha256:" + hashlib.sha256(spki).hexdigest()


def test_self_signed_serving_cert(tmp_path: Path) -> None:
    """A self-signed server certificate with its names, a year long, that loads as a pair."""
    cert_pem, key_pem = self_signed_serving_cert("fake", dns_names=["a.test"], now=NOW)
    cert = x509.load_pem_x509_certificate(cert_pem)
    assert cert.subject == cert.issuer
    assert cert.subject.rfc4514_string() == "CN=fake"
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["a.test"]
    usage = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(usage) == [ExtendedKeyUsageOID.SERVER_AUTH]
    assert cert.not_valid_after_utc - NOW == datetime.timedelta(days=365)
    (tmp_path / "c.pem").write_bytes(cert_pem)
    (tmp_path / "k.pem").write_bytes(key_pem)
    ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER).load_cert_chain(tmp_path / "c.pem", tmp_path / "k.pem")
