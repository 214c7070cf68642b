"""Revision annotations: the rollout history a Deployment keeps on its ReplicaSets.

Each ReplicaSet of a Deployment carries (``deployment_util.go``):

- ``deployment.kubernetes.io/revision``: its place in the rollout sequence.
  The new ReplicaSet gets one more than the highest old one; a ReplicaSet
  brought back by a rollback gets a new number, and its previous numbers go
  to ``deployment.kubernetes.io/revision-history`` (comma-separated, at most
  2000 characters, the oldest dropped first). The Deployment copies its new
  ReplicaSet's revision into its own ``revision`` annotation.
- ``deployment.kubernetes.io/desired-replicas`` and ``max-replicas``: the
  Deployment's ``spec.replicas`` and ``spec.replicas + maxSurge`` when the
  ReplicaSet was last scaled. A desired count that differs from the
  Deployment's marks a scaling event; max-replicas sizes each ReplicaSet's
  share in proportional scaling.
- every other annotation of the Deployment (kubectl's
  ``last-applied-configuration`` and the ones above excepted), so that
  ``kubernetes.io/change-cause`` shows up in ``kubectl rollout history``.

Numbers are parsed as Go's ``strconv`` does (ASCII digits, optional sign); a
value that does not parse is skipped, as Kubernetes skips it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, Final

from kubeling.controllers.deployment.fenceposts import max_surge
from kubeling.controllers.deployment.objects import Obj, annotations_of, spec_replicas

__all__ = [
    "DESIRED_REPLICAS",
    "MAX_REPLICAS",
    "MAX_REVISION_HISTORY_CHARS",
    "REVISION",
    "REVISION_HISTORY",
    "ROLLBACK_TO",
    "desired_replicas",
    "last_revision",
    "max_replicas",
    "max_revision",
    "parse_go_int",
    "replicas_annotations_need_update",
    "revision",
    "set_deployment_annotations_to",
    "set_deployment_revision",
    "set_new_replica_set_annotations",
    "set_replicas_annotations",
    "skip_copy_annotation",
]

REVISION: Final = "deployment.kubernetes.io/revision"
REVISION_HISTORY: Final = "deployment.kubernetes.io/revision-history"
DESIRED_REPLICAS: Final = "deployment.kubernetes.io/desired-replicas"
MAX_REPLICAS: Final = "deployment.kubernetes.io/max-replicas"
#: ``apps.DeprecatedRollbackTo``: the old ``spec.rollbackTo``, kept as an annotation.
ROLLBACK_TO: Final = "deprecated.deployment.rollback.to"
LAST_APPLIED: Final = "kubectl.kubernetes.io/last-applied-configuration"
#: ``maxRevHistoryLengthInChars`` in ``sync.go``.
MAX_REVISION_HISTORY_CHARS: Final = 2000

_SKIPPED: Final = frozenset(
    {LAST_APPLIED, REVISION, REVISION_HISTORY, DESIRED_REPLICAS, MAX_REPLICAS, ROLLBACK_TO}
)
_GO_INT: Final = re.compile(r"[+-]?[0-9]+\Z")
_INT64_MAX: Final = 2**63 - 1


def parse_go_int(text: str) -> int:
    """``strconv.ParseInt(text, 10, 64)``: ValueError unless an optionally signed
    decimal that fits in 64 bits (Python's ``int()`` would also take spaces, ``_``
    and non-ASCII digits).

    >>> parse_go_int("+7"), parse_go_int("-0012")
    (7, -12)
    """
    if not _GO_INT.match(text):
        raise ValueError(f"strconv.ParseInt: parsing {text!r}: invalid syntax")
    value = int(text)
    if not -_INT64_MAX - 1 <= value <= _INT64_MAX:
        raise ValueError(f"strconv.ParseInt: parsing {text!r}: value out of range")
    return value


def skip_copy_annotation(key: str) -> bool:
    """Whether an annotation stays on its object (not copied Deployment ↔ ReplicaSet)."""
    return key in _SKIPPED


def revision(obj: Mapping[str, Any]) -> int:
    """The ``revision`` annotation, 0 when absent; ValueError when it does not parse."""
    value = annotations_of(obj).get(REVISION)
    return 0 if value is None else parse_go_int(str(value))


def max_revision(replica_sets: Iterable[Mapping[str, Any]]) -> int:
    """The highest revision among ``replica_sets`` (unparsable ones skipped), 0 if none."""
    highest = 0
    for rs in replica_sets:
        try:
            highest = max(highest, revision(rs))
        except ValueError:
            continue
    return highest


def last_revision(replica_sets: Iterable[Mapping[str, Any]]) -> int:
    """The second highest revision (the one before the current), 0 if none.

    >>> last_revision([{"metadata": {"annotations": {REVISION: r}}} for r in ("3", "1", "2")])
    2
    """
    highest = second = 0
    for rs in replica_sets:
        try:
            value = revision(rs)
        except ValueError:
            continue
        if value >= highest:
            highest, second = value, highest
        elif value > second:
            second = value
    return second


def _int_annotation(rs: Mapping[str, Any], key: str) -> int | None:
    value = annotations_of(rs).get(key)
    if value is None:
        return None
    try:
        return parse_go_int(str(value))
    except ValueError:
        return None


def desired_replicas(rs: Mapping[str, Any]) -> int | None:
    """The ``desired-replicas`` annotation, None if absent or not a number."""
    return _int_annotation(rs, DESIRED_REPLICAS)


def max_replicas(rs: Mapping[str, Any]) -> int | None:
    """The ``max-replicas`` annotation, None if absent or not a number."""
    return _int_annotation(rs, MAX_REPLICAS)


def _annotations_of(obj: Obj) -> dict[str, str]:
    meta = obj.setdefault("metadata", {})
    if not isinstance(meta.get("annotations"), dict):
        meta["annotations"] = {}
    found: dict[str, str] = meta["annotations"]
    return found


def set_replicas_annotations(rs: Obj, desired: int, maximum: int) -> bool:
    """Write ``desired-replicas`` and ``max-replicas``; True if either changed."""
    found = _annotations_of(rs)
    changed = False
    for key, value in ((DESIRED_REPLICAS, str(desired)), (MAX_REPLICAS, str(maximum))):
        if found.get(key) != value:
            found[key] = value
            changed = True
    return changed


def replicas_annotations_need_update(rs: Mapping[str, Any], desired: int, maximum: int) -> bool:
    found = annotations_of(rs)
    return found.get(DESIRED_REPLICAS) != str(desired) or found.get(MAX_REPLICAS) != str(maximum)


def _copy_deployment_annotations(deployment: Mapping[str, Any], rs: Obj) -> bool:
    found = _annotations_of(rs)
    changed = False
    for key, value in annotations_of(deployment).items():
        # Go reads a missing key as "": an empty value is "already there".
        if skip_copy_annotation(key) or found.get(key, "") == value:
            continue
        found[key] = value
        changed = True
    return changed


def set_new_replica_set_annotations(
    deployment: Mapping[str, Any],
    rs: Obj,
    new_revision: str,
    *,
    exists: bool,
    history_limit_chars: int = MAX_REVISION_HISTORY_CHARS,
) -> bool:
    """Bring the new ReplicaSet's annotations up to date (``SetNewReplicaSetAnnotations``);
    True if they changed.

    Copies the Deployment's annotations, raises the revision to ``new_revision``
    if it is lower (pushing the old one onto the history), and on a ReplicaSet
    about to be created sets the replicas annotations.
    """
    changed = _copy_deployment_annotations(deployment, rs)
    found = _annotations_of(rs)
    had_revision = REVISION in found
    old_revision = str(found.get(REVISION, ""))
    try:
        old_number = parse_go_int(old_revision)
    except ValueError:
        if old_revision != "":
            return False  # a revision we cannot read: leave it (and this sync's copy) alone
        old_number = 0
    try:
        new_number = parse_go_int(new_revision)
    except ValueError:
        return False
    if old_number < new_number:
        found[REVISION] = new_revision
        changed = True
        if had_revision:
            # A rollback to this ReplicaSet: keep where it was in the history.
            _push_history(found, old_revision, history_limit_chars)
    if not exists:
        replicas = spec_replicas(deployment)
        if set_replicas_annotations(rs, replicas, replicas + max_surge(deployment)):
            changed = True
    return changed


def _push_history(found: dict[str, str], old_revision: str, limit: int) -> None:
    history = str(found.get(REVISION_HISTORY, ""))
    old_revisions = history.split(",")
    if not old_revisions[0]:
        found[REVISION_HISTORY] = old_revision
        return
    total = len(history) + len(old_revision) + 1
    start = 0
    while total > limit and start < len(old_revisions):
        total -= len(old_revisions[start]) + 1
        start += 1
    if total <= limit:
        found[REVISION_HISTORY] = ",".join([*old_revisions[start:], old_revision])


def set_deployment_revision(deployment: Obj, value: str) -> bool:
    """Copy the new ReplicaSet's revision onto the Deployment; True if it changed."""
    found = _annotations_of(deployment)
    if found.get(REVISION) == value:
        return False
    found[REVISION] = value
    return True


def set_deployment_annotations_to(deployment: Obj, rs: Mapping[str, Any]) -> None:
    """On a rollback, the Deployment takes the annotations of the ReplicaSet it rolls
    back to, keeping its own skipped ones (revision, last-applied...)."""
    kept = {k: v for k, v in annotations_of(deployment).items() if skip_copy_annotation(k)}
    kept.update({k: v for k, v in annotations_of(rs).items() if not skip_copy_annotation(k)})
    deployment.setdefault("metadata", {})["annotations"] = kept
