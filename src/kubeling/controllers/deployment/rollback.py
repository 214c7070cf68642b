"""Rollback through the deprecated ``rollback.to`` annotation (``rollback.go``).

apps/v1 has no ``spec.rollbackTo``: ``kubectl rollout undo`` rolls back on
the client, by patching the Deployment with the old ReplicaSet's template.
The annotation is what remains of the older API's field, and the controller
still honours it, as Kubernetes does: it copies the template of the
ReplicaSet with that revision (0: the previous one) into the Deployment,
takes that ReplicaSet's annotations, removes the annotation and records
``DeploymentRollback`` (or a warning when there is nothing to roll back to).
"""

from __future__ import annotations

import copy
from collections.abc import Sequence

from kubeling.client import NORMAL, WARNING
from kubeling.controllers.deployment.objects import name, spec
from kubeling.controllers.deployment.replicasets import RS
from kubeling.controllers.deployment.revisions import (
    ROLLBACK_TO,
    last_revision,
    revision,
    set_deployment_annotations_to,
)
from kubeling.controllers.deployment.sync import DeploymentSync, rollback_to
from kubeling.controllers.deployment.templates import equal_ignore_hash, template_without_label

__all__ = [
    "ROLLBACK_DONE",
    "ROLLBACK_REVISION_NOT_FOUND",
    "ROLLBACK_TEMPLATE_UNCHANGED",
    "rollback",
]

ROLLBACK_REVISION_NOT_FOUND = "DeploymentRollbackRevisionNotFound"
ROLLBACK_TEMPLATE_UNCHANGED = "DeploymentRollbackTemplateUnchanged"
ROLLBACK_DONE = "DeploymentRollback"


async def rollback(s: DeploymentSync, rs_list: Sequence[RS]) -> None:
    new_rs, old_rss = await s.all_replica_sets_and_sync_revision(rs_list, create=True)
    all_rss = [*old_rss, *([new_rs] if new_rs is not None else [])]
    target = rollback_to(s.d) or 0
    if target == 0:
        target = last_revision(all_rss)
        if target == 0:
            s.recorder.event(
                s.d, WARNING, ROLLBACK_REVISION_NOT_FOUND, "Unable to find last revision."
            )
            await _clear_and_update(s)
            return
    for rs in all_rss:
        try:
            found = revision(rs)
        except ValueError:
            continue
        if found == target:
            if await _rollback_to_template(s, rs):
                s.recorder.event(
                    s.d,
                    NORMAL,
                    ROLLBACK_DONE,
                    f'Rolled back deployment "{name(s.d)}" to revision {target}',
                )
            return
    s.recorder.event(
        s.d, WARNING, ROLLBACK_REVISION_NOT_FOUND, "Unable to find the revision to rollback to."
    )
    await _clear_and_update(s)


async def _rollback_to_template(s: DeploymentSync, rs: RS) -> bool:
    """Copy ``rs``'s template and annotations into the Deployment, unless they are its
    template already; True if it rolled back (the annotation goes either way)."""
    template = spec(rs).get("template") or {}
    performed = not equal_ignore_hash(spec(s.d).get("template") or {}, template)
    if performed:
        s.d.setdefault("spec", {})["template"] = template_without_label(
            copy.deepcopy(dict(template))
        )
        set_deployment_annotations_to(s.d, rs)
    else:
        s.recorder.event(
            s.d,
            WARNING,
            ROLLBACK_TEMPLATE_UNCHANGED,
            f'The rollback revision contains the same template as current deployment "{name(s.d)}"',
        )
    await _clear_and_update(s)
    return performed


async def _clear_and_update(s: DeploymentSync) -> None:
    meta = s.d.setdefault("metadata", {})
    found = meta.get("annotations")
    if isinstance(found, dict):
        found.pop(ROLLBACK_TO, None)
    await s.update()
