"""kubectl logs, exec, attach, port-forward and cp against a real ``kubeling server``.

The node is this process: the kubelet's streaming server over a runtime of host processes
(``tests/support/fake_node.py``), registered as a Node whose status points at it. Pods are bound
to it with their status patched to Running, so the API server proxies their streams to it as it
would to any kubelet. kubectl 1.32 speaks WebSocket (v5 channels; SPDY tunnelled in WebSocket for
port-forward); kubectl 1.28 speaks native SPDY, for the older clients' path.
"""

from __future__ import annotations

import datetime
import fcntl
import json
import os
import pty
import select
import socket
import ssl
import struct
import subprocess
import termios
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import urllib3
from kubernetes import client, config
from kubernetes.client.rest import ApiException
from kubernetes.stream import stream as k8s_stream

from kubeling.cli.kubeconfig import load_kubeconfig
from tests.support.cluster import RunningServer, kubectl_binary, running_server
from tests.support.fake_node import ContainerSetup, FakeNode
from tests.support.polling import eventually
from tests.support.streaming_runtime import cri_lines

RECENT = datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=5)
RECENT_STAMP = RECENT.strftime("%Y-%m-%dT%H:%M:%S.123456789Z")
APP_LOG = cri_lines(
    ("2020-01-01T00:00:01.5Z", "stdout", "old one\n"),
    ("2020-01-01T00:00:02Z", "stderr", "old two\n"),
    (RECENT_STAMP, "stdout", "recent three\n"),
)
PREVIOUS_LOG = cri_lines(("2020-01-01T00:00:00Z", "stdout", "before the restart\n"))
SIDECAR_LOG = cri_lines(("2020-01-01T00:00:00Z", "stdout", "sidecar says hi\n"))


def _old_kubectl() -> str:
    """kubectl 1.28 (native SPDY for exec, attach and port-forward), next to the dispatcher."""
    path = Path(os.path.realpath(kubectl_binary())).parent / "kubectl.1.28"
    if not path.exists():
        raise RuntimeError(f"{path} is missing: the SPDY e2e tests need kubectl 1.28")
    return str(path)


class Cluster:
    def __init__(self, server: RunningServer, node: FakeNode, root: Path) -> None:
        self.server, self.node, self.root = server, node, root

    def kubectl(
        self, *args: str, input: str | None = None, binary: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [binary or kubectl_binary(), *args],
            input=input,
            capture_output=True,
            text=True,
            env=self.env,
            timeout=60,
            check=False,
        )

    @property
    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "HOME": str(self.server.home),
            "KUBECONFIG": str(self.server.kubeconfig),
        }


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    root = tmp_path_factory.mktemp("streaming")
    with running_server(root / "server") as server, FakeNode(server, root / "node") as node:
        node.add_pod(
            "logs-pod",
            [
                ContainerSetup("app", log=APP_LOG, previous_log=PREVIOUS_LOG),
                ContainerSetup("sidecar", log=SIDECAR_LOG),
            ],
        )
        node.add_pod("waiting", [ContainerSetup("later", state="waiting")])
        node.add_pod("shell", [ContainerSetup("main", command=["sleep", "600"])])
        node.add_pod("stopped", [ContainerSetup("main", state="terminated", log=b"")])
        node.add_pod("unscheduled", [ContainerSetup("main")], bound=False)
        yield Cluster(server, node, root)


