"""Authentication against a real ``kubeling server``: kubectl with tokens, anonymous
requests, impersonation, and the ``kubernetes`` package and kubeling's client with a
bearer token and the CA (in-cluster style).

kubectl runs with a kubeconfig that names the server and its CA but carries no client
certificate (a certificate would win over any token, as in Kubernetes): ``--token``
then decides who it is, or nothing does. Given no credentials at all kubectl prompts for
a user name, so that kubeconfig names one without a password: kubectl then sends basic
auth, which Kubernetes no longer accepts as a credential, and the request is anonymous
(raw requests with no ``Authorization`` header at all check the same).
"""

from __future__ import annotations

import json
import ssl
import textwrap
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client
from kubernetes.client.rest import ApiException
from kubernetes.config.incluster_config import InClusterConfigLoader

from kubeling.client import ApiClient
from kubeling.client.config import in_cluster_config
from tests.support.cluster import RunningServer, running_server

STATIC_TOKEN = "31ada4fd-adec-460c-809a-9e56ceb75269"
TOKEN_FILE = f'{STATIC_TOKEN},alice,1001,"dev,ops"\nother-token,bob,1002\n'
BOOTSTRAP_SECRET = textwrap.dedent(
    """
    apiVersion: v1
    kind: Secret
    metadata: {name: bootstrap-token-07401b, namespace: kube-system}
    type: bootstrap.kubernetes.io/token
    stringData:
      token-id: 07401b
      token-secret: f395accd246ae52d
      usage-bootstrap-authentication: "true"
      auth-extra-groups: system:bootstrappers:kubeling:default-node-token
    """
)
# users and uids are no API resources kubectl could check a role against: applied as YAML
IMPERSONATOR_ROLE = textwrap.dedent(
    """
    apiVersion: rbac.authorization.k8s.io/v1
    kind: ClusterRole
    metadata: {name: impersonator}
    rules:
    - {apiGroups: [""], resources: [users], verbs: [impersonate]}
    - {apiGroups: [authentication.k8s.io], resources: [uids], verbs: [impersonate]}
    """
)
WHOAMI_PATH = "/apis/authentication.k8s.io/v1/selfsubjectreviews"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    root = tmp_path_factory.mktemp("authn")
    token_file = root / "tokens.csv"
    token_file.write_text(TOKEN_FILE)
    with running_server(root, extra=["--token-auth-file", str(token_file)]) as running:
        running.kubectl("create", "serviceaccount", "default", "-n", "default")
        # RBAC decides what the authenticated users may do: alice reads everything and may
        # impersonate users and uids; the default service account reads its namespace.
        running.kubectl(
            "create", "clusterrolebinding", "alice-view", "--clusterrole=view", "--user=alice"
        )
        running.kubectl("apply", "-f", "-", input=IMPERSONATOR_ROLE)
        running.kubectl(
            "create",
            "clusterrolebinding",
            "alice-impersonates",
            "--clusterrole=impersonator",
            "--user=alice",
        )
        running.kubectl(
            "create",
            "rolebinding",
            "default-view",
            "-n",
            "default",
            "--clusterrole=view",
            "--serviceaccount=default:default",
        )
        yield running


def _kubeconfig(server: RunningServer, name: str, user: dict[str, str]) -> Path:
    """A kubeconfig with the server, its CA, and ``user`` as the credentials."""
    path = server.data_dir.parent / f"{name}.yaml"
    cluster = {
        "server": server.url,
        "certificate-authority": str(server.data_dir / "pki" / "ca.crt"),
    }
    path.write_text(
        json.dumps(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": "kubeling", "cluster": cluster}],
                "users": [{"name": name, "user": user}],
                "contexts": [{"name": name, "context": {"cluster": "kubeling", "user": name}}],
                "current-context": name,
            }
        )
    )
    return path


@pytest.fixture(scope="module")
def token_only(server: RunningServer) -> Path:
    """A kubeconfig without credentials: ``--token`` gives them."""
    return _kubeconfig(server, "token-only", {})


@pytest.fixture(scope="module")
def anonymous(server: RunningServer) -> Path:
    """A kubeconfig with only a user name: no credential the server accepts."""
    return _kubeconfig(server, "nobody", {"username": "nobody"})


def _as(server: RunningServer, kubeconfig: Path, token: str, *args: str, check: bool = True) -> Any:
    """kubectl with only ``token`` (none if empty) as credentials."""
    flags = ["--kubeconfig", str(kubeconfig)] + (["--token", token] if token else [])
    return server.kubectl(*flags, *args, check=check)


def _whoami(server: RunningServer, kubeconfig: Path, token: str = "", *flags: str) -> Any:
    out = _as(server, kubeconfig, token, "auth", "whoami", "-o", "json", *flags).stdout
    return json.loads(out)["status"]["userInfo"]


# -- kubectl --token ------------------------------------------------------------------


