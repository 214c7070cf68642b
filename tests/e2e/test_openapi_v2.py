"""kubectl 1.32 and /openapi/v2: create-only kinds validated client-side, as against Kubernetes.

kubectl looks for a kind's PATCH operation in /openapi/v3; the reviews have
none, so it downloads /openapi/v2 as gnostic protobuf, finds no PATCH there
either and validates the manifest itself against the v2 models. Every
``kubectl create -f`` here runs with default validation.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.support.cluster import RunningServer, running_server

TOKEN_REVIEW = """\
apiVersion: authentication.k8s.io/v1
kind: TokenReview
spec:
  token: {token}
"""
SELF_SUBJECT_ACCESS_REVIEW = """\
apiVersion: authorization.k8s.io/v1
kind: SelfSubjectAccessReview
spec:
  resourceAttributes:
    verb: get
    resource: pods
    namespace: default
"""
SUBJECT_ACCESS_REVIEW = """\
apiVersion: authorization.k8s.io/v1
kind: SubjectAccessReview
spec:
  user: alice
  groups: [dev]
  resourceAttributes:
    verb: list
    group: apps
    resource: deployments
"""
# A CRD whose schema swagger 2.0 cannot hold as written (nullable, anyOf,
# oneOf): /openapi/v2 must still encode, and kubectl still read it.
WIDGET_CRD = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  names: {plural: widgets, singular: widget, kind: Widget}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            required: [size]
            properties:
              size: {type: string, nullable: true, description: How big.}
              port:
                x-kubernetes-int-or-string: true
                anyOf: [{type: integer}, {type: string}]
              choice:
                type: object
                oneOf: [{required: [left]}, {required: [right]}]
                properties:
                  left: {type: string}
                  right: {type: string}
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with running_server(tmp_path_factory.mktemp("openapiv2")) as running:
        yield running


def create(server: RunningServer, tmp_path: Path, manifest: str, *args: str) -> dict[str, object]:
    """``kubectl create -f <file> -o yaml`` with default validation; the printed object."""
    path = tmp_path / "manifest.yaml"
    path.write_text(manifest)
    out = server.kubectl("create", "-f", str(path), "-o", "yaml", *args).stdout
    value: dict[str, object] = yaml.safe_load(out)
    return value


def refused(server: RunningServer, tmp_path: Path, manifest: str) -> str:
    """kubectl's error for a manifest it must refuse itself; nothing reaches the server."""
    path = tmp_path / "invalid.yaml"
    path.write_text(manifest)
    result = server.kubectl("create", "-f", str(path), check=False)
    assert result.returncode == 1, result
    assert result.stdout == ""
    return result.stderr.strip()


def test_token_review(server: RunningServer, tmp_path: Path) -> None:
    """A real service account token is reviewed and the result printed."""
    server.kubectl("create", "serviceaccount", "reviewer")
    token = server.kubectl("create", "token", "reviewer").stdout.strip()
    review = create(server, tmp_path, TOKEN_REVIEW.format(token=token))
    assert review["kind"] == "TokenReview"
    status = review["status"]
    assert isinstance(status, dict)
    assert status["authenticated"] is True
    assert status["user"]["username"] == "system:serviceaccount:default:reviewer"


def test_token_review_of_a_bad_token(server: RunningServer, tmp_path: Path) -> None:
    review = create(server, tmp_path, TOKEN_REVIEW.format(token="not-a-token"))
    status = review["status"]
    assert isinstance(status, dict)
    assert not status.get("authenticated")
    assert "invalid bearer token" in status["error"]


def test_self_subject_access_review(server: RunningServer, tmp_path: Path) -> None:
    review = create(server, tmp_path, SELF_SUBJECT_ACCESS_REVIEW)
    assert review["kind"] == "SelfSubjectAccessReview"
    assert review["status"] == {"allowed": True}


def test_subject_access_review(server: RunningServer, tmp_path: Path) -> None:
    review = create(server, tmp_path, SUBJECT_ACCESS_REVIEW)
    assert review["kind"] == "SubjectAccessReview"
    spec = review["spec"]
    assert isinstance(spec, dict)
    assert spec["user"] == "alice"
    assert review["status"] == {"allowed": False}  # RBAC: alice is bound to nothing


