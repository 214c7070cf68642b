"""``POST pods/<name>/eviction``: a delete that respects PodDisruptionBudgets.

Kubernetes' ``EvictionREST`` (``pkg/registry/core/pod/storage/eviction.go``),
step by step:

1. The Eviction's ``metadata.name`` must be the URL's; a ``dryRun`` in the
   query and one in ``deleteOptions`` must agree.
2. A pod that is finished, Pending or already terminating disrupts nothing:
   it is deleted without looking at budgets (with its ``resourceVersion`` as a
   precondition when it is Pending, so that it cannot become ready meanwhile).
3. Otherwise the budgets of the pod's namespace whose selector matches it are
   read: none, the pod goes; more than one, the answer is a 500 Status, as
   upstream's. With one budget, an unready pod may go without spending the
   budget when ``unhealthyPodEvictionPolicy`` is ``AlwaysAllow``, or when the
   budget is currently met (``IfHealthyBudget``, the default); it is then
   deleted only if still the version that was judged.
4. Otherwise the budget is checked and decremented under optimistic
   concurrency: a budget whose status is older than its spec, or that allows
   no disruption, refuses with 429 TooManyRequests ("Cannot evict pod as it
   would violate the pod's disruption budget.") and a ``DisruptionBudget``
   cause; one that allows it gets ``disruptionsAllowed - 1`` and the pod in
   ``disruptedPods`` (the disruption controller's bookkeeping) written to its
   status, retried on conflict.
5. The pod gets the ``DisruptionTarget`` condition (reason
   ``EvictionByEvictionAPI``), then the delete runs with the request's options.
"""

from __future__ import annotations

import asyncio
import copy
import dataclasses
from collections.abc import Mapping
from typing import Any, Final

from kubeling.api import errors, labels
from kubeling.api.podconditions import DISRUPTION_TARGET, update_pod_condition
from kubeling.api.policy.budget import update_disruption_allowed_condition
from kubeling.api.schema import GroupVersionKind
from kubeling.apiserver.admission.interfaces import CREATE
from kubeling.apiserver.rest.options import DeleteOptions, ListOptions, WriteOptions
from kubeling.apiserver.rest.resource_store import ResourceStore

__all__ = ["MAX_DISRUPTED_POD_SIZE", "Eviction"]

Obj = dict[str, Any]

#: Evictions approved but not yet seen by the disruption controller, at most.
MAX_DISRUPTED_POD_SIZE: Final = 2000
#: Retries of a write that conflicts (upstream: 20 steps of 500 ms).
_RETRIES: Final = 20
_RETRY_DELAY: Final = 0.5
EVICTION_KIND: Final = GroupVersionKind("policy", "v1", "Eviction")
_VIOLATION: Final = "Cannot evict pod as it would violate the pod's disruption budget."
_SUCCESS: Final[Obj] = {
    "kind": "Status",
    "apiVersion": "v1",
    "metadata": {},
    "status": "Success",
    "code": 201,
}


