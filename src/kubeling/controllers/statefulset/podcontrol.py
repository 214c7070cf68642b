"""A StatefulSet's writes to its pods and claims, with Kubernetes' events.

``StatefulPodControl`` of ``stateful_pod_control.go``: claims are created
before their pod; every pod write is recorded on the set as
``Successful<Verb>`` (``create Pod web-0 in StatefulSet web successful``) or
``Failed<Verb>`` (``... failed error: <why>``), every claim creation as
``SuccessfulCreate`` (``create Claim www-web-0 Pod web-0 in StatefulSet web
success``) or ``FailedCreate``. Reads come from the shared caches.

One difference: a claim that already exists when the cache said it did not
(the cache lags the API) counts as created, where Kubernetes fails the sync
and retries; the retry would find it anyway.
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Mapping, Sequence
from typing import Any

from kubeling.api import errors
from kubeling.client import EventRecorder, Lister, ResourceClient
from kubeling.client.events import NORMAL, WARNING
from kubeling.controllers.statefulset.claims import (
    RETAIN,
    claim_owner_up_to_date,
    has_stale_owner_ref,
    has_unexpected_controller,
    retention_policy,
    updated_owner_refs,
)
from kubeling.controllers.statefulset.identity import (
    claims_for,
    identity_matches,
    storage_matches,
    update_identity,
    update_storage,
)

__all__ = ["StatefulPodControl", "StatefulSetError", "aggregate"]

Obj = dict[str, Any]

_UPDATE_ATTEMPTS = 4  # client-go's retry.DefaultBackoff steps


class StatefulSetError(Exception):
    """A failure with a Go error's message (it ends up in events and logs verbatim)."""


def aggregate(failures: Sequence[BaseException]) -> BaseException:
    """``utilerrors.NewAggregate``: one error as itself, several as ``[a, b]``."""
    if len(failures) == 1:
        return failures[0]
    return StatefulSetError("[" + ", ".join(str(f) for f in failures) + "]")


def _name(obj: Mapping[str, Any]) -> str:
    return str((obj.get("metadata") or {}).get("name", ""))


def _namespace(obj: Mapping[str, Any]) -> str:
    return str((obj.get("metadata") or {}).get("namespace", ""))


