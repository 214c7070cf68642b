"""Subresources that are views or actions on a parent object.

- ``scale`` (deployments, replicasets, statefulsets, replicationcontrollers):
  an ``autoscaling/v1 Scale`` view of ``spec.replicas``, ``status.replicas``
  and the selector; ``kubectl scale`` PATCHes it, ``--current-replicas`` PUTs it.
- ``binding`` (pods): the scheduler's write of ``spec.nodeName``; a pod is
  bound once, a second binding is a 409 Conflict.
- ``eviction`` (pods) has its own module, ``rest/eviction.py``.
- ``finalize`` (namespaces): replaces ``spec.finalizers`` only, which is how
  the namespace controller releases a terminating namespace.
"""

from __future__ import annotations

import copy
from typing import Any

from kubeling.api import errors, labels
from kubeling.api.field import invalid
from kubeling.api.patch import PatchError, apply_json_patch, apply_merge_patch
from kubeling.api.schema import GroupVersionKind
from kubeling.apiserver.admission.interfaces import CREATE, UPDATE
from kubeling.apiserver.rest.options import WriteOptions
from kubeling.apiserver.rest.resource_store import ResourceStore, patch_status

__all__ = ["BINDING_KIND", "SCALE_KIND", "Binding", "Finalize", "Scale", "set_pod_condition"]

Obj = dict[str, Any]

#: The kinds admission sees written to ``/scale`` and ``/binding``.
SCALE_KIND = GroupVersionKind("autoscaling", "v1", "Scale")
BINDING_KIND = GroupVersionKind("", "v1", "Binding")


def _meta(obj: Obj) -> dict[str, Any]:
    meta = obj.get("metadata")
    return meta if isinstance(meta, dict) else {}


def set_pod_condition(
    conditions: list[Obj], condition_type: str, status: str, *, now: str
) -> list[Obj]:
    """The pod's conditions with ``condition_type`` set to ``status`` (podutil.UpdatePodCondition).

    The condition keeps its place in the list; its ``lastTransitionTime`` is
    ``now`` unless the status stays what it was, and its reason, message and
    probe time are cleared, as the binding's bare condition carries none.

    >>> gated = {"type": "PodScheduled", "status": "False", "reason": "SchedulingGated"}
    >>> [scheduled] = set_pod_condition([gated], "PodScheduled", "True", now="2025-01-02T03:04:05Z")
    >>> scheduled["status"], scheduled["lastTransitionTime"], "reason" in scheduled
    ('True', '2025-01-02T03:04:05Z', False)
    """
    condition: Obj = {
        "type": condition_type,
        "status": status,
        "lastProbeTime": None,
        "lastTransitionTime": now,
    }
    result = list(conditions)
    for index, old in enumerate(result):
        if isinstance(old, dict) and old.get("type") == condition_type:
            if old.get("status") == status:
                condition["lastTransitionTime"] = old.get("lastTransitionTime")
            result[index] = condition
            return result
    result.append(condition)
    return result


class Scale:
    """The ``scale`` subresource of a replicated workload."""

    def __init__(self, rest: ResourceStore) -> None:
        self.rest = rest

    def view(self, obj: Obj) -> Obj:
        meta = _meta(obj)
        spec, status = obj.get("spec") or {}, obj.get("status") or {}
        selector = spec.get("selector")
        if isinstance(selector, dict) and (
            "matchLabels" in selector or "matchExpressions" in selector
        ):
            selector_text = str(labels.label_selector_as_selector(selector))
        elif isinstance(selector, dict):  # ReplicationController: a plain map
            selector_text = str(labels.selector_from_set(selector))
        else:
            selector_text = ""
        scale_status: Obj = {"replicas": int(status.get("replicas", 0))}
        if selector_text:
            scale_status["selector"] = selector_text
        return {
            "kind": "Scale",
            "apiVersion": "autoscaling/v1",
            "metadata": {
                k: meta[k]
                for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")
                if k in meta
            },
            "spec": {"replicas": int(spec.get("replicas", 0))},
            "status": scale_status,
        }

    async def get(self, namespace: str, name: str) -> Obj:
        return self.view(await self.rest.get(namespace, name))

    async def _set_replicas(
        self,
        namespace: str,
        name: str,
        scale: Any,
        expected_rv: str | None,
        options: WriteOptions,
    ) -> Obj:
        if not isinstance(scale, dict) or not isinstance(scale.get("spec"), dict):
            raise errors.bad_request("the body must be a Scale object")
        current = await self.rest.get(namespace, name)
        # Admission sees the Scale written, against the Scale it replaces; the
        # object behind it is then written without admission of its own.
        await self.rest.admit_subresource(
            UPDATE,
            "scale",
            scale,
            self.view(current),
            namespace=namespace,
            name=name,
            kind=SCALE_KIND,
            dry_run=options.dry_run,
            options=options.as_json("UpdateOptions"),
        )
        if not isinstance(scale.get("spec"), dict):
            raise errors.bad_request("the body must be a Scale object")
        replicas = scale["spec"].get("replicas", 0)
        if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 0:
            raise errors.invalid(
                "Scale.autoscaling",
                name,
                [invalid("spec.replicas", replicas, "must be greater than or equal to 0")],
            )
        if expected_rv and expected_rv != _meta(current).get("resourceVersion"):
            raise errors.conflict(
                self.rest.resource.group_resource,
                name,
                "the object has been modified; please apply your changes to the latest "
                "version and try again",
            )
        updated = copy.deepcopy(current)
        updated.setdefault("spec", {})["replicas"] = replicas
        written = await self.rest.update(namespace, name, updated, options, admit=False)
        return self.view(written)

    async def update(self, namespace: str, name: str, body: Any, options: WriteOptions) -> Obj:
        expected = _meta(body).get("resourceVersion") if isinstance(body, dict) else None
        return await self._set_replicas(namespace, name, body, expected or None, options)

    async def patch(
        self, namespace: str, name: str, patch_type: str, patch: Any, options: WriteOptions
    ) -> Obj:
        current = await self.get(namespace, name)
        try:
            if patch_type == "json":
                patched = apply_json_patch(current, patch)
            elif patch_type in ("merge", "strategic", "apply"):
                patched = apply_merge_patch(current, patch)
            else:
                raise errors.unsupported_media_type(["application/merge-patch+json"])
        except PatchError as err:
            raise patch_status(err) from err
        rv = _meta(patched).get("resourceVersion") if isinstance(patched, dict) else None
        if rv == _meta(current).get("resourceVersion"):
            rv = None
        return await self._set_replicas(namespace, name, patched, rv, options)


