"""The RBAC matrix: every verb on a set of resources and subresources, for Kubernetes'
default roles and for custom ones, asked with real kubectl 1.32 and ``--as``.

The expected table is derived here from Kubernetes 1.32's bootstrap policy
(``plugin/pkg/auth/authorizer/rbac/bootstrappolicy/policy.go``), written as the rules of
the aggregated ``view``, ``edit`` and ``admin`` roles for the resources the matrix
covers, not read from kubeling's own policy: a drift in kubeling's roles fails here.

- ``kubectl auth can-i <verb> <resource> [--subresource s] --as <user>`` asks for the
  whole matrix (a SelfSubjectAccessReview as the impersonated user, answered by the
  same authorizers as every request);
- a sample of real requests checks the 403 messages word for word, escalation refusals,
  a 401 for a bad credential, and a kubelet identity reading another node's objects.

The admin kubeconfig (``system:masters``) impersonates; every user is a name with
``system:authenticated``, bound per namespace with RoleBindings.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.cluster import RunningServer, running_server
from tests.support.polling import eventually

NS = "matrix"
VERBS = ("get", "list", "watch", "create", "update", "patch", "delete", "deletecollection")
READ = frozenset({"get", "list", "watch"})
WRITE = frozenset({"create", "update", "patch", "delete", "deletecollection"})
EVERY = READ | WRITE


@dataclass(frozen=True)
class _Resource:
    """A resource (``group/resource/subresource``) as kubectl names it, and its scope."""

    resource: str
    subresource: str = ""
    namespaced: bool = True

    @property
    def label(self) -> str:
        return f"{self.resource}/{self.subresource}" if self.subresource else self.resource


PODS = _Resource("pods")
POD_LOG = _Resource("pods", "log")
POD_EXEC = _Resource("pods", "exec")
DEPLOYMENTS = _Resource("deployments.apps")
DEPLOYMENT_SCALE = _Resource("deployments.apps", "scale")
SECRETS = _Resource("secrets")
CONFIGMAPS = _Resource("configmaps")
ROLES = _Resource("roles.rbac.authorization.k8s.io")
ROLEBINDINGS = _Resource("rolebindings.rbac.authorization.k8s.io")
NAMESPACES = _Resource("namespaces", namespaced=False)
NODES = _Resource("nodes", namespaced=False)
RESOURCES = (
    PODS,
    POD_LOG,
    POD_EXEC,
    DEPLOYMENTS,
    DEPLOYMENT_SCALE,
    SECRETS,
    CONFIGMAPS,
    ROLES,
    ROLEBINDINGS,
    NAMESPACES,
    NODES,
)

Grants = dict[_Resource, frozenset[str]]

# Kubernetes 1.32 bootstrap policy, the aggregate-to-* rules for these resources.
# view: Read on pods, pods/log, deployments, deployments/scale, configmaps (and, at
# namespace scope, the namespace itself): never secrets, pods/exec, roles.
VIEW: Grants = {r: READ for r in (PODS, POD_LOG, DEPLOYMENTS, DEPLOYMENT_SCALE, CONFIGMAPS)}
# edit: view, plus Read on the escalating pods/exec and secrets, and Write on pods,
# pods/exec, deployments, deployments/scale, configmaps, secrets; no RBAC objects.
EDIT: Grants = {
    **VIEW,
    **{r: EVERY for r in (PODS, POD_EXEC, DEPLOYMENTS, DEPLOYMENT_SCALE, CONFIGMAPS, SECRETS)},
}
# admin: edit, plus ReadWrite on roles and rolebindings (escalation checked on writes).
ADMIN: Grants = {**EDIT, ROLES: EVERY, ROLEBINDINGS: EVERY}
# cluster-admin bound in the namespace: everything namespaced there, nothing cluster-wide.
CLUSTER_ADMIN_IN_NS: Grants = {r: EVERY for r in RESOURCES if r.namespaced}
# the custom roles of this test: a Role and a ClusterRole
CUSTOM: Grants = {PODS: READ, POD_LOG: frozenset({"get"}), NODES: frozenset({"get", "list"})}
CUSTOM_ROLE = {
    "apiVersion": "rbac.authorization.k8s.io/v1",
    "kind": "Role",
    "metadata": {"name": "pod-reader", "namespace": NS},
    "rules": [
        {"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list", "watch"]},
        {"apiGroups": [""], "resources": ["pods/log"], "verbs": ["get"]},
    ],
}
CUSTOM_CLUSTER_ROLE = {
    "apiVersion": "rbac.authorization.k8s.io/v1",
    "kind": "ClusterRole",
    "metadata": {"name": "node-reader"},
    "rules": [{"apiGroups": [""], "resources": ["nodes"], "verbs": ["get", "list"]}],
}

USERS: dict[str, Grants] = {
    "cluster-admin-user": CLUSTER_ADMIN_IN_NS,
    "admin-user": ADMIN,
    "edit-user": EDIT,
    "view-user": VIEW,
    "custom-user": CUSTOM,
    # system:basic-user, system:discovery, system:public-info-viewer: no resources
    "plain-user": {},
}


def _expected(grants: Grants, resource: _Resource, verb: str) -> bool:
    # namespaces are read at namespace scope only: the matrix asks cluster-wide
    return verb in grants.get(resource, frozenset())


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with running_server(tmp_path_factory.mktemp("rbac-matrix")) as running:
        running.kubectl("create", "namespace", NS)
        for user, role in (
            ("cluster-admin-user", "cluster-admin"),
            ("admin-user", "admin"),
            ("edit-user", "edit"),
            ("view-user", "view"),
        ):
            running.kubectl(
                "create", "rolebinding", user, "-n", NS, f"--clusterrole={role}", f"--user={user}"
            )
        running.kubectl("apply", "-f", "-", input=json.dumps(CUSTOM_ROLE))
        running.kubectl("apply", "-f", "-", input=json.dumps(CUSTOM_CLUSTER_ROLE))
        running.kubectl(
            "create", "rolebinding", "custom", "-n", NS, "--role=pod-reader", "--user=custom-user"
        )
        running.kubectl(
            "create",
            "clusterrolebinding",
            "custom",
            "--clusterrole=node-reader",
            "--user=custom-user",
        )
        _wait_for_bindings(running)
        yield running


def _can_i(server: RunningServer, user: str, verb: str, resource: _Resource, *flags: str) -> bool:
    args = ["auth", "can-i", verb, resource.resource, "--as", user, *flags]
    if resource.subresource:
        args.append(f"--subresource={resource.subresource}")
    args += ["-n", NS] if resource.namespaced else ["--all-namespaces"]
    answer = server.kubectl(*args, check=False)
    assert answer.stdout.strip() in ("yes", "no"), answer
    return answer.stdout.strip() == "yes"


def _wait_for_bindings(server: RunningServer) -> None:
    """The authorizer reads bindings from watch caches that trail writes by a moment."""
    eventually(
        lambda: (
            all(_can_i(server, user, "get", PODS) for user in USERS if user != "plain-user")
            and _can_i(server, "custom-user", "list", NODES)
        ),
        within=10,
        what="the bindings to take effect",
    )


def test_the_matrix_matches_kubernetes_default_policy(server: RunningServer) -> None:
    """Every verb on every resource for every role: can-i answers as Kubernetes'
    bootstrap policy says."""
    cells = [(user, verb, resource) for user in USERS for resource in RESOURCES for verb in VERBS]
    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(lambda cell: _can_i(server, *cell), cells))
    wrong = [
        f"{user} {verb} {resource.label}: got {'yes' if got else 'no'}"
        for (user, verb, resource), got in zip(cells, answers, strict=True)
        if got != _expected(USERS[user], resource, verb)
    ]
    print(f"\nrbac matrix: {len(cells)} can-i questions")
    assert not wrong, "\n".join(wrong)


def test_every_authenticated_user_may_ask_and_discover(server: RunningServer) -> None:
    """system:basic-user and system:discovery: self reviews and discovery for anyone."""
    for user in USERS:
        review = _Resource("selfsubjectaccessreviews.authorization.k8s.io", namespaced=False)
        assert _can_i(server, user, "create", review)
        assert server.kubectl("auth", "can-i", "get", "/api", "--as", user).stdout.strip() == "yes"
        assert (
            server.kubectl(
                "auth", "can-i", "get", "/metrics", "--as", user, check=False
            ).stdout.strip()
            == "no"
        )


def test_namespaces_are_readable_only_at_namespace_scope(server: RunningServer) -> None:
    """view's rule on namespaces reads *this* namespace: get ns matrix, not list all."""
    assert server.kubectl("get", "namespace", NS, "--as", "view-user").returncode == 0
    listed = server.kubectl("get", "namespaces", "--as", "view-user", check=False)
    assert listed.stderr.strip() == (
        'Error from server (Forbidden): namespaces is forbidden: User "view-user" cannot '
        'list resource "namespaces" in API group "" at the cluster scope'
    )