# -- logs ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "out"),
    [
        (["-c", "app"], "old one\nold two\nrecent three\n"),
        (["-c", "app", "--tail=2"], "old two\nrecent three\n"),
        (["-c", "app", "--tail=0"], ""),
        (
            ["-c", "app", "--timestamps"],
            "2020-01-01T00:00:01.500000000Z old one\n2020-01-01T00:00:02.000000000Z old two\n"
            f"{RECENT_STAMP} recent three\n",
        ),
        (["-c", "app", "--since=1h"], "recent three\n"),
        (["-c", "app", "--since-time=2020-01-01T00:00:02Z"], "old two\nrecent three\n"),
        (["-c", "app", "--limit-bytes=10"], "old one\nol"),
        (["-c", "app", "--previous"], "before the restart\n"),
        (["-c", "sidecar"], "sidecar says hi\n"),
        (["--all-containers", "--prefix"], None),
    ],
    ids=lambda value: " ".join(value) if isinstance(value, list) else "",
)
def test_logs(cluster: Cluster, args: list[str], out: str | None) -> None:
    """kubectl logs with -c, --tail, --timestamps, --since, --since-time, --limit-bytes,
    --previous and --all-containers."""
    result = cluster.kubectl("logs", "logs-pod", *args)
    if out is None:  # --all-containers: each container, prefixed
        assert result.returncode == 0, result.stderr
        assert sorted(result.stdout.splitlines()) == [
            "[pod/logs-pod/app] old one",
            "[pod/logs-pod/app] old two",
            "[pod/logs-pod/app] recent three",
            "[pod/logs-pod/sidecar] sidecar says hi",
        ]
        return
    assert (result.returncode, result.stdout) == (0, out), result.stderr


def test_logs_default_container(cluster: Cluster) -> None:
    """Without -c, kubectl picks the first container and says so."""
    result = cluster.kubectl("logs", "logs-pod", "--tail=1")
    assert (result.returncode, result.stdout) == (0, "recent three\n")
    assert 'Defaulted container "app" out of: app, sidecar' in result.stderr


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (
            ["logs-pod", "-c", "nope"],
            "error: container nope is not valid for pod logs-pod",  # kubectl checks it first
        ),
        (
            ["waiting"],
            'Error from server (BadRequest): container "later" in pod "waiting" is waiting to '
            "start: ContainerCreating",
        ),
        (
            ["logs-pod", "-c", "sidecar", "--previous"],
            'Error from server (BadRequest): previous terminated container "sidecar" in pod '
            '"logs-pod" not found',
        ),
    ],
)
def test_log_errors(cluster: Cluster, args: list[str], error: str) -> None:
    """The kubelet's and the API server's errors, as kubectl prints them."""
    result = cluster.kubectl("logs", *args)
    assert result.returncode == 1
    assert result.stderr.strip() == error


def test_logs_of_an_unscheduled_pod_are_empty(cluster: Cluster) -> None:
    """No node yet: no log (204 from the API server), not an error."""
    result = cluster.kubectl("logs", "unscheduled")
    assert (result.returncode, result.stdout) == (0, ""), result.stderr


def test_logs_follow(cluster: Cluster) -> None:
    """kubectl logs -f: lines arrive as the container writes them; the stream ends when the
    container stops."""
    cluster.node.add_pod(
        "ticker",
        [
            ContainerSetup(
                "tick",
                command=["sh", "-c", "for i in 1 2 3 4 5; do echo tick $i; sleep 0.3; done"],
            )
        ],
    )
    result = cluster.kubectl("logs", "-f", "ticker")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "".join(f"tick {i}\n" for i in range(1, 6))


# -- exec ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("binary", ["kubectl", "kubectl.1.28"])
def test_exec_output_and_exit_code(cluster: Cluster, binary: str) -> None:
    """stdout and stderr come back apart; the exit code is kubectl's (WebSocket v5 with 1.32,
    SPDY with 1.28)."""
    kubectl = kubectl_binary() if binary == "kubectl" else _old_kubectl()
    result = cluster.kubectl(
        "exec", "shell", "--", "sh", "-c", "echo out; echo err >&2; exit 3", binary=kubectl
    )
    assert result.returncode == 3
    assert result.stdout == "out\n"
    assert result.stderr == "err\ncommand terminated with exit code 3\n"
    ok = cluster.kubectl("exec", "shell", "-c", "main", "--", "pwd", binary=kubectl)
    assert (ok.returncode, ok.stdout) == (0, str(cluster.node.runtime.root / "shell") + "\n")


@pytest.mark.parametrize("binary", ["kubectl", "kubectl.1.28"])
def test_exec_with_stdin(cluster: Cluster, binary: str) -> None:
    """-i: stdin reaches the command, and its end ends the command's input."""
    kubectl = kubectl_binary() if binary == "kubectl" else _old_kubectl()
    data = "".join(f"line {i}\n" for i in range(2000))
    result = cluster.kubectl("exec", "-i", "shell", "--", "wc", "-l", input=data, binary=kubectl)
    assert (result.returncode, result.stdout.strip()) == (0, "2000"), result.stderr