class Binding:
    """``POST pods/<name>/binding`` (and ``POST bindings``): assign a pod to a node.

    One read-modify-write of the pod, as Kubernetes' ``BindingREST`` does: the
    binding's ``metadata.uid`` (and ``resourceVersion``), when set, must still be the
    pod's; a pod being deleted, already bound, or still gated is refused with 409 on
    ``pods/binding``. The pod gets ``spec.nodeName``, the binding's annotations and
    ``PodScheduled=True``.
    """

    def __init__(self, pods: ResourceStore) -> None:
        self.pods = pods

    async def create(self, namespace: str, name: str, body: Any, options: WriteOptions) -> Obj:
        if not isinstance(body, dict):
            raise errors.bad_request("the body must be a Binding object")
        target = body.get("target") or {}
        node = target.get("name") if isinstance(target, dict) else None
        if not node:
            raise errors.invalid("Binding", name, [invalid("target.name", "", "required")])
        meta = _meta(body)
        if meta.get("name") and meta["name"] != name:
            raise errors.bad_request("name in URL does not match name in Binding object")
        await self.pods.admit_subresource(
            CREATE,
            "binding",
            body,
            None,
            namespace=namespace,
            name=name,
            kind=BINDING_KIND,
            dry_run=options.dry_run,
            options=options.as_json("CreateOptions"),
        )
        uid, version = meta.get("uid") or "", meta.get("resourceVersion") or ""
        annotations = meta.get("annotations") or {}

        def bind(pod: Obj) -> Obj:
            pod_meta = _meta(pod)
            # A failed precondition is the pods store's conflict, as upstream's storage says.
            if uid and uid != pod_meta.get("uid"):
                raise errors.conflict(
                    "pods",
                    name,
                    f"Precondition failed: UID in precondition: {uid}, "
                    f"UID in object meta: {pod_meta.get('uid')}",
                )
            if version and version != pod_meta.get("resourceVersion"):
                raise errors.conflict(
                    "pods",
                    name,
                    f"Precondition failed: ResourceVersion in precondition: {version}, "
                    f"ResourceVersion in object meta: {pod_meta.get('resourceVersion')}",
                )
            if pod_meta.get("deletionTimestamp"):
                raise self._conflict(
                    name, f"pod {name} is being deleted, cannot be assigned to a host"
                )
            spec = pod.setdefault("spec", {})
            if spec.get("nodeName"):
                raise self._conflict(
                    name, f'pod {name} is already assigned to node "{spec["nodeName"]}"'
                )
            if spec.get("schedulingGates"):
                raise self._conflict(name, f"pod {name} has non-empty .spec.schedulingGates")
            spec["nodeName"] = node
            if annotations:
                pod_meta.setdefault("annotations", {}).update(annotations)
            status = pod.setdefault("status", {})
            status["conditions"] = set_pod_condition(
                status.get("conditions") or [], "PodScheduled", "True", now=self.pods.now()
            )
            return pod

        await self.pods.update_internal(namespace, name, bind, options)
        return {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Success",
            "code": 201,
        }

    @staticmethod
    def _conflict(name: str, message: str) -> errors.StatusError:
        return errors.conflict("pods/binding", name, message)


class Finalize:
    """``PUT namespaces/<name>/finalize``: replace ``spec.finalizers`` only."""

    def __init__(self, namespaces: ResourceStore) -> None:
        self.namespaces = namespaces

    async def update(self, name: str, body: Any, options: WriteOptions) -> Obj:
        if not isinstance(body, dict):
            raise errors.bad_request("the body must be a Namespace object")
        finalizers = (body.get("spec") or {}).get("finalizers") or []
        current = await self.namespaces.get("", name)
        updated = copy.deepcopy(current)
        updated.setdefault("spec", {})["finalizers"] = finalizers
        return await self.namespaces.update(
            "", name, updated, options, internal=True, subresource="finalize"
        )
