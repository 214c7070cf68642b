"""The one error of volume set-up."""

from __future__ import annotations

__all__ = ["VolumeError"]


class VolumeError(Exception):
    """A volume could not be set up; the message is what Kubernetes says after
    ``MountVolume.SetUp failed for volume "x" : `` (``configmap "x" not found``)."""
