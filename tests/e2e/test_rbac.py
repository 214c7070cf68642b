"""RBAC with real kubectl 1.32 against a real ``kubeling server``.

Users are client certificates minted by the test with the cluster CA (CN is
the user, O the groups), each with its own kubeconfig; the admin kubeconfig
(``system:masters``) sets up roles and bindings. The watch caches the
authorizer reads trail a write by a moment, so a test that has just bound a
role waits until the binding takes effect, as one would with Kubernetes.
"""

from __future__ import annotations

import json
import subprocess
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from kubeling.cli.kubeconfig import write_kubeconfig
from kubeling.pki import Pki, issue_client_cert
from tests.support.cluster import RunningServer, running_server
from tests.support.polling import eventually


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with running_server(tmp_path_factory.mktemp("rbac")) as running:
        yield running


def _user(server: RunningServer, name: str, *groups: str) -> Path:
    """A kubeconfig for ``name`` in ``groups``, with a certificate from the cluster CA."""
    pki = Pki.at(server.data_dir / "pki")
    cert, key = issue_client_cert(pki, name, groups)
    path = server.home / f"{name}.kubeconfig"
    write_kubeconfig(
        path,
        server_url=server.url,
        ca_pem=pki.ca_pem(),
        client_cert_pem=cert,
        client_key_pem=key,
        user=name,
    )
    return path