# -- real requests ---------------------------------------------------------------------


def test_denied_requests_get_kubernetes_403_messages(server: RunningServer) -> None:
    """Real requests denied by RBAC: kubectl prints Kubernetes' message word for word."""
    server.kubectl("create", "secret", "generic", "db", "-n", NS, "--from-literal=p=x")
    server.kubectl("create", "deployment", "web", "-n", NS, "--image=busybox")
    cases = [
        (
            ("view-user", "get", "secrets", "-n", NS),
            'Error from server (Forbidden): secrets is forbidden: User "view-user" cannot '
            f'list resource "secrets" in API group "" in the namespace "{NS}"',
        ),
        (
            ("view-user", "get", "secret", "db", "-n", NS),
            'Error from server (Forbidden): secrets "db" is forbidden: User "view-user" '
            f'cannot get resource "secrets" in API group "" in the namespace "{NS}"',
        ),
        (
            ("plain-user", "get", "pods", "-n", NS),
            'Error from server (Forbidden): pods is forbidden: User "plain-user" cannot '
            f'list resource "pods" in API group "" in the namespace "{NS}"',
        ),
        (
            ("edit-user", "get", "roles", "-n", NS),
            "Error from server (Forbidden): roles.rbac.authorization.k8s.io is forbidden: "
            'User "edit-user" cannot list resource "roles" in API group '
            f'"rbac.authorization.k8s.io" in the namespace "{NS}"',
        ),
        (
            ("admin-user", "get", "nodes"),
            'Error from server (Forbidden): nodes is forbidden: User "admin-user" cannot '
            'list resource "nodes" in API group "" at the cluster scope',
        ),
        (
            ("custom-user", "get", "secrets", "-n", "default"),
            'Error from server (Forbidden): secrets is forbidden: User "custom-user" cannot '
            'list resource "secrets" in API group "" in the namespace "default"',
        ),
    ]
    for (user, *args), message in cases:
        answer = server.kubectl(*args, "--as", user, check=False)
        assert answer.returncode == 1
        assert answer.stderr.strip() == message
    scaled = server.kubectl(
        "scale", "deployment", "web", "-n", NS, "--replicas=2", "--as", "view-user", check=False
    )
    assert re.search(
        r'deployments\.apps "web" is forbidden: User "view-user" cannot (get|patch|update) '
        rf'resource "deployments/scale" in API group "apps" in the namespace "{NS}"',
        scaled.stderr,
    ), scaled.stderr
    # and what the roles allow goes through
    server.kubectl("scale", "deployment", "web", "-n", NS, "--replicas=2", "--as", "edit-user")
    server.kubectl("get", "secret", "db", "-n", NS, "--as", "edit-user")
    server.kubectl("get", "pods", "-n", NS, "--as", "custom-user")
    server.kubectl("get", "nodes", "--as", "custom-user")


