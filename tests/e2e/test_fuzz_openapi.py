"""The API fuzzed from its own OpenAPI document with schemathesis.

A real ``kubeling server`` serves ``/openapi/v2``; schemathesis generates requests for
the operations of a representative set of resources (``tests.support.fuzzing``), both
valid by the schema and not (negative mode: wrong types, missing required fields,
out-of-range values), and the test sends them:

- with the admin's client certificate: no answer may be a 5xx, and a 2xx answer must
  match the response schema the document declares;
- with no credentials (anonymous, which the default RBAC allows nothing on these paths)
  and with a garbage bearer token: every answer must be a 403 and a 401 respectively,
  never a 2xx, whatever the request.

Hypothesis runs derandomized (the same requests on every run) with a small number of
examples per operation, so that the whole file stays within a few minutes. The number
of requests sent is printed (``pytest -s``) and recorded in docs/security.md.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.support.cluster import RunningServer, running_server
from tests.support.fuzzing import AdminFiles, Tally, admin_files, fuzzed_path

# examples per operation and generation mode: about 90 operations are driven
ADMIN_EXAMPLES = 8
UNAUTHENTICATED_EXAMPLES = 3
NAMESPACE = "fuzz"
TARGET = "target"
# query parameters that would make a request stream until it times out
_STREAMING_QUERY = ("watch", "follow")
_TARGETS = {
    "/api/v1/namespaces/fuzz/configmaps": {"metadata": {"name": TARGET}, "data": {"a": "1"}},
    "/api/v1/namespaces/fuzz/secrets": {"metadata": {"name": TARGET}, "data": {"a": "MQ=="}},
    "/api/v1/namespaces/fuzz/services": {
        "metadata": {"name": TARGET},
        "spec": {"ports": [{"port": 80}]},
    },
    "/api/v1/namespaces/fuzz/pods": {
        "metadata": {"name": TARGET},
        "spec": {"containers": [{"name": "c", "image": "busybox"}]},
    },
    "/apis/apps/v1/namespaces/fuzz/deployments": {
        "metadata": {"name": TARGET},
        "spec": {
            "selector": {"matchLabels": {"app": "t"}},
            "template": {
                "metadata": {"labels": {"app": "t"}},
                "spec": {"containers": [{"name": "c", "image": "busybox"}]},
            },
        },
    },
}


@dataclass
class _Api:
    server: RunningServer
    files: AdminFiles
    schema: schemathesis.BaseSchema

    def operations(self) -> list[Any]:
        found = [result.ok() for result in self.schema.get_all_operations()]
        return [operation for operation in found if fuzzed_path(operation.path)]


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[_Api]:
    root = tmp_path_factory.mktemp("fuzz")
    with running_server(root) as server:
        files = admin_files(server, root)
        session = _admin_session(files)
        document = session.get(server.url + "/openapi/v2", timeout=30)
        assert document.status_code == 200
        setup = {"/api/v1/namespaces": {"metadata": {"name": NAMESPACE}}} | _TARGETS
        for path, body in setup.items():
            created = session.post(server.url + path, json=body, timeout=30)
            assert created.status_code == 201, created.text
        schema = schemathesis.openapi.from_dict(_as_kubernetes_answers(document.json()))
        yield _Api(server, files, schema)
        # the server is still up and answers after the abuse
        assert session.get(server.url + "/readyz", timeout=30).status_code == 200


def _as_kubernetes_answers(document: dict[str, Any]) -> dict[str, Any]:
    """Kubernetes' own document, loosened where Kubernetes' answers do not follow it.

    Upstream declares IntOrString a string (``format: int-or-string``) and answers
    numbers, and writes a template's unset ``creationTimestamp`` as ``null``: the
    response check would refuse what every Kubernetes API server sends.
    """
    definitions = document["definitions"]
    definitions["io.k8s.apimachinery.pkg.util.intstr.IntOrString"].pop("type")
    definitions["io.k8s.apimachinery.pkg.apis.meta.v1.Time"]["x-nullable"] = True
    return document


def _admin_session(files: AdminFiles) -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # REQUESTS_CA_BUNDLE would replace the cluster CA
    session.cert = (str(files.cert), str(files.key))
    session.verify = str(files.ca)
    return session


def _drive(
    api: _Api,
    *,
    examples: int,
    prepare: Callable[[Case, bool], None],
    send: Callable[[Case], requests.Response | Any],
    judge: Callable[[Case, Any, GenerationMode], str | None],
) -> Tally:
    """Generate ``examples`` cases per operation and mode, send each, tally the verdicts."""
    tally = Tally()
    for operation in api.operations():
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            strategy = operation.as_strategy(generation_mode=mode)

            def one(case: Case, aimed: bool, mode: GenerationMode) -> None:
                for name in _STREAMING_QUERY:
                    (case.query or {}).pop(name, None)
                prepare(case, aimed)
                response = send(case)
                tally.record(response.status_code, judge(case, response, mode))

            given(case=strategy, aimed=st.booleans(), mode=st.just(mode))(
                settings(
                    max_examples=examples,
                    derandomize=True,
                    database=None,
                    deadline=None,
                    phases=[Phase.explicit, Phase.generate],
                    suppress_health_check=list(HealthCheck),
                )(one)
            )()
    return tally


def _describe(case: Case, response: Any) -> str:
    body = response.text[:300] if hasattr(response, "text") else ""
    query = json.dumps(case.query, default=str)[:200]
    return f"{case.method} {case.formatted_path} {query} -> {response.status_code} {body}"


def test_admin_requests_never_get_a_server_error(api: _Api) -> None:
    """Valid and invalid requests from the admin: never a 5xx; what a read answers
    matches the schema."""
    session = _admin_session(api.files)

    def prepare(case: Case, aimed: bool) -> None:
        # half the cases aim at the namespace and objects that exist, so that writes,
        # reads and deletes get past "not found"
        if aimed and case.path_parameters:
            if "namespace" in case.path_parameters:
                case.path_parameters["namespace"] = NAMESPACE
            if "name" in case.path_parameters:
                case.path_parameters["name"] = TARGET

    def send(case: Case) -> Any:
        return case.call(
            base_url=api.server.url,
            session=session,
            timeout=30,
            verify=str(api.files.ca),
            cert=(str(api.files.cert), str(api.files.key)),
        )

    def judge(case: Case, response: Any, mode: GenerationMode) -> str | None:
        checks = [not_a_server_error]
        # reads only: a write or delete may answer with what the document does not
        # declare, in Kubernetes too (the object of a delete still pending finalizers)
        if case.method == "GET" and 200 <= response.status_code < 300:
            checks.append(response_schema_conformance)
        try:
            case.validate_response(response, checks=checks)
        except (AssertionError, FailureGroup) as failure:  # the checks refused the answer
            return f"{_describe(case, response)}\n{str(failure)[:600]}"
        return None

    tally = _drive(api, examples=ADMIN_EXAMPLES, prepare=prepare, send=send, judge=judge)
    print(f"\nfuzz, admin: {tally.summary()}")
    assert tally.sent > 1000
    assert not tally.problems, "\n\n".join(tally.problems)


@pytest.mark.parametrize(
    ("authorization", "expected"),
    [(None, 403), ("Bearer not-a-token", 401), ("Bearer a.b.c", 401)],
    ids=["anonymous", "garbage-token", "garbage-jwt"],
)
def test_unauthenticated_requests_never_get_through(
    api: _Api, authorization: str | None, expected: int
) -> None:
    """Without credentials every request is refused (403 for anonymous: RBAC allows it
    nothing here), with a bad token every one is a 401: never a 2xx, never a 5xx."""
    session = requests.Session()
    session.trust_env = False

    def prepare(case: Case, aimed: bool) -> None:
        headers = {k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"}
        if authorization is not None:
            headers["Authorization"] = authorization
        case.headers = headers
        if aimed and case.path_parameters and "namespace" in case.path_parameters:
            case.path_parameters["namespace"] = NAMESPACE

    def send(case: Case) -> Any:
        return case.call(
            base_url=api.server.url, session=session, timeout=30, verify=str(api.files.ca)
        )

    def judge(case: Case, response: Any, mode: GenerationMode) -> str | None:
        if response.status_code != expected:
            return _describe(case, response)
        return None

    tally = _drive(api, examples=UNAUTHENTICATED_EXAMPLES, prepare=prepare, send=send, judge=judge)
    print(f"\nfuzz, {authorization or 'anonymous'}: {tally.summary()}")
    assert tally.sent > 300
    assert not tally.problems, "\n\n".join(tally.problems)


def test_fuzzed_operations_cover_the_representative_resources(api: _Api) -> None:
    """The selection drives every verb of the resources named in docs/security.md."""
    labels = {operation.label for operation in api.operations()}
    for wanted in (
        "POST /api/v1/namespaces/{namespace}/pods",
        "GET /api/v1/namespaces/{namespace}/pods/{name}/log",
        "PATCH /api/v1/namespaces/{namespace}/services/{name}",
        "DELETE /api/v1/namespaces/{namespace}/configmaps",
        "PUT /api/v1/namespaces/{namespace}/secrets/{name}",
        "DELETE /api/v1/namespaces/{name}",
        "PUT /apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale",
        "POST /apis/batch/v1/namespaces/{namespace}/jobs",
        "POST /apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
        "PATCH /apis/apiextensions.k8s.io/v1/customresourcedefinitions/{name}/status",
    ):
        assert wanted in labels
    assert len(labels) > 80