def test_exec_with_a_terminal(cluster: Cluster) -> None:
    """-it from a terminal: the command runs on a terminal of the client's size."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 33, 111, 0, 0))
    process = subprocess.Popen(
        [
            kubectl_binary(),
            "exec",
            "-it",
            "shell",
            "--",
            "sh",
            "-c",
            "stty size; test -t 0 && echo tty",
        ],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=cluster.env,
        start_new_session=True,
    )
    os.close(slave)
    output = b""
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 1)
            if not ready:
                if process.poll() is not None:
                    break
                continue
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            output += chunk
        assert process.wait(timeout=30) == 0, output
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(master)
    assert b"33 111" in output
    assert b"tty" in output


@pytest.mark.parametrize(
    ("binary", "args", "error"),
    [
        (
            "kubectl",
            ["stopped", "--", "true"],
            "error: Internal error occurred: unable to upgrade connection: container not found "
            '("main")',
        ),
        (
            "kubectl",
            ["shell", "--", "no-such-command"],
            "error: Internal error occurred: error executing command in container: exec: "
            '"no-such-command": executable file not found in $PATH',
        ),
        (
            "kubectl.1.28",
            ["shell", "--", "no-such-command"],
            "error: Internal error occurred: error executing command in container: exec: "
            '"no-such-command": executable file not found in $PATH',
        ),
        (
            "kubectl",
            ["shell", "-c", "nope", "--", "true"],
            "Error from server (BadRequest): container nope is not valid for pod shell",
        ),
        (
            "kubectl",
            ["unscheduled", "--", "true"],
            "Error from server (BadRequest): pod unscheduled does not have a host assigned",
        ),
        (
            "kubectl",
            ["missing", "--", "true"],
            'Error from server (NotFound): pods "missing" not found',
        ),
    ],
)
def test_exec_errors(cluster: Cluster, binary: str, args: list[str], error: str) -> None:
    """What kubectl prints when exec cannot happen: a container that does not run, a command
    that does not start, a wrong container, an unscheduled or missing pod."""
    kubectl = kubectl_binary() if binary == "kubectl" else _old_kubectl()
    result = cluster.kubectl("exec", *args, binary=kubectl)
    assert result.returncode == 1
    assert result.stderr.strip() == error


def test_exec_into_a_stopped_container_with_spdy(cluster: Cluster) -> None:
    """Over SPDY the kubelet refuses the upgrade itself, as upstream's does."""
    result = cluster.kubectl("exec", "stopped", "--", "true", binary=_old_kubectl())
    assert result.returncode == 1
    assert result.stderr.strip() == (
        'error: unable to upgrade connection: container not found ("main")'
    )


# -- attach -------------------------------------------------------------------------------------


@pytest.mark.parametrize("binary", ["kubectl", "kubectl.1.28"])
def test_attach_with_stdin(cluster: Cluster, binary: str) -> None:
    """kubectl attach -i: the container reads what kubectl sends; its output comes back; the
    session ends when the container exits (WebSocket with 1.32, SPDY with 1.28)."""
    kubectl = kubectl_binary() if binary == "kubectl" else _old_kubectl()
    pod = "reader-" + binary.replace(".", "-")
    cluster.node.add_pod(
        pod,
        [ContainerSetup("r", command=["sh", "-c", 'read line; echo "got $line"'], stdin=True)],
    )
    result = cluster.kubectl("attach", "-i", pod, input="hello\n", binary=kubectl)
    assert result.returncode == 0, result.stderr
    assert "got hello" in result.stdout


