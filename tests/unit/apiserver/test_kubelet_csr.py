"""Kubernetes' kubelet CSR rules (``ValidateKubeletClientCSR``, ``ValidateKubeletServingCSR``):
the first rule broken, with Kubernetes' message, or None."""

from __future__ import annotations

import pytest

from kubeling.apiserver.kubelet_csr import kubelet_client_csr_problem, kubelet_serving_csr_problem
from kubeling.pki import CsrContents

NODE = CsrContents("system:node:n1", ("system:nodes",))
SERVING = NODE._replace(dns_names=("n1",), ip_addresses=("10.0.0.1",))
ECDSA_SERVING = ["digital signature", "server auth"]
RSA_SERVING = ["digital signature", "key encipherment", "server auth"]
ECDSA_CLIENT = ["digital signature", "client auth"]
SERVING_USAGES = "usages did not match [digital signature key encipherment server auth]"
CLIENT_USAGES = "usages did not match [client auth digital signature key encipherment]"


@pytest.mark.parametrize(
    ("request_", "usages", "problem"),
    [
        (SERVING, ECDSA_SERVING, None),
        (SERVING, RSA_SERVING, None),
        (SERVING, [*ECDSA_SERVING, "server auth"], None),  # a set: repeats do not count
        (NODE._replace(ip_addresses=("127.0.0.2",)), ECDSA_SERVING, None),
        (NODE._replace(dns_names=("n1",)), ECDSA_SERVING, None),
        (
            SERVING._replace(organizations=()),
            ECDSA_SERVING,
            "subject organization is not system:nodes",
        ),
        (
            SERVING._replace(organizations=("system:nodes", "system:masters")),
            ECDSA_SERVING,
            "subject organization is not system:nodes",
        ),
        (
            SERVING._replace(organizations=("system:masters",), common_name="x"),
            [],
            "subject organization is not system:nodes",
        ),
        (NODE, ECDSA_SERVING, "DNS or IP subjectAltName is required"),
        (NODE._replace(emails=("a@b.c",)), ECDSA_SERVING, "DNS or IP subjectAltName is required"),
        (
            SERVING._replace(emails=("a@b.c",)),
            ECDSA_SERVING,
            "Email subjectAltNames are not allowed",
        ),
        (
            SERVING._replace(uris=("spiffe://x",)),
            ECDSA_SERVING,
            "URI subjectAltNames are not allowed",
        ),
        (SERVING, ["server auth"], SERVING_USAGES),
        (SERVING, ["digital signature", "server auth", "client auth"], SERVING_USAGES),
        (SERVING, ECDSA_CLIENT, SERVING_USAGES),
        (SERVING, [], SERVING_USAGES),
        # usages come before the common name in the serving rules
        (SERVING._replace(common_name="admin"), ["server auth"], SERVING_USAGES),
        (
            SERVING._replace(common_name="admin"),
            ECDSA_SERVING,
            "subject common name does not begin with system:node:",
        ),
    ],
)
def test_kubelet_serving_csr_rules(
    request_: CsrContents, usages: list[str], problem: str | None
) -> None:
    assert kubelet_serving_csr_problem(request_, usages) == problem


@pytest.mark.parametrize(
    ("request_", "usages", "problem"),
    [
        (NODE, ECDSA_CLIENT, None),
        (NODE, ["digital signature", "key encipherment", "client auth"], None),
        (
            NODE._replace(organizations=("system:masters",)),
            ECDSA_CLIENT,
            "subject organization is not system:nodes",
        ),
        (NODE._replace(dns_names=("n1",)), ECDSA_CLIENT, "DNS subjectAltNames are not allowed"),
        (NODE._replace(emails=("a@b.c",)), ECDSA_CLIENT, "Email subjectAltNames are not allowed"),
        (
            NODE._replace(ip_addresses=("10.0.0.1",)),
            ECDSA_CLIENT,
            "IP subjectAltNames are not allowed",
        ),
        (NODE._replace(uris=("spiffe://x",)), ECDSA_CLIENT, "URI subjectAltNames are not allowed"),
        # the common name comes before the usages in the client rules
        (
            NODE._replace(common_name="system:bootstrap:abcdef"),
            ["server auth"],
            "subject common name does not begin with system:node:",
        ),
        (NODE, ["client auth"], CLIENT_USAGES),
        (NODE, ECDSA_SERVING, CLIENT_USAGES),
    ],
)
def test_kubelet_client_csr_rules(
    request_: CsrContents, usages: list[str], problem: str | None
) -> None:
    assert kubelet_client_csr_problem(request_, usages) == problem