def test_escalation_attempts_are_refused(server: RunningServer) -> None:
    """edit cannot bind admin (no rights on RoleBindings at all); admin may bind what it
    holds in its namespace, not cluster-admin, and may not write a role granting more."""
    edit_binds = server.kubectl(
        "create",
        "rolebinding",
        "grab",
        "-n",
        NS,
        "--clusterrole=admin",
        "--user=edit-user",
        "--as",
        "edit-user",
        check=False,
    )
    assert edit_binds.stderr.strip() == (
        "error: failed to create rolebinding: rolebindings.rbac.authorization.k8s.io is "
        'forbidden: User "edit-user" cannot create resource "rolebindings" in API group '
        f'"rbac.authorization.k8s.io" in the namespace "{NS}"'
    )
    server.kubectl(
        "create",
        "rolebinding",
        "fine",
        "-n",
        NS,
        "--clusterrole=admin",
        "--user=someone",
        "--as",
        "admin-user",
    )
    too_much = server.kubectl(
        "create",
        "rolebinding",
        "too-much",
        "-n",
        NS,
        "--clusterrole=cluster-admin",
        "--user=admin-user",
        "--as",
        "admin-user",
        check=False,
    )
    assert too_much.returncode == 1
    assert (
        'rolebindings.rbac.authorization.k8s.io "too-much" is forbidden: user "admin-user" '
        '(groups=["system:authenticated"]) is attempting to grant RBAC permissions not '
        "currently held:"
    ) in too_much.stderr
    role = server.kubectl(
        "create",
        "role",
        "node-all",
        "-n",
        NS,
        "--verb=*",
        "--resource=nodes",
        "--as",
        "admin-user",
        check=False,
    )
    assert role.returncode == 1
    assert "is attempting to grant RBAC permissions not currently held" in role.stderr
    # a cluster-wide binding is out of a namespace admin's reach altogether
    cluster = server.kubectl(
        "create",
        "clusterrolebinding",
        "grab",
        "--clusterrole=view",
        "--user=admin-user",
        "--as",
        "admin-user",
        check=False,
    )
    assert (
        'clusterrolebindings.rbac.authorization.k8s.io is forbidden: User "admin-user" '
        'cannot create resource "clusterrolebindings" in API group '
        '"rbac.authorization.k8s.io" at the cluster scope'
    ) in cluster.stderr