def test_attach_to_output(cluster: Cluster) -> None:
    """kubectl attach (no stdin): what the container prints after the attach arrives."""
    cluster.node.add_pod(
        "talker", [ContainerSetup("t", command=["sh", "-c", 'read go; echo "talking $go"'])]
    )
    process = subprocess.Popen(
        [kubectl_binary(), "attach", "talker"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=cluster.env,
    )
    try:
        container = cluster.node.runtime.containers[("default", "talker", "t")]
        eventually(lambda: container.attached, within=60, what="kubectl attach to attach")

        async def say() -> None:
            assert container.process.stdin is not None
            container.process.stdin.write(b"now\n")
            await container.process.stdin.drain()

        cluster.node.run(say())
        out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, err
    assert "talking now" in out


# -- port-forward -----------------------------------------------------------------------------


class _EchoServer:
    """A TCP server on 127.0.0.1 answering each connection with its input upper-cased."""

    def __init__(self) -> None:
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.socket.accept()
            except OSError:
                return
            threading.Thread(target=self._echo, args=(conn,), daemon=True).start()

    @staticmethod
    def _echo(conn: socket.socket) -> None:
        with conn:
            while data := conn.recv(65536):
                conn.sendall(data.upper())

    def close(self) -> None:
        self.socket.close()


def _forwarded_port(process: subprocess.Popen[str]) -> int:
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], 60)
    assert ready, "kubectl port-forward printed nothing"
    line = process.stdout.readline()
    assert line.startswith("Forwarding from 127.0.0.1:"), line
    return int(line.split("127.0.0.1:")[1].split(" ")[0])


def _round_trip(port: int, payload: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=30) as conn:
        conn.sendall(payload)
        conn.shutdown(socket.SHUT_WR)
        received = b""
        while data := conn.recv(65536):
            received += data
    return received


