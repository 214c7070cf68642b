"""The kubelet's Event reasons and messages, as Kubernetes words them (pkg/kubelet/events)."""

from __future__ import annotations

from typing import Final

__all__ = [
    "BACK_OFF",
    "CREATED",
    "FAILED",
    "FAILED_CREATE_SANDBOX",
    "FAILED_MOUNT",
    "FAILED_POST_START_HOOK",
    "FAILED_PRE_STOP_HOOK",
    "KILLING",
    "PROBE_WARNING",
    "PULLED",
    "SANDBOX_CHANGED",
    "STARTED",
    "UNHEALTHY",
    "back_off_message",
    "created_message",
    "pulled_message",
    "started_message",
    "stopping_message",
]

CREATED: Final = "Created"
STARTED: Final = "Started"
FAILED: Final = "Failed"
KILLING: Final = "Killing"
BACK_OFF: Final = "BackOff"
PULLED: Final = "Pulled"
SANDBOX_CHANGED: Final = "SandboxChanged"
FAILED_CREATE_SANDBOX: Final = "FailedCreatePodSandBox"
FAILED_POST_START_HOOK: Final = "FailedPostStartHook"
FAILED_PRE_STOP_HOOK: Final = "FailedPreStopHook"
FAILED_MOUNT: Final = "FailedMount"
UNHEALTHY: Final = "Unhealthy"
PROBE_WARNING: Final = "ProbeWarning"


def created_message(container: str) -> str:
    return f"Created container: {container}"


def started_message(container: str) -> str:
    return f"Started container {container}"


def stopping_message(container: str) -> str:
    return f"Stopping container {container}"


def pulled_message(image: str) -> str:
    """What the kubelet says of an image already on the node; the process runtime needs none,
    so every image counts as present."""
    return f'Container image "{image}" already present on machine'


def back_off_message(container: str, pod: str) -> str:
    return f"Back-off restarting failed container {container} in pod {pod}"