def _as(server: RunningServer, kubeconfig: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    def run(
        *args: str, check: bool = True, input: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        return server.kubectl("--kubeconfig", str(kubeconfig), *args, check=check, input=input)

    return run


def _namespace(server: RunningServer) -> str:
    name = f"rbac-{uuid.uuid4().hex[:6]}"
    server.kubectl("create", "namespace", name)
    return name


def test_a_user_without_bindings_is_forbidden_with_kubernetes_message(
    server: RunningServer,
) -> None:
    """No binding: 403 with the exact Kubernetes message, for lists, gets and cluster scope."""
    nobody = _as(server, _user(server, "nobody", "team"))
    listed = nobody("get", "pods", "-n", "default", check=False)
    assert listed.returncode == 1
    assert listed.stderr.strip() == (
        'Error from server (Forbidden): pods is forbidden: User "nobody" cannot list '
        'resource "pods" in API group "" in the namespace "default"'
    )
    got = nobody("get", "deployment", "web", "-n", "default", check=False)
    assert got.stderr.strip() == (
        'Error from server (Forbidden): deployments.apps "web" is forbidden: User "nobody" '
        'cannot get resource "deployments" in API group "apps" in the namespace "default"'
    )
    nodes = nobody("get", "nodes", check=False)
    assert nodes.stderr.strip() == (
        'Error from server (Forbidden): nodes is forbidden: User "nobody" cannot list '
        'resource "nodes" in API group "" at the cluster scope'
    )
    # what every authenticated user may do: discovery, version, who am I
    assert nobody("version", "-o", "json").returncode == 0
    assert nobody("auth", "whoami", "-o", "json").returncode == 0
    assert nobody("auth", "can-i", "list", "pods", check=False).stdout.strip() == "no"


def test_view_in_one_namespace_allows_reading_there_only(server: RunningServer) -> None:
    """A RoleBinding to ``view`` lets the user get and list in its namespace, nowhere else,
    and not write or read secrets even there."""
    namespace, other = _namespace(server), _namespace(server)
    server.kubectl("create", "configmap", "settings", "-n", namespace, "--from-literal=a=1")
    viewer = _as(server, _user(server, "viewer"))
    server.kubectl(
        "create",
        "rolebinding",
        "viewer-view",
        "-n",
        namespace,
        "--clusterrole=view",
        "--user=viewer",
    )
    eventually(
        lambda: viewer("get", "configmaps", "-n", namespace, check=False).returncode == 0,
        within=10,
        what="the view binding to take effect",
    )
    names = viewer("get", "configmaps", "-n", namespace, "-o", "name").stdout.split()
    assert "configmap/settings" in names
    assert viewer("get", "configmap", "settings", "-n", namespace).returncode == 0
    elsewhere = viewer("get", "configmaps", "-n", other, check=False)
    assert elsewhere.stderr.strip() == (
        'Error from server (Forbidden): configmaps is forbidden: User "viewer" cannot list '
        f'resource "configmaps" in API group "" in the namespace "{other}"'
    )
    write = viewer("delete", "configmap", "settings", "-n", namespace, check=False)
    assert (
        f'configmaps "settings" is forbidden: User "viewer" cannot delete resource "configmaps" '
        f'in API group "" in the namespace "{namespace}"'
    ) in write.stderr
    assert viewer("auth", "can-i", "list", "pods", "-n", namespace).stdout.strip() == "yes"
    assert (
        viewer("auth", "can-i", "list", "secrets", "-n", namespace, check=False).stdout.strip()
        == "no"
    )
    assert viewer("auth", "can-i", "list", "pods", "-n", other, check=False).stdout.strip() == "no"


def test_can_i_list_shows_the_rules_of_the_namespace(server: RunningServer) -> None:
    """``kubectl auth can-i --list`` prints what RBAC grants in the namespace."""
    namespace = _namespace(server)
    lister = _as(server, _user(server, "lister"))
    server.kubectl(
        "create",
        "role",
        "pod-reader",
        "-n",
        namespace,
        "--verb=get,list",
        "--resource=pods",
        "--resource-name=web",
    )
    server.kubectl(
        "create",
        "rolebinding",
        "lister-pods",
        "-n",
        namespace,
        "--role=pod-reader",
        "--user=lister",
    )

    def listed() -> list[list[str]]:
        out = lister("auth", "can-i", "--list", "-n", namespace).stdout.splitlines()
        return [line.split() for line in out]

    eventually(
        lambda: any(row[:1] == ["pods"] for row in listed()), within=10, what="the role binding"
    )
    rows = listed()
    assert rows[0] == ["Resources", "Non-Resource", "URLs", "Resource", "Names", "Verbs"]
    assert ["pods", "[]", "[web]", "[get", "list]"] in rows
    # system:basic-user and system:discovery, bound to every authenticated user
    assert ["selfsubjectaccessreviews.authorization.k8s.io", "[]", "[]", "[create]"] in rows
    assert ["[/version]", "[]", "[get]"] in rows


def test_a_role_granting_more_than_its_writer_holds_is_refused(server: RunningServer) -> None:
    """A namespace admin may write roles, but not one granting what they do not hold."""
    namespace = _namespace(server)
    boss = _as(server, _user(server, "boss", "leads"))
    server.kubectl(
        "create",
        "rolebinding",
        "boss-admin",
        "-n",
        namespace,
        "--clusterrole=admin",
        "--group=leads",
    )
    eventually(
        lambda: (
            boss("auth", "can-i", "create", "roles", "-n", namespace, check=False).stdout.strip()
            == "yes"
        ),
        within=10,
        what="the admin binding",
    )
    # within what admin holds: fine
    boss("create", "role", "pod-reader", "-n", namespace, "--verb=get", "--resource=pods")
    refused = boss(
        "create",
        "role",
        "node-reader",
        "-n",
        namespace,
        "--verb=get,list",
        "--resource=nodes",
        check=False,
    )
    assert refused.returncode == 1
    assert (
        'roles.rbac.authorization.k8s.io "node-reader" is forbidden: user "boss" '
        '(groups=["leads" "system:authenticated"]) is attempting to grant RBAC permissions '
        "not currently held:\n"
        '{APIGroups:[""], Resources:["nodes"], Verbs:["get" "list"]}'
    ) in refused.stderr
    # binding a role one does not hold is refused too; binding one held is not
    bind = boss(
        "create",
        "rolebinding",
        "too-much",
        "-n",
        namespace,
        "--clusterrole=cluster-admin",
        "--user=someone",
        check=False,
    )
    assert bind.returncode == 1
    assert 'rolebindings.rbac.authorization.k8s.io "too-much" is forbidden: user "boss"' in (
        bind.stderr
    )
    boss("create", "rolebinding", "fine", "-n", namespace, "--clusterrole=view", "--user=someone")


def test_a_cluster_role_labelled_aggregate_to_view_joins_view_edit_and_admin(
    server: RunningServer,
) -> None:
    """The aggregation controller adds a labelled ClusterRole's rules to view, and so to
    edit and admin, which aggregate view."""
    manifest = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {
            "name": "crontab-viewer",
            "labels": {"rbac.authorization.k8s.io/aggregate-to-view": "true"},
        },
        "rules": [
            {
                "apiGroups": ["stable.example.com"],
                "resources": ["crontabs"],
                "verbs": ["get", "list"],
            }
        ],
    }
    server.kubectl("apply", "-f", "-", input=json.dumps(manifest))
    wanted = manifest["rules"][0]

    def aggregated(role: str) -> bool:
        rules = server.kubectl_json("get", "clusterrole", role).get("rules") or []
        return wanted in rules  # type: ignore[operator]

    for role in ("view", "edit", "admin"):
        eventually(
            lambda role=role: aggregated(role),
            within=10,
            what=f"{role} to aggregate crontab-viewer",
        )
    view = server.kubectl_json("get", "clusterrole", "view", "--show-managed-fields")
    managers = [m["manager"] for m in view["metadata"]["managedFields"]]  # type: ignore[index]
    assert "clusterrole-aggregation-controller" in managers


def test_subject_access_review_names_the_binding_that_allows(server: RunningServer) -> None:
    """A SubjectAccessReview answers for another user, with RBAC's reason."""
    namespace = _namespace(server)
    server.kubectl(
        "create",
        "rolebinding",
        "sar-view",
        "-n",
        namespace,
        "--clusterrole=view",
        "--user=reviewed",
    )
    review = {
        "apiVersion": "authorization.k8s.io/v1",
        "kind": "SubjectAccessReview",
        "spec": {
            "user": "reviewed",
            "resourceAttributes": {"namespace": namespace, "verb": "list", "resource": "pods"},
        },
    }

    def answer() -> dict[str, object]:
        out = server.kubectl("create", "-f", "-", "-o", "json", input=json.dumps(review)).stdout
        status: dict[str, object] = json.loads(out)["status"]
        return status

    eventually(lambda: answer()["allowed"] is True, within=10, what="the binding to allow")
    assert answer() == {
        "allowed": True,
        "reason": (
            f'RBAC: allowed by RoleBinding "sar-view/{namespace}" of ClusterRole "view" '
            'to User "reviewed"'
        ),
    }
    review["spec"]["resourceAttributes"]["verb"] = "delete"  # type: ignore[index]
    assert answer() == {"allowed": False}


def test_a_kubelet_cannot_read_another_nodes_pods_secrets(server: RunningServer) -> None:
    """``kubectl --as system:node:n1 --as-group system:nodes``: the Node authorizer, before
    RBAC, lets a kubelet read the Secret of a pod bound to it, never another node's."""
    namespace = _namespace(server)
    for node in ("n1", "n2"):
        server.kubectl("-n", namespace, "create", "secret", "generic", f"s-{node}")
        pod = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": f"p-{node}", "namespace": namespace},
            "spec": {
                "nodeName": node,
                "containers": [{"name": "c", "image": "busybox"}],
                "volumes": [{"name": "s", "secret": {"secretName": f"s-{node}"}}],
            },
        }
        server.kubectl("apply", "-f", "-", input=json.dumps(pod))
    kubelet = ("--as", "system:node:n1", "--as-group", "system:nodes", "-n", namespace)

    def can_i(verb: str, what: str) -> str:
        return server.kubectl("auth", "can-i", verb, what, *kubelet, check=False).stdout.strip()

    eventually(
        lambda: can_i("get", "secret/s-n1") == "yes",
        within=10,
        what="the pod of n1 in the graph",
    )
    # kubectl prints the authorizer's reason after a "no", as with Kubernetes
    no_relation = "no - no relationship found between node 'n1' and this object"
    assert can_i("get", "secret/s-n2") == no_relation
    assert can_i("list", "secrets") == "no - No Object name found"
    assert can_i("delete", "secret/s-n1") == "no - can only read resources of this type"
    assert can_i("get", "pod/p-n1") == "yes"
    assert can_i("get", "pod/p-n2") == no_relation
    assert can_i("create", "events") == "yes"  # the system:node rules, for every kubelet
    other = server.kubectl("get", "secret", "s-n2", *kubelet, check=False)
    assert other.stderr.strip() == (
        f'Error from server (Forbidden): secrets "s-n2" is forbidden: User "system:node:n1" '
        f'cannot get resource "secrets" in API group "" in the namespace "{namespace}": '
        "no relationship found between node 'n1' and this object"
    )