@pytest.mark.parametrize("binary", ["kubectl", "kubectl.1.28"])
def test_port_forward(cluster: Cluster, binary: str) -> None:
    """kubectl port-forward to a TCP server in the pod's network: several connections, large
    payloads (SPDY in WebSocket with 1.32, native SPDY with 1.28)."""
    kubectl = kubectl_binary() if binary == "kubectl" else _old_kubectl()
    echo = _EchoServer()
    process = subprocess.Popen(
        [kubectl, "port-forward", "pod/shell", f":{echo.port}"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=cluster.env,
    )
    try:
        local = _forwarded_port(process)
        assert _round_trip(local, b"hello") == b"HELLO"
        big = os.urandom(300_000).hex().encode()
        assert _round_trip(local, big) == big.upper()
        assert _round_trip(local, b"again") == b"AGAIN"
    finally:
        process.terminate()
        process.communicate(timeout=30)
        echo.close()


def test_port_forward_to_a_closed_port(cluster: Cluster) -> None:
    """Nothing listens: kubectl reports the kubelet's error for that connection."""
    with socket.create_server(("127.0.0.1", 0)) as placeholder:
        closed_port = placeholder.getsockname()[1]
    process = subprocess.Popen(
        [kubectl_binary(), "port-forward", "pod/shell", f":{closed_port}"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=cluster.env,
    )
    try:
        local = _forwarded_port(process)
        assert _round_trip(local, b"anyone?") == b""
        _, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert f"error forwarding port {closed_port} to pod" in err
    assert "connect: connection refused" in err


# -- cp -----------------------------------------------------------------------------------------


def test_cp_both_ways(cluster: Cluster) -> None:
    """kubectl cp to the pod and back (tar over exec, stdin one way and stdout the other)."""
    local = cluster.root / "cp"
    local.mkdir()
    (local / "hello.txt").write_text("hello from the host\n")
    remote_dir = cluster.node.runtime.root / "shell" / "copied"
    remote_dir.mkdir()
    upload = cluster.kubectl("cp", str(local / "hello.txt"), f"shell:{remote_dir}/hello.txt")
    assert upload.returncode == 0, upload.stderr
    assert (remote_dir / "hello.txt").read_text() == "hello from the host\n"
    (remote_dir / "made-there.bin").write_bytes(bytes(range(256)) * 100)
    download = cluster.kubectl("cp", f"shell:{remote_dir}/made-there.bin", str(local / "back.bin"))
    assert download.returncode == 0, download.stderr
    assert (local / "back.bin").read_bytes() == bytes(range(256)) * 100


# -- the Python client --------------------------------------------------------------------------


@pytest.fixture
def core(cluster: Cluster) -> Iterator[client.CoreV1Api]:
    api_client = config.new_client_from_config(config_file=str(cluster.server.kubeconfig))
    try:
        yield client.CoreV1Api(api_client)
    finally:
        api_client.close()


def test_python_client_exec_and_logs(core: client.CoreV1Api) -> None:
    """The kubernetes package: exec through its WebSocket stream (no container named: the only
    one), logs of a single-container pod, and the 400 that asks for a container."""
    output = k8s_stream(
        core.connect_get_namespaced_pod_exec,
        "shell",
        "default",
        command=["sh", "-c", "echo from python"],
        stderr=True,
        stdin=False,
        stdout=True,
        tty=False,
    )
    assert output == "from python\n"
    assert core.read_namespaced_pod_log("logs-pod", "default", container="sidecar") == (
        "sidecar says hi\n"
    )
    for container, message in (
        (
            None,
            "a container name must be specified for pod logs-pod, choose one of: [app sidecar]",
        ),
        ("nope", "container nope is not valid for pod logs-pod"),
    ):
        with pytest.raises(ApiException) as caught:
            core.read_namespaced_pod_log("logs-pod", "default", container=container)
        assert caught.value.status == 400
        assert json.loads(caught.value.body)["message"] == message


# -- the API, over the wire ---------------------------------------------------------------------


class _Raw:
    def __init__(self, server: RunningServer, root: Path) -> None:
        kubeconfig = load_kubeconfig(server.kubeconfig)
        assert kubeconfig.client_cert_pem is not None
        assert kubeconfig.client_key_pem is not None
        assert kubeconfig.ca_pem is not None
        for name, data in (
            ("c.crt", kubeconfig.client_cert_pem),
            ("c.key", kubeconfig.client_key_pem),
            ("ca.crt", kubeconfig.ca_pem),
        ):
            (root / name).write_bytes(data)
        self.url = server.url
        self.pool = urllib3.PoolManager(
            cert_reqs=ssl.CERT_REQUIRED,
            ca_certs=str(root / "ca.crt"),
            cert_file=str(root / "c.crt"),
            key_file=str(root / "c.key"),
        )

    def request(self, method: str, path: str, **headers: str) -> tuple[int, Any]:
        response = self.pool.request(method, self.url + path, headers=headers, retries=False)
        try:
            return response.status, json.loads(response.data)
        except ValueError:
            return response.status, response.data


@pytest.fixture(scope="module")
def raw(cluster: Cluster) -> _Raw:
    directory = cluster.root / "raw"
    directory.mkdir()
    return _Raw(cluster.server, directory)


POD = "/api/v1/namespaces/default/pods"


@pytest.mark.parametrize(
    ("method", "path", "code", "reason", "message"),
    [
        (
            "GET",
            f"{POD}/shell/log?tailLines=-1&limitBytes=0",
            422,
            "Invalid",
            'PodLogOptions "shell" is invalid: [tailLines: Invalid value: -1: must be greater '
            "than or equal to 0, limitBytes: Invalid value: 0: must be greater than 0]",
        ),
        (
            "GET",
            f"{POD}/shell/log?sinceSeconds=5&sinceTime=2024-01-01T00:00:00Z",
            422,
            "Invalid",
            'PodLogOptions "shell" is invalid: : Forbidden: at most one of `sinceTime` or '
            "`sinceSeconds` may be specified",
        ),
        (
            "GET",
            f"{POD}/shell/log?tailLines=ten",
            400,
            "BadRequest",
            'strconv.ParseInt: parsing "ten": invalid syntax',
        ),
        ("GET", f"{POD}/missing/log", 404, "NotFound", 'pods "missing" not found'),
        (
            "GET",
            f"{POD}/shell/exec?command=true&stdout=true",
            400,
            "BadRequest",
            "Upgrade request required",
        ),
        ("GET", f"{POD}/missing/exec?command=true", 404, "NotFound", 'pods "missing" not found'),
        (
            "POST",
            f"{POD}/logs-pod/attach?stdout=true",
            400,
            "BadRequest",
            "a container name must be specified for pod logs-pod, choose one of: [app sidecar]",
        ),
        (
            "GET",
            f"{POD}/unscheduled/portforward",
            400,
            "BadRequest",
            "pod unscheduled does not have a host assigned",
        ),
        (
            "PUT",
            f"{POD}/shell/log",
            405,
            "MethodNotAllowed",
            'update is not supported on resources of kind "pods/log"',
        ),
        (
            "DELETE",
            f"{POD}/shell/exec",
            405,
            "MethodNotAllowed",
            'delete is not supported on resources of kind "pods/exec"',
        ),
    ],
)
def test_bad_requests(
    raw: _Raw, method: str, path: str, code: int, reason: str, message: str
) -> None:
    """Bad input gets a Status with Kubernetes' code, reason and message."""
    status, body = raw.request(method, path)
    assert status == code
    assert (body["kind"], body["reason"], body["message"]) == ("Status", reason, message)


def test_node_problems(cluster: Cluster, raw: _Raw) -> None:
    """A pod on a node that does not exist (404 for the node), and on a node whose kubelet does
    not answer (500 naming the kubelet's URL), as Kubernetes reports them."""
    for name, node in (("ghost-pod", "ghost"), ("silent-pod", "silent")):
        pod = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": name},
            "spec": {"nodeName": node, "containers": [{"name": "c", "image": "busybox"}]},
        }
        cluster.server.kubectl("create", "-f", "-", input=json.dumps(pod))
    status, body = raw.request("GET", f"{POD}/ghost-pod/log")
    assert (status, body["reason"], body["message"]) == (404, "NotFound", 'nodes "ghost" not found')
    with socket.create_server(("127.0.0.1", 0)) as placeholder:
        dead_port = placeholder.getsockname()[1]
    cluster.server.kubectl(
        "create",
        "-f",
        "-",
        input=json.dumps({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "silent"}}),
    )
    cluster.node.patch_status(
        "node",
        "silent",
        {
            "addresses": [{"type": "InternalIP", "address": "127.0.0.1"}],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": dead_port}},
        },
    )
    status, body = raw.request("GET", f"{POD}/silent-pod/log")
    assert (status, body["reason"]) == (500, "InternalError")
    assert body["message"].startswith(
        f'Internal error occurred: Get "https://127.0.0.1:{dead_port}/containerLogs/default/'
        'silent-pod/c": '
    )
    result = cluster.kubectl("exec", "silent-pod", "--", "true")
    assert result.returncode == 1
    assert "error dialing backend" in result.stderr