def test_static_token(server: RunningServer, token_only: Path) -> None:
    """--token-auth-file: the token's user, uid and groups, and system:authenticated."""
    assert _whoami(server, token_only, STATIC_TOKEN) == {
        "username": "alice",
        "uid": "1001",
        "groups": ["dev", "ops", "system:authenticated"],
    }
    table = _as(server, token_only, STATIC_TOKEN, "auth", "whoami").stdout.splitlines()
    assert table[1].split() == ["Username", "alice"]
    assert table[2].split() == ["UID", "1001"]
    assert table[3].split() == ["Groups", "[dev", "ops", "system:authenticated]"]
    # and it may do what RBAC grants it (view, bound in the fixture)
    names = _as(server, token_only, STATIC_TOKEN, "get", "ns", "-o", "name").stdout
    assert "namespace/kube-system" in names.split()


def test_service_account_token(server: RunningServer, token_only: Path) -> None:
    """kubectl --token=$(kubectl create token default): the service account, its groups
    and the token's credential id."""
    token = server.kubectl("create", "token", "default", "-n", "default").stdout.strip()
    uid = server.kubectl_json("get", "serviceaccount", "default", "-n", "default")["metadata"]
    assert isinstance(uid, dict)
    user = _whoami(server, token_only, token)
    assert user["username"] == "system:serviceaccount:default:default"
    assert user["uid"] == uid["uid"]
    assert user["groups"] == [
        "system:serviceaccounts",
        "system:serviceaccounts:default",
        "system:authenticated",
    ]
    (credential,) = user["extra"]["authentication.kubernetes.io/credential-id"]
    assert credential.startswith("JTI=")
    pods = _as(server, token_only, token, "get", "pods", "-n", "default", "-o", "json")
    assert json.loads(pods.stdout)["items"] == []


def test_bootstrap_token(server: RunningServer, token_only: Path) -> None:
    """A join token: system:bootstrap:<id> in system:bootstrappers and its extra group."""
    server.kubectl("apply", "-f", "-", input=BOOTSTRAP_SECRET)
    assert _whoami(server, token_only, "07401b.f395accd246ae52d") == {
        "username": "system:bootstrap:07401b",
        "groups": [
            "system:bootstrappers",
            "system:bootstrappers:kubeling:default-node-token",
            "system:authenticated",
        ],
    }
    # the wrong secret is not a login
    result = _as(server, token_only, "07401b.0000000000000000", "get", "ns", check=False)
    assert result.returncode == 1
    assert "Unauthorized" in result.stderr


@pytest.mark.parametrize(
    "token",
    ["not-a-token", "eyJhbGciOiJSUzI1NiJ9.e30.c2ln", STATIC_TOKEN.upper()],
)
def test_bad_token_is_unauthorized(server: RunningServer, token_only: Path, token: str) -> None:
    """A token nobody recognises: 401, also on /version (a bad credential is never anonymous)."""
    for args in (["get", "ns"], ["get", "--raw", "/version"]):
        result = _as(server, token_only, token, *args, check=False)
        assert result.returncode == 1
        assert "error: You must be logged in to the server (Unauthorized)" in result.stderr


def test_wrong_audience_and_deleted_account_tokens_are_refused(
    server: RunningServer, token_only: Path
) -> None:
    """A token for another audience, then one whose account is gone: 401."""
    vault = server.kubectl("create", "token", "default", "--audience", "vault").stdout.strip()
    result = _as(server, token_only, vault, "get", "ns", check=False)
    assert "Unauthorized" in result.stderr
    server.kubectl("create", "serviceaccount", "short-lived")
    token = server.kubectl("create", "token", "short-lived").stdout.strip()
    assert _whoami(server, token_only, token)["username"].endswith(":short-lived")
    server.kubectl("delete", "serviceaccount", "short-lived")
    result = _as(server, token_only, token, "get", "ns", check=False)
    assert "Unauthorized" in result.stderr


# -- no credentials -------------------------------------------------------------------


