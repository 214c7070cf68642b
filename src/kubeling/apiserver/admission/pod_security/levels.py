"""Pod Security levels, versions and a namespace's policy, read from its labels.

``k8s.io/pod-security-admission/api``: a namespace opts into a level per mode
with ``pod-security.kubernetes.io/<mode>`` (``privileged``, ``baseline`` or
``restricted``) and pins the checks of a Kubernetes release with
``pod-security.kubernetes.io/<mode>-version`` (``latest`` or ``v1.<minor>``).
Modes a namespace does not label take the server's defaults (privileged,
latest). An invalid label is reported (the namespace write is refused with
it) and evaluated strictly: ``restricted`` for enforce, ``privileged`` for
audit and warn (they fail open), ``latest`` for a version.

>>> policy, problems = policy_to_evaluate({"pod-security.kubernetes.io/enforce": "baseline",
...                                        "pod-security.kubernetes.io/warn-version": "v1.29"})
>>> str(policy.enforce), str(policy.warn), problems
('baseline:latest', 'privileged:v1.29', [])
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from kubeling.api.field import FieldError, FieldPath, invalid

__all__ = [
    "BASELINE",
    "DEFAULT_POLICY",
    "LATEST",
    "LEVELS",
    "PRIVILEGED",
    "RESTRICTED",
    "LevelVersion",
    "Policy",
    "Version",
    "compare_levels",
    "policy_to_evaluate",
]

PRIVILEGED: Final = "privileged"
BASELINE: Final = "baseline"
RESTRICTED: Final = "restricted"
#: From least to most strict.
LEVELS: Final = (PRIVILEGED, BASELINE, RESTRICTED)

LABEL_PREFIX: Final = "pod-security.kubernetes.io/"
MODES: Final = ("enforce", "audit", "warn")

_VERSION: Final = re.compile(r"^v1\.([0-9]|[1-9][0-9]*)$")


@dataclass(frozen=True, slots=True)
class Version:
    """A policy version: ``v1.<minor>``, or ``latest`` (``minor`` None), newer than any."""

    minor: int | None = None

    @property
    def latest(self) -> bool:
        return self.minor is None

    def __str__(self) -> str:
        return "latest" if self.minor is None else f"v1.{self.minor}"


LATEST: Final = Version()


@dataclass(frozen=True, slots=True)
class LevelVersion:
    """A level at a version: ``restricted:latest``."""

    level: str = PRIVILEGED
    version: Version = LATEST

    def __str__(self) -> str:
        return f"{self.level}:{self.version}"


@dataclass(frozen=True, slots=True)
class Policy:
    """What a namespace enforces, audits and warns about."""

    enforce: LevelVersion = LevelVersion()
    audit: LevelVersion = LevelVersion()
    warn: LevelVersion = LevelVersion()

    def fully_privileged(self) -> bool:
        return all(lv.level == PRIVILEGED for lv in (self.enforce, self.audit, self.warn))


#: kube-apiserver's default ``PodSecurityConfiguration``: privileged, latest, every mode.
DEFAULT_POLICY: Final = Policy()


def compare_levels(a: str, b: str) -> int:
    """-1, 0 or 1 as ``a`` is less, as or more strict than ``b``."""
    return (LEVELS.index(a) > LEVELS.index(b)) - (LEVELS.index(a) < LEVELS.index(b))


def _label_path(label: str) -> FieldPath:
    return FieldPath("metadata", "labels").key(label)


def policy_to_evaluate(
    labels: Mapping[str, str] | None, defaults: Policy = DEFAULT_POLICY
) -> tuple[Policy, list[FieldError]]:
    """The namespace's policy, and what is wrong with its labels (``PolicyToEvaluate``)."""
    labels = labels or {}
    problems: list[FieldError] = []
    modes: dict[str, LevelVersion] = {}
    for mode in MODES:
        lv = getattr(defaults, mode)
        level, version = lv.level, lv.version
        level_label, version_label = LABEL_PREFIX + mode, f"{LABEL_PREFIX}{mode}-version"
        if level_label in labels:
            value = labels[level_label]
            if value in LEVELS:
                level = value
            else:
                problems.append(
                    invalid(_label_path(level_label), value, "must be one of " + ", ".join(LEVELS))
                )
                # enforce fails closed; audit and warn fail open
                level = RESTRICTED if mode == "enforce" else PRIVILEGED
        if version_label in labels:
            value = labels[version_label]
            match = _VERSION.match(value)
            if value == "latest":
                version = LATEST
            elif match:
                version = Version(int(match.group(1)))
            else:
                detail = 'must be "latest" or "v1.x"'
                problems.append(invalid(_label_path(version_label), value, detail))
                version = LATEST
        modes[mode] = LevelVersion(level, version)
    return Policy(**modes), problems