def _meta(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    meta = obj.get("metadata")
    return meta if isinstance(meta, Mapping) else {}


def _phase(pod: Mapping[str, Any]) -> str:
    return str((pod.get("status") or {}).get("phase") or "")


def _is_ready(pod: Mapping[str, Any]) -> bool:
    for condition in (pod.get("status") or {}).get("conditions") or ():
        if isinstance(condition, Mapping) and condition.get("type") == "Ready":
            return condition.get("status") == "True"
    return False


def can_ignore_budget(pod: Mapping[str, Any]) -> bool:
    """Finished, Pending or terminating pods are evicted without a budget check."""
    return _phase(pod) in ("Succeeded", "Failed", "Pending") or bool(
        _meta(pod).get("deletionTimestamp")
    )


def _enforces_resource_version(pod: Mapping[str, Any]) -> bool:
    """Whether the delete must name the version judged (not for finished or terminating pods)."""
    return _phase(pod) not in ("Succeeded", "Failed") and not _meta(pod).get("deletionTimestamp")


def _budget_error(message: str, retry_after: int, cause: str) -> errors.StatusError:
    err = errors.too_many_requests(message, retry_after)
    details = err.details or errors.StatusDetails()
    return errors.StatusError(
        dataclasses.replace(
            err.status,
            details=dataclasses.replace(
                details,
                causes=(
                    *details.causes,
                    errors.StatusCause(reason="DisruptionBudget", message=cause),
                ),
            ),
        )
    )


def _still_processing(budget_name: str) -> errors.StatusError:
    return _budget_error(
        _VIOLATION,
        10,
        f"The disruption budget {budget_name} is still being processed by the server.",
    )


def _pod_conflict(name: str, message: str) -> errors.StatusError:
    # upstream names the resource "Pod" here
    return errors.conflict("Pod", name, message)


class Eviction:
    """The eviction subresource of ``pods``, reading budgets through ``budgets``."""

    def __init__(self, pods: ResourceStore, budgets: ResourceStore | None) -> None:
        self.pods = pods
        self.budgets = budgets

    async def create(self, namespace: str, name: str, body: Any, dry_run: bool = False) -> Obj:
        """Evict pod ``name``; the Status to answer (its ``code`` is the HTTP status)."""
        if not isinstance(body, dict):
            raise errors.bad_request("the body must be an Eviction object")
        if _meta(body).get("name") != name:
            raise errors.bad_request("name in URL does not match name in Eviction object")
        options = self._delete_options(body, dry_run)
        # Admitted as the Eviction it is; the writes it makes to the pod are not
        # admitted again (upstream's EvictionREST uses the store directly).
        await self.pods.admit_subresource(
            CREATE,
            "eviction",
            body,
            None,
            namespace=namespace,
            name=name,
            kind=EVICTION_KIND,
            dry_run=options.dry_run,
            options=WriteOptions(dry_run=options.dry_run).as_json("CreateOptions"),
        )
        pod = await self._evict_without_budget(namespace, name, options)
        if pod is None:
            return dict(_SUCCESS)
        budgets = await self._budgets_for(pod)
        if len(budgets) > 1:
            return {
                "kind": "Status",
                "apiVersion": "v1",
                "metadata": {},
                "status": "Failure",
                "message": "This pod has more than one PodDisruptionBudget, which the eviction "
                "subresource does not support.",
                "code": 500,
            }
        budget_name = ""
        judged_version = False
        if budgets:
            budget = budgets[0]
            budget_name = str(_meta(budget).get("name", ""))
            if self._unhealthy_may_go(pod, budget):
                judged_version = True
            else:
                await self._check_and_decrement(namespace, name, budget, dry_run=options.dry_run)
        delete_options = options
        if judged_version:
            delete_options = dataclasses.replace(
                options, precondition_resource_version=str(_meta(pod).get("resourceVersion"))
            )
        try:
            await self._mark_and_delete(namespace, name, delete_options)
        except errors.StatusError as err:
            if (
                errors.is_conflict(err)
                and judged_version
                and not options.precondition_resource_version
            ):
                raise _still_processing(budget_name) from err
            raise
        return dict(_SUCCESS)

    # -- steps ---------------------------------------------------------------

    @staticmethod
    def _delete_options(body: Mapping[str, Any], dry_run: bool) -> DeleteOptions:
        raw = body.get("deleteOptions")
        if raw is not None and not isinstance(raw, Mapping):
            raise errors.bad_request("deleteOptions must be an object")
        options = DeleteOptions.parse({}, raw)
        if dry_run and not options.dry_run:
            return dataclasses.replace(options, dry_run=True)
        return options

    async def _evict_without_budget(
        self, namespace: str, name: str, options: DeleteOptions
    ) -> Obj | None:
        """Delete the pod if no budget applies to it; the pod to judge otherwise."""
        for attempt in range(_RETRIES):
            pod = await self.pods.get(namespace, name)
            if not can_ignore_budget(pod):
                return pod
            delete_options = options
            if _enforces_resource_version(pod) and not options.precondition_resource_version:
                delete_options = dataclasses.replace(
                    options, precondition_resource_version=str(_meta(pod).get("resourceVersion"))
                )
            try:
                await self._mark_and_delete(namespace, name, delete_options)
            except errors.StatusError as err:
                retry = errors.is_conflict(err) and not options.precondition_resource_version
                if not retry or attempt == _RETRIES - 1:
                    raise
                await asyncio.sleep(_RETRY_DELAY)
                continue
            return None
        raise AssertionError("unreachable")

    async def _budgets_for(self, pod: Mapping[str, Any]) -> list[Obj]:
        if self.budgets is None:
            return []
        namespace = str(_meta(pod).get("namespace", ""))
        pod_labels = _meta(pod).get("labels") or {}
        listed = await self.budgets.list(namespace, ListOptions())
        matching = []
        for budget in listed.get("items") or ():
            selector = (budget.get("spec") or {}).get("selector")
            try:
                parsed = labels.label_selector_as_selector(selector)
            except labels.SelectorParseError:
                continue  # an invalid selector matches no pod
            if parsed.matches(pod_labels):
                matching.append(budget)
        return matching

    @staticmethod
    def _unhealthy_may_go(pod: Mapping[str, Any], budget: Mapping[str, Any]) -> bool:
        """An unready pod whose eviction does not spend the budget."""
        if _is_ready(pod):
            return False
        if (budget.get("spec") or {}).get("unhealthyPodEvictionPolicy") == "AlwaysAllow":
            return True
        status = budget.get("status") or {}
        desired = int(status.get("desiredHealthy") or 0)
        return int(status.get("currentHealthy") or 0) >= desired and desired > 0

    async def _check_and_decrement(
        self, namespace: str, pod_name: str, budget: Obj, *, dry_run: bool
    ) -> None:
        assert self.budgets is not None
        name = str(_meta(budget).get("name", ""))
        for attempt in range(_RETRIES):
            if attempt:
                budget = await self.budgets.get(namespace, name)
            updated = self._decremented(budget, pod_name, dry_run=dry_run)
            if dry_run:
                return
            try:
                await self.budgets.update(
                    namespace, name, updated, WriteOptions(), subresource="status"
                )
            except errors.StatusError as err:
                if not errors.is_conflict(err) or attempt == _RETRIES - 1:
                    raise
                await asyncio.sleep(_RETRY_DELAY)
                continue
            return

    def _decremented(self, budget: Mapping[str, Any], pod_name: str, *, dry_run: bool) -> Obj:
        """The budget with one disruption spent on ``pod_name``, or the refusal."""
        name = str(_meta(budget).get("name", ""))
        status = budget.get("status") or {}
        generation = int(_meta(budget).get("generation") or 0)
        if int(status.get("observedGeneration") or 0) < generation:
            raise _still_processing(name)
        allowed = int(status.get("disruptionsAllowed") or 0)
        if allowed < 0:
            raise errors.forbidden(
                "poddisruptionbudget.policy", name, "pdb disruptions allowed is negative"
            )
        if len(status.get("disruptedPods") or {}) > MAX_DISRUPTED_POD_SIZE:
            raise errors.forbidden(
                "poddisruptionbudget.policy",
                name,
                "DisruptedPods map too big - too many evictions not confirmed by PDB controller",
            )
        if allowed == 0:
            raise _budget_error(
                _VIOLATION,
                0,
                f"The disruption budget {name} needs {int(status.get('desiredHealthy') or 0)} "
                f"healthy pods and has {int(status.get('currentHealthy') or 0)} currently",
            )
        updated = copy.deepcopy(dict(budget))
        new_status = updated.setdefault("status", {})
        new_status["disruptionsAllowed"] = allowed - 1
        now = self.pods.now()
        if allowed - 1 == 0:
            update_disruption_allowed_condition(new_status, now=now)
        if not dry_run:
            disrupted = dict(new_status.get("disruptedPods") or {})
            disrupted[pod_name] = now
            new_status["disruptedPods"] = disrupted
        return updated

    async def _mark_and_delete(self, namespace: str, name: str, options: DeleteOptions) -> None:
        """Add the DisruptionTarget condition (not on a dry run), then delete."""
        if not options.dry_run:
            options = await self._mark_disruption_target(namespace, name, options)
        await self.pods.delete(namespace, name, options, admit=False)

    async def _mark_disruption_target(
        self, namespace: str, name: str, options: DeleteOptions
    ) -> DeleteOptions:
        for attempt in range(_RETRIES):
            pod = await self.pods.get(namespace, name)
            meta = _meta(pod)
            uid, version = meta.get("uid"), meta.get("resourceVersion")
            if options.precondition_uid and options.precondition_uid != uid:
                raise _pod_conflict(
                    name,
                    f"the UID in the precondition ({options.precondition_uid}) does not match "
                    f"the UID in record ({uid}). The object might have been deleted and then "
                    "recreated",
                )
            if (
                options.precondition_resource_version
                and options.precondition_resource_version != version
            ):
                raise _pod_conflict(
                    name,
                    "the ResourceVersion in the precondition "
                    f"({options.precondition_resource_version}) does not match the "
                    f"ResourceVersion in record ({version}). The object might have been modified",
                )
            marked = copy.deepcopy(pod)
            status = marked.setdefault("status", {})
            changed = update_pod_condition(
                status,
                {
                    "type": DISRUPTION_TARGET,
                    "status": "True",
                    "reason": "EvictionByEvictionAPI",
                    "message": "Eviction API: evicting",
                },
                now=self.pods.now(),
            )
            if not changed:
                return options
            try:
                written = await self.pods.update(
                    namespace, name, marked, WriteOptions(), subresource="status", admit=False
                )
            except errors.StatusError as err:
                # someone else wrote the pod meanwhile: read it again
                if not errors.is_conflict(err) or attempt == _RETRIES - 1:
                    raise
                continue
            if options.precondition_resource_version:
                # our own write moved the version the caller pinned
                return dataclasses.replace(
                    options, precondition_resource_version=str(_meta(written)["resourceVersion"])
                )
            return options
        raise AssertionError("unreachable")
