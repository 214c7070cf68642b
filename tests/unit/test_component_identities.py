"""Each component's certificate names its own identity, signed by the cluster CA."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from kubeling.cli.component_identities import (
    CONTROLLER_MANAGER,
    DNS,
    PROXY,
    SCHEDULER,
    Component,
    kubelet_component,
    write_component_kubeconfig,
)
from kubeling.client.config import load_kubeconfig
from kubeling.pki import Identity, ensure_client_cert, ensure_pki, identity_from_cert


def _identity(pem: bytes) -> Identity | None:
    der = x509.load_pem_x509_certificate(pem).public_bytes(serialization.Encoding.DER)
    return identity_from_cert(der)


@pytest.mark.parametrize(
    ("component", "identity"),
    [
        (SCHEDULER, Identity("system:kube-scheduler", ())),
        (CONTROLLER_MANAGER, Identity("system:kube-controller-manager", ())),
        (PROXY, Identity("system:kube-proxy", ())),
        (
            DNS,
            Identity(
                "system:serviceaccount:kube-system:coredns",
                ("system:serviceaccounts", "system:serviceaccounts:kube-system"),
            ),
        ),
        (kubelet_component("n1"), Identity("system:node:n1", ("system:nodes",))),
    ],
)
def test_component_certificates_name_their_identity(
    tmp_path: Path, component: Component, identity: Identity
) -> None:
    pki = ensure_pki(tmp_path / "pki", server_names=[], server_ips=[])
    path = write_component_kubeconfig(
        component, pki=pki, data_dir=tmp_path, server_url="https://127.0.0.1:6443"
    )
    assert path == tmp_path / f"{component.name}.kubeconfig"
    kubeconfig = load_kubeconfig(path)
    assert kubeconfig.user == identity.user
    assert kubeconfig.client_cert_pem is not None
    assert _identity(kubeconfig.client_cert_pem) == identity


def test_certificates_are_kept_until_the_identity_changes(tmp_path: Path) -> None:
    pki = ensure_pki(tmp_path / "pki", server_names=[], server_ips=[])
    cert, _ = ensure_client_cert(pki, "kubelet", kubelet_component("n1").identity)
    first = cert.read_bytes()
    ensure_client_cert(pki, "kubelet", kubelet_component("n1").identity)
    assert cert.read_bytes() == first
    ensure_client_cert(pki, "kubelet", kubelet_component("n2").identity)
    assert _identity(cert.read_bytes()) == Identity("system:node:n2", ("system:nodes",))