def test_bad_credentials_are_401(server: RunningServer, tmp_path: Path) -> None:
    """A token the server does not know: 401, which kubectl reports as not logged in."""
    kubeconfig = tmp_path / "bad.yaml"
    kubeconfig.write_text(
        json.dumps(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [
                    {
                        "name": "c",
                        "cluster": {
                            "server": server.url,
                            "certificate-authority": str(server.data_dir / "pki" / "ca.crt"),
                        },
                    }
                ],
                "users": [{"name": "u", "user": {"token": "not-a-token"}}],
                "contexts": [{"name": "c", "context": {"cluster": "c", "user": "u"}}],
                "current-context": "c",
            }
        )
    )
    answer = server.kubectl("--kubeconfig", str(kubeconfig), "get", "pods", "-n", NS, check=False)
    assert answer.returncode == 1
    assert answer.stderr.strip().endswith(
        "error: You must be logged in to the server (Unauthorized)"
    )


def _pod_on_n2_with_secret(server: RunningServer) -> None:
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "on-n2", "namespace": NS},
        "spec": {
            "nodeName": "n2",
            "containers": [{"name": "c", "image": "busybox"}],
            "volumes": [{"name": "s", "secret": {"secretName": "n2-secret"}}],
        },
    }
    server.kubectl("apply", "-f", "-", input=json.dumps(pod))
    if server.kubectl("get", "secret", "n2-secret", "-n", NS, check=False).returncode:
        server.kubectl("create", "secret", "generic", "n2-secret", "-n", NS, "--from-literal=k=v")


def _as_kubelet(node: str) -> tuple[str, ...]:
    return ("--as", f"system:node:{node}", "--as-group", "system:nodes")


def test_a_kubelet_identity_reads_the_secret_its_own_pod_mounts(server: RunningServer) -> None:
    """``system:node:n2`` may read the secret of a pod bound to n2 (Kubernetes: the Node
    authorizer's graph allows it)."""
    _pod_on_n2_with_secret(server)
    server.kubectl("get", "secret", "n2-secret", "-n", NS, *_as_kubelet("n2"))


def test_a_kubelet_identity_cannot_read_another_nodes_pod_secret(server: RunningServer) -> None:
    """``system:node:n1`` reading the secret a pod on node n2 mounts: 403 from the Node
    authorizer, as in Kubernetes."""
    _pod_on_n2_with_secret(server)
    secret = server.kubectl("get", "secret", "n2-secret", "-n", NS, *_as_kubelet("n1"), check=False)
    assert secret.returncode == 1
    assert secret.stderr.strip() == (
        'Error from server (Forbidden): secrets "n2-secret" is forbidden: User '
        '"system:node:n1" cannot get resource "secrets" in API group "" in the namespace '
        f"\"{NS}\": no relationship found between node 'n1' and this object"
    )
    assert not secret.stdout