def test_unknown_field_is_refused_by_kubectl(server: RunningServer, tmp_path: Path) -> None:
    """kubectl's own schema validation, word for word as against Kubernetes."""
    manifest = TOKEN_REVIEW.format(token="x") + "  bogus: 1\n"
    assert refused(server, tmp_path, manifest) == (
        f'error: error validating "{tmp_path / "invalid.yaml"}": error validating data: '
        'ValidationError(TokenReview.spec): unknown field "bogus" in '
        "io.k8s.api.authentication.v1.TokenReviewSpec; if you choose to ignore these errors, "
        "turn validation off with --validate=false"
    )


def test_wrong_type_and_missing_spec_are_refused_by_kubectl(
    server: RunningServer, tmp_path: Path
) -> None:
    wrong_type = TOKEN_REVIEW.format(token="x") + "  audiences: api\n"
    assert (
        "ValidationError(TokenReview.spec.audiences): invalid type for "
        'io.k8s.api.authentication.v1.TokenReviewSpec.audiences: got "string", expected "array"'
    ) in refused(server, tmp_path, wrong_type)
    misspelt = SUBJECT_ACCESS_REVIEW.replace("spec:", "spek:")
    error = refused(server, tmp_path, misspelt)
    assert (
        'ValidationError(SubjectAccessReview): unknown field "spek" in '
        "io.k8s.api.authorization.v1.SubjectAccessReview"
    ) in error
    assert (
        'ValidationError(SubjectAccessReview): missing required field "spec" in '
        "io.k8s.api.authorization.v1.SubjectAccessReview"
    ) in error


def test_validate_false_sends_the_manifest_as_is(server: RunningServer, tmp_path: Path) -> None:
    """With validation off kubectl sends the unknown field and the server drops it."""
    manifest = TOKEN_REVIEW.format(token="x") + "  bogus: 1\n"
    review = create(server, tmp_path, manifest, "--validate=false")
    assert review["spec"] == {"token": "x"}


def test_explain_reads_v3_and_v2(server: RunningServer) -> None:
    """kubectl explain (v3) is unchanged, and its v2 output reads the protobuf models."""
    v3 = server.kubectl("explain", "tokenreview.spec").stdout
    assert "FIELD: spec <TokenReviewSpec>" in v3
    assert "audiences\t<[]string>" in v3
    v2 = server.kubectl("explain", "tokenreview.spec", "--output=plaintext-openapiv2").stdout
    assert "RESOURCE: spec <Object>" in v2
    assert "audiences\t<[]string>" in v2
    assert "token\t<string>" in v2
    ports = server.kubectl(
        "explain", "deployment.spec.template.spec.containers.ports", "--output=plaintext-openapiv2"
    ).stdout
    assert "containerPort\t<integer> -required-" in ports


def test_get_raw_openapi_v2_is_json(server: RunningServer) -> None:
    """Clients that accept JSON still get the JSON document."""
    document = json.loads(server.kubectl("get", "--raw", "/openapi/v2").stdout)
    assert document["swagger"] == "2.0"
    assert "io.k8s.api.authentication.v1.TokenReview" in document["definitions"]


def test_a_crd_beyond_swagger_2_keeps_v2_readable(server: RunningServer, tmp_path: Path) -> None:
    """After a CRD with nullable/anyOf/oneOf, /openapi/v2 is rebuilt and still parses."""
    crd = tmp_path / "crd.yaml"
    crd.write_text(WIDGET_CRD)
    server.kubectl("apply", "-f", str(crd))
    server.kubectl(
        "wait", "--for=condition=Established", "crd/widgets.example.com", "--timeout=30s"
    )
    review = create(server, tmp_path, SELF_SUBJECT_ACCESS_REVIEW)
    assert review["status"] == {"allowed": True}
    explained = server.kubectl("explain", "widgets.spec", "--output=plaintext-openapiv2").stdout
    assert "choice\t<Object>" in explained
    assert "size\t<>" in explained  # nullable: published untyped, as Kubernetes does
    widget = tmp_path / "widget.yaml"
    widget.write_text(
        "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n"
        "spec: {size: big, port: 80}\n"
    )
    server.kubectl("create", "-f", str(widget))