class StatefulPodControl:
    """Creates, updates and deletes a set's pods and claims through the API."""

    def __init__(
        self,
        *,
        pods: ResourceClient,
        claims: ResourceClient,
        pod_lister: Lister,
        claim_lister: Lister,
        recorder: EventRecorder,
    ) -> None:
        self.pods = pods
        self.claims = claims
        self.pod_lister = pod_lister
        self.claim_lister = claim_lister
        self.recorder = recorder

    # -- events --------------------------------------------------------------------------

    def _pod_event(
        self, verb: str, sts: Mapping[str, Any], pod: Mapping[str, Any], err: BaseException | None
    ) -> None:
        where = f"{verb} Pod {_name(pod)} in StatefulSet {_name(sts)}"
        if err is None:
            self.recorder.event(sts, NORMAL, f"Successful{verb.title()}", f"{where} successful")
        else:
            self.recorder.event(
                sts, WARNING, f"Failed{verb.title()}", f"{where} failed error: {err}"
            )

    def _claim_event(
        self,
        verb: str,
        sts: Mapping[str, Any],
        pod: Mapping[str, Any],
        claim: Mapping[str, Any],
        err: BaseException | None,
    ) -> None:
        if err is None:
            message = (
                f"{verb} Claim {_name(claim)} Pod {_name(pod)} in StatefulSet {_name(sts)} success"
            )
            self.recorder.event(sts, NORMAL, f"Successful{verb.title()}", message)
        else:
            message = (
                f"{verb} Claim {_name(claim)} for Pod {_name(pod)} in StatefulSet "
                f"{_name(sts)} failed error: {err}"
            )
            self.recorder.event(sts, WARNING, f"Failed{verb.title()}", message)

    # -- reads ---------------------------------------------------------------------------

    def _cached_claim(self, namespace: str, name: str) -> Mapping[str, Any] | None:
        try:
            return self.claim_lister.get(name, namespace=namespace)
        except errors.StatusError as err:
            if errors.is_not_found(err):
                return None
            raise

    # -- pods ----------------------------------------------------------------------------

    async def create(self, sts: Mapping[str, Any], pod: Mapping[str, Any]) -> None:
        """``CreateStatefulPod``: the claims, then the pod, then the claims' owners."""
        try:
            await self._create_claims(sts, pod)
        except Exception as err:
            self._pod_event("create", sts, pod, err)
            raise
        try:
            await self.pods.create(pod, namespace=_namespace(sts))
        except errors.StatusError as err:
            if not errors.is_already_exists(err):
                self._pod_event("create", sts, pod, err)
            raise
        try:
            await self.update_claims_for_retention_policy(sts, pod)
        except Exception as err:
            self._pod_event("update", sts, pod, err)
            raise
        self._pod_event("create", sts, pod, None)

    async def update(self, sts: Mapping[str, Any], pod: Obj) -> None:
        """``UpdateStatefulPod``: restore the pod's identity and storage and its claims'
        owners, retrying on conflict with the cached pod."""
        attempted = False
        failure: BaseException | None = None
        for attempt in range(_UPDATE_ATTEMPTS):
            consistent = True
            if not identity_matches(sts, pod):
                update_identity(sts, pod)
                consistent = False
            try:
                if not storage_matches(sts, pod):
                    update_storage(sts, pod)
                    consistent = False
                    await self._create_claims(sts, pod)
                if not self.claims_match_retention_policy(sts, pod):
                    await self.update_claims_for_retention_policy(sts, pod)
                    consistent = False
            except Exception as err:
                self._pod_event("update", sts, pod, err)
                raise
            if consistent:
                failure = None
                break
            attempted = True
            try:
                await self.pods.update(pod, namespace=_namespace(sts))
            except errors.StatusError as err:
                failure = err
                if not errors.is_conflict(err) or attempt == _UPDATE_ATTEMPTS - 1:
                    break
                with contextlib.suppress(errors.StatusError):  # keep ours if it vanished
                    pod = copy.deepcopy(self.pod_lister.get(_name(pod), namespace=_namespace(sts)))
                continue
            failure = None
            break
        if attempted:
            self._pod_event("update", sts, pod, failure)
        if failure is not None:
            raise failure

    async def delete(self, sts: Mapping[str, Any], pod: Mapping[str, Any]) -> None:
        """``DeleteStatefulPod``, recorded either way."""
        try:
            await self.pods.delete(_name(pod), namespace=_namespace(pod) or _namespace(sts))
        except errors.StatusError as err:
            self._pod_event("delete", sts, pod, err)
            raise
        self._pod_event("delete", sts, pod, None)

    # -- claims --------------------------------------------------------------------------

    def claims_match_retention_policy(self, sts: Mapping[str, Any], pod: Mapping[str, Any]) -> bool:
        """Whether every existing claim of the pod has the owners its policy wants."""
        for _, claim in claims_for(sts, pod):
            cached = self._cached_claim(_namespace(sts), _name(claim))
            if cached is not None and not claim_owner_up_to_date(cached, sts, pod):
                return False
        return True

    async def update_claims_for_retention_policy(
        self, sts: Mapping[str, Any], pod: Mapping[str, Any]
    ) -> None:
        """Give the pod's claims the owner references the policy wants."""
        for _, claim in claims_for(sts, pod):
            cached = self._cached_claim(_namespace(sts), _name(claim))
            if cached is None:
                continue  # not there yet: the next sync sees it
            if has_unexpected_controller(cached, sts, pod):
                self.recorder.event(
                    sts,
                    WARNING,
                    "ConflictingController",
                    f"PersistentVolumeClaim {_name(claim)} has a conflicting OwnerReference "
                    "that acts as a manging controller, the retention policy is ignored for "
                    "this claim",
                )
            await self._set_claim_owners(sts, pod, cached)

    async def _set_claim_owners(
        self, sts: Mapping[str, Any], pod: Mapping[str, Any], claim: Mapping[str, Any]
    ) -> None:
        # The cache may hold an older copy than our last write: on a conflict, read the
        # claim again and retry (as client-go's RetryOnConflict would).
        for attempt in range(_UPDATE_ATTEMPTS):
            if claim_owner_up_to_date(claim, sts, pod):
                return
            body = copy.deepcopy(dict(claim))
            body["metadata"]["ownerReferences"] = updated_owner_refs(claim, sts, pod)
            try:
                await self.claims.update(body, namespace=_namespace(sts))
                return
            except errors.StatusError as err:
                if not errors.is_conflict(err) or attempt == _UPDATE_ATTEMPTS - 1:
                    raise StatefulSetError(
                        f"could not update claim {_name(claim)} for delete policy ownerRefs: "
                        f"{err.message}"
                    ) from err
            claim = await self.claims.get(_name(claim), namespace=_namespace(sts))

    def claim_is_stale(self, sts: Mapping[str, Any], pod: Mapping[str, Any]) -> bool:
        """``PodClaimIsStale``: under ``whenScaled: Delete``, a claim still owned by an
        earlier pod of this name must be collected before the pod is made again."""
        when_scaled, _ = retention_policy(sts)
        if when_scaled == RETAIN:
            return False
        for _, claim in claims_for(sts, pod):
            cached = self._cached_claim(_namespace(sts), _name(claim))
            if cached is not None and has_stale_owner_ref(cached, pod, is_pod=True):
                return True
        return False

    async def create_missing_claims(self, sts: Mapping[str, Any], pod: Mapping[str, Any]) -> None:
        """For a pending pod: create the claims it lacks, then set their owners."""
        await self._create_claims(sts, pod)
        try:
            await self.update_claims_for_retention_policy(sts, pod)
        except Exception as err:
            self._pod_event("update", sts, pod, err)
            raise

    async def _create_claims(self, sts: Mapping[str, Any], pod: Mapping[str, Any]) -> None:
        failures: list[BaseException] = []
        for _, claim in claims_for(sts, pod):
            cached = self._cached_claim(_namespace(sts), _name(claim))
            if cached is not None:
                if (cached.get("metadata") or {}).get("deletionTimestamp"):
                    failures.append(StatefulSetError(f"pvc {_name(claim)} is being deleted"))
                continue
            try:
                await self.claims.create(claim, namespace=_namespace(sts))
            except errors.StatusError as err:
                if errors.is_already_exists(err):
                    continue  # the cache was behind: it is there
                failures.append(
                    StatefulSetError(f"failed to create PVC {_name(claim)}: {err.message}")
                )
                self._claim_event("create", sts, pod, claim, err)
                continue
            self._claim_event("create", sts, pod, claim, None)
        if failures:
            raise aggregate(failures)