def test_discovery_lists_the_stream_subresources(raw: _Raw) -> None:
    """pods/log, exec, attach and portforward are in discovery with Kubernetes' verbs and kinds."""
    status, body = raw.request("GET", "/api/v1")
    assert status == 200
    resources = {r["name"]: r for r in body["resources"]}
    assert resources["pods/log"]["verbs"] == ["get"]
    for name, kind in (
        ("pods/exec", "PodExecOptions"),
        ("pods/attach", "PodAttachOptions"),
        ("pods/portforward", "PodPortForwardOptions"),
    ):
        assert resources[name]["verbs"] == ["create", "get"]
        assert resources[name]["kind"] == kind


def test_server_stops_with_streams_open(tmp_path: Path) -> None:
    """SIGTERM with a followed log and an exec session open: the API server ends them and exits
    cleanly (running_server checks the exit), and kubectl's commands end too."""
    with running_server(tmp_path / "server") as server, FakeNode(server, tmp_path / "node") as node:
        node.add_pod("busy", [ContainerSetup("main", command=["sleep", "600"])])
        env = {**os.environ, "HOME": str(server.home), "KUBECONFIG": str(server.kubeconfig)}
        follower = subprocess.Popen(
            [kubectl_binary(), "logs", "-f", "busy"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
        shell = subprocess.Popen(
            [kubectl_binary(), "exec", "-i", "busy", "--", "cat"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
        try:
            assert shell.stdin is not None
            assert shell.stdout is not None
            shell.stdin.write(b"are you there?\n")
            shell.stdin.flush()
            ready, _, _ = select.select([shell.stdout], [], [], 60)
            assert ready
            assert shell.stdout.readline() == b"are you there?\n"
            server.process.terminate()
            assert server.process.wait(timeout=10) == 0
            follower.wait(timeout=30)
            shell.wait(timeout=30)
        finally:
            for process in (follower, shell):
                if process.poll() is None:
                    process.kill()
                process.communicate()