def _raw(server: RunningServer, path: str, **headers: str) -> tuple[int, Any]:
    """GET ``path`` with no credentials at all (only the CA to trust the server)."""
    context = ssl.create_default_context(cafile=str(server.data_dir / "pki" / "ca.crt"))
    request = urllib.request.Request(server.url + path, headers=headers)
    try:
        with urllib.request.urlopen(request, context=context, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def test_raw_requests_without_credentials(server: RunningServer) -> None:
    """No Authorization header, no certificate: /version answers;
    a list is system:anonymous's, refused by RBAC with 403 naming that user."""
    code, body = _raw(server, "/version")
    assert (code, body["gitVersion"]) == (200, "v1.32.4+kubeling")
    code, body = _raw(server, "/api/v1/namespaces/default/pods")
    assert (code, body["reason"]) == (403, "Forbidden")
    assert body["message"] == (
        'pods is forbidden: User "system:anonymous" cannot list resource "pods" '
        'in API group "" in the namespace "default"'
    )
    # a bearer token with nothing in it is no credential either
    assert _raw(server, "/version", Authorization="Bearer ")[0] == 200


def test_no_credentials_is_anonymous(server: RunningServer, anonymous: Path) -> None:
    """/version answers anyone; other requests are system:anonymous's, and the default
    RBAC policy refuses them with 403 naming that user (system:basic-user and
    system:discovery are bound to system:authenticated only)."""
    version = json.loads(_as(server, anonymous, "", "version", "-o", "json").stdout)
    assert version["serverVersion"]["minor"] == "32"
    listed = _as(server, anonymous, "", "get", "pods", check=False)
    assert listed.returncode == 1
    assert 'User "system:anonymous" cannot list resource "pods"' in listed.stderr
    # kubectl's words for a 403 to a SelfSubjectReview
    whoami = _as(server, anonymous, "", "auth", "whoami", "-o", "json", check=False)
    assert whoami.returncode == 1
    assert (
        "error: the selfsubjectreviews API is not enabled in the cluster or you do not have "
        "permission to call it"
    ) in whoami.stderr
    code, body = _raw(server, WHOAMI_PATH)
    assert (code, body["reason"]) == (403, "Forbidden")


def test_anonymous_auth_off(tmp_path: Path) -> None:
    """--anonymous-auth=false: even /version needs credentials; the admin still gets in."""
    with running_server(tmp_path, extra=["--anonymous-auth=false"]) as server:
        code, body = _raw(server, "/version")
        assert (code, body["reason"]) == (401, "Unauthorized")
        assert json.loads(server.kubectl("get", "--raw", "/version").stdout)["minor"] == "32"


# -- impersonation --------------------------------------------------------------------


def test_impersonation_with_kubectl(server: RunningServer, token_only: Path) -> None:
    """--as, --as-group and --as-uid show in whoami, for the admin and a token user."""
    admin = server.kubeconfig
    assert _whoami(server, admin, "", "--as", "jane", "--as-group", "devs") == {
        "username": "jane",
        "groups": ["devs", "system:authenticated"],
    }
    assert _whoami(server, admin, "", "--as", "system:serviceaccount:default:default") == {
        "username": "system:serviceaccount:default:default",
        "groups": [
            "system:serviceaccounts",
            "system:serviceaccounts:default",
            "system:authenticated",
        ],
    }
    assert _whoami(server, token_only, STATIC_TOKEN, "--as", "jane", "--as-uid", "u-7") == {
        "username": "jane",
        "uid": "u-7",
        "groups": ["system:authenticated"],
    }


def test_anonymous_may_not_impersonate(server: RunningServer, anonymous: Path) -> None:
    """Without credentials --as is refused with Kubernetes' 403 message."""
    result = _as(server, anonymous, "", "get", "--raw", "/version", "--as", "admin", check=False)
    assert result.returncode == 1
    assert (
        'Error from server (Forbidden): users "admin" is forbidden: User "system:anonymous" '
        'cannot impersonate resource "users" in API group "" at the cluster scope'
    ) in result.stderr


# -- client libraries -----------------------------------------------------------------


def _in_cluster_files(server: RunningServer, directory: Path, token: str) -> dict[str, str]:
    """A pod's service account directory (token, ca.crt, namespace) and its environment."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "token").write_text(token)
    (directory / "ca.crt").write_bytes((server.data_dir / "pki" / "ca.crt").read_bytes())
    (directory / "namespace").write_text("default")
    host, port = server.url.removeprefix("https://").rsplit(":", 1)
    return {"KUBERNETES_SERVICE_HOST": host, "KUBERNETES_SERVICE_PORT": port}


def test_kubernetes_package_in_cluster_config(server: RunningServer, tmp_path: Path) -> None:
    """The kubernetes package's in-cluster config (token file and CA) authenticates as the
    service account; a bad token gets its 401."""
    token = server.kubectl("create", "token", "default").stdout.strip()
    environ = _in_cluster_files(server, tmp_path / "sa", token)
    configuration = client.Configuration()
    InClusterConfigLoader(
        token_filename=str(tmp_path / "sa" / "token"),
        cert_filename=str(tmp_path / "sa" / "ca.crt"),
        environ=environ,
    ).load_and_set(configuration)
    with client.ApiClient(configuration) as api:
        review = client.AuthenticationV1Api(api).create_self_subject_review(
            client.V1SelfSubjectReview()
        )
        assert review.status.user_info.username == "system:serviceaccount:default:default"
        pods = client.CoreV1Api(api).list_namespaced_pod("default")
        assert pods.items == []
    configuration = client.Configuration(
        host=server.url,
        api_key={"authorization": f"Bearer {STATIC_TOKEN}x"},
    )
    configuration.ssl_ca_cert = str(tmp_path / "sa" / "ca.crt")
    with client.ApiClient(configuration) as api, pytest.raises(ApiException) as info:
        client.CoreV1Api(api).list_namespace()
    assert info.value.status == 401
    assert json.loads(info.value.body)["reason"] == "Unauthorized"


async def test_kubeling_client_in_cluster_config(server: RunningServer, tmp_path: Path) -> None:
    """kubeling's client, configured as in a pod, sends the bearer token."""
    environ = _in_cluster_files(server, tmp_path / "sa", STATIC_TOKEN)
    config = in_cluster_config(environ=environ, service_account_dir=tmp_path / "sa")
    async with ApiClient(config) as api:
        review = await api.request(
            "POST",
            WHOAMI_PATH,
            body={"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"},
        )
    assert review["status"]["userInfo"]["username"] == "alice"
