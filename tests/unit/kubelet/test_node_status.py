"""The Node a kubelet registers and the status it reports."""

from __future__ import annotations

from dataclasses import replace

from kubeling.kubelet.host import HostInfo
from kubeling.kubelet.node_status import (
    NodeStatusInputs,
    node_object,
    node_status,
    status_changed,
)

GI = 1024**3
HOST = HostInfo(
    hostname="box",
    machine_id="m1",
    system_uuid="s1",
    boot_id="b1",
    kernel_version="6.1.0",
    os_image="Debian GNU/Linux 12 (bookworm)",
    architecture="amd64",
    cpus=4,
    memory_bytes=8 * GI,
    memory_available_bytes=4 * GI,
    storage_bytes=100 * GI,
    storage_available_bytes=50 * GI,
    pid_max=4_194_304,
    processes=300,
)
T0, T1 = "2024-01-01T00:00:00Z", "2024-01-01T00:00:10Z"


def inputs(host: HostInfo = HOST, now: str = T0, **extra: object) -> NodeStatusInputs:
    return NodeStatusInputs(
        node_name="node-1",
        host=host,
        addresses=["10.0.0.7"],
        runtime_version="process://0.1.0",
        now=now,
        **extra,  # type: ignore[arg-type]
    )


def test_the_registered_node() -> None:
    node = node_object(inputs(), labels={"tier": "edge"}, annotations={"a": "b"})
    meta = node["metadata"]
    assert meta["name"] == "node-1"
    assert meta["labels"] == {
        "beta.kubernetes.io/arch": "amd64",
        "beta.kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "kubernetes.io/hostname": "node-1",
        "kubernetes.io/os": "linux",
        "tier": "edge",
    }
    assert meta["annotations"] == {
        "volumes.kubernetes.io/controller-managed-attach-detach": "true",
        "a": "b",
    }
    status = node["status"]
    assert status["capacity"] == {
        "cpu": "4",
        "ephemeral-storage": "104857600Ki",
        "hugepages-1Gi": "0",
        "hugepages-2Mi": "0",
        "memory": "8388608Ki",
        "pods": "110",
    }
    assert status["allocatable"]["memory"] == "8286208Ki"  # less 100Mi
    assert status["allocatable"]["ephemeral-storage"] == str(90 * GI)  # less 10%
    assert status["addresses"] == [
        {"type": "InternalIP", "address": "10.0.0.7"},
        {"type": "Hostname", "address": "box"},
    ]
    assert status["nodeInfo"] == {
        "machineID": "m1",
        "systemUUID": "s1",
        "bootID": "b1",
        "kernelVersion": "6.1.0",
        "osImage": "Debian GNU/Linux 12 (bookworm)",
        "containerRuntimeVersion": "process://0.1.0",
        "kubeletVersion": "v1.32.4+kubeling",
        "kubeProxyVersion": "",
        "operatingSystem": "linux",
        "architecture": "amd64",
    }
    assert status["daemonEndpoints"] == {"kubeletEndpoint": {"Port": 10250}}


def test_conditions_of_a_healthy_node() -> None:
    conditions = node_status(inputs())["conditions"]
    assert [(c["type"], c["status"], c["reason"], c["message"]) for c in conditions] == [
        (
            "MemoryPressure",
            "False",
            "KubeletHasSufficientMemory",
            "kubelet has sufficient memory available",
        ),
        ("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
        ("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
        ("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
    ]
    assert {(c["lastHeartbeatTime"], c["lastTransitionTime"]) for c in conditions} == {(T0, T0)}


def test_pressure_and_transition_times() -> None:
    first = node_status(inputs())
    starved = replace(HOST, memory_available_bytes=50 * 1024**2, storage_available_bytes=5 * GI)
    later = node_status(inputs(starved, T1, previous_conditions=first["conditions"]))
    by_type = {c["type"]: c for c in later["conditions"]}
    assert (by_type["MemoryPressure"]["status"], by_type["MemoryPressure"]["reason"]) == (
        "True",
        "KubeletHasInsufficientMemory",
    )
    assert by_type["DiskPressure"]["reason"] == "KubeletHasDiskPressure"
    assert by_type["MemoryPressure"]["lastTransitionTime"] == T1
    assert by_type["Ready"]["lastTransitionTime"] == T0  # unchanged status keeps its time
    assert by_type["Ready"]["lastHeartbeatTime"] == T1


def test_a_runtime_that_is_down_makes_the_node_not_ready() -> None:
    status = node_status(inputs(runtime_ready=False, runtime_error="no shim"))
    ready = status["conditions"][-1]
    assert (ready["status"], ready["reason"]) == ("False", "KubeletNotReady")
    assert ready["message"] == "container runtime is down: no shim"


def test_only_real_changes_are_worth_a_report() -> None:
    first = node_status(inputs())
    heartbeat = node_status(inputs(now=T1, previous_conditions=first["conditions"]))
    assert not status_changed(first, heartbeat)
    more_memory = node_status(
        inputs(replace(HOST, memory_bytes=16 * GI), T1, previous_conditions=first["conditions"])
    )
    assert status_changed(first, more_memory)
    assert status_changed({}, first)
