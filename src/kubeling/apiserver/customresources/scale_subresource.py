"""``GET/PUT/PATCH <plural>/<name>/scale`` of a custom resource.

As the apiextensions server's ``ScaleREST`` does: a read shows the object as
an ``autoscaling/v1 Scale`` through the CRD's replica paths (a 500 when the
spec replicas path is missing, as in Kubernetes); a write applies the Scale
(or the patch, applied to the current Scale) by setting the spec replicas
path, then updates the custom resource through its own strategy, so the
schema and the scale checks decide (a 422 on the custom resource's kind).
A spec replicas path that is missing and not set by the write is a 400
(``the spec replicas field ".spec.replicas" cannot be empty``).

Without a resourceVersion in the Scale the write retries on conflicts, as
``GuaranteedUpdate`` does; with one, a stale version is a 409.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any, Final

from kubeling.api import errors
from kubeling.api.patch import PatchError, apply_json_patch, apply_merge_patch
from kubeling.apiserver.admission.interfaces import UPDATE
from kubeling.apiserver.customresources.scale import (
    AccessorError,
    ScalePaths,
    scale_from,
    set_nested_int,
)
from kubeling.apiserver.rest.options import WriteOptions
from kubeling.apiserver.rest.resource_store import ResourceStore, patch_status
from kubeling.apiserver.rest.subresources import SCALE_KIND, Scale

__all__ = ["CustomResourceScale", "scale_for"]

Obj = dict[str, Any]

#: What an unset spec replicas path shows as, so that a write that leaves it
#: unset can be told apart (the smallest int32, as upstream).
_UNSET: Final = -(2**31)
_RETRIES: Final = 5
_PATCH_TYPES: Final = (
    "application/json-patch+json",
    "application/merge-patch+json",
    "application/apply-patch+yaml",
)
_DECODE_PREFIX: Final = 'Scale in version "v1" cannot be handled as a Scale: '


def _meta(obj: Any) -> dict[str, Any]:
    meta = obj.get("metadata") if isinstance(obj, dict) else None
    return meta if isinstance(meta, dict) else {}


def _go_json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    return f"number {value}"


def _replicas(scale: Any) -> int:
    """``spec.replicas`` of a written Scale, decoded as Go decodes an int32."""
    if not isinstance(scale, dict):
        raise errors.bad_request(
            _DECODE_PREFIX + f"json: cannot unmarshal {_go_json_type(scale)} into Go value of "
            "type v1.Scale"
        )
    kind = scale.get("kind")
    if kind not in (None, "", "Scale"):
        raise errors.bad_request(
            f'{kind} in version "v1" cannot be handled as a Scale: no kind "{kind}" is '
            'registered for version "autoscaling/v1"'
        )
    spec = scale.get("spec")
    if spec is None:
        return 0
    if not isinstance(spec, dict):
        raise errors.bad_request(
            _DECODE_PREFIX + f"json: cannot unmarshal {_go_json_type(spec)} into Go struct "
            "field Scale.spec of type v1.ScaleSpec"
        )
    value = spec.get("replicas")
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or not -(2**31) <= value <= 2**31 - 1:
        raise errors.bad_request(
            _DECODE_PREFIX + f"json: cannot unmarshal {_go_json_type(value)} into Go struct "
            "field ScaleSpec.spec.replicas of type int32"
        )
    return value


class CustomResourceScale:
    """The ``scale`` subresource of one custom resource version."""

    def __init__(self, rest: ResourceStore, paths: ScalePaths) -> None:
        self.rest = rest
        self.paths = paths

    def _scale(self, obj: Obj) -> tuple[Obj, bool]:
        try:
            return scale_from(obj, self.paths)
        except AccessorError as err:
            raise errors.internal_error(str(err)) from err

    async def get(self, namespace: str, name: str) -> Obj:
        scale, found = self._scale(await self.rest.get(namespace, name))
        if not found:
            raise errors.internal_error(
                f'the spec replicas field "{self.paths.spec_replicas}" does not exist'
            )
        return scale

    async def update(self, namespace: str, name: str, body: Any, options: WriteOptions) -> Obj:
        body_name = _meta(body).get("name")
        if body_name and body_name != name:
            raise errors.bad_request(
                f"the name of the object ({body_name}) does not match the name on the URL ({name})"
            )
        return await self._write(namespace, name, lambda _: body, options)

    async def patch(
        self, namespace: str, name: str, patch_type: str, patch: Any, options: WriteOptions
    ) -> Obj:
        if patch_type not in ("json", "merge", "apply"):
            raise errors.unsupported_media_type(list(_PATCH_TYPES))

        def patched(current: Obj) -> Any:
            try:
                if patch_type == "json":
                    return apply_json_patch(current, patch)
                return apply_merge_patch(current, patch)
            except PatchError as err:
                raise patch_status(err) from err

        return await self._write(namespace, name, patched, options)

    async def _write(
        self,
        namespace: str,
        name: str,
        compute: Callable[[Obj], Any],
        options: WriteOptions,
    ) -> Obj:
        for attempt in range(_RETRIES):
            current = await self.rest.get(namespace, name)
            old_scale, found = self._scale(current)
            if not found:
                old_scale.setdefault("spec", {})["replicas"] = _UNSET
            new_scale = compute(copy.deepcopy(old_scale))
            if isinstance(new_scale, dict):
                # admitted as a Scale; the object behind it is then written unadmitted
                await self.rest.admit_subresource(
                    UPDATE,
                    "scale",
                    new_scale,
                    old_scale,
                    namespace=namespace,
                    name=name,
                    kind=SCALE_KIND,
                    dry_run=options.dry_run,
                    options=options.as_json("UpdateOptions"),
                )
            replicas = _replicas(new_scale)
            if replicas == _UNSET:
                raise errors.bad_request(
                    f'the spec replicas field "{self.paths.spec_replicas}" cannot be empty'
                )
            updated = copy.deepcopy(current)
            try:
                set_nested_int(updated, self.paths.spec_replicas, replicas)
            except AccessorError as err:
                raise errors.internal_error(str(err)) from err
            # A resourceVersion in the Scale is the client's precondition;
            # without one, the object just read is (and a conflict retries).
            wanted = _meta(new_scale).get("resourceVersion")
            if wanted:
                _meta(updated)["resourceVersion"] = wanted
            try:
                written = await self.rest.update(
                    namespace, name, updated, options, subresource="scale", admit=False
                )
            except errors.StatusError as err:
                if err.code == 409 and not wanted and attempt < _RETRIES - 1:
                    continue
                raise
            try:
                return scale_from(written, self.paths)[0]
            except AccessorError as err:
                raise errors.bad_request(str(err)) from err
        raise AssertionError("unreachable")


def scale_for(rest: ResourceStore) -> Scale | CustomResourceScale:
    """The scale subresource handler of ``rest``: the CRD's paths for custom
    resources, the built-in view (``spec.replicas``, ``spec.selector``) otherwise."""
    paths = getattr(rest.strategy, "scale_paths", None)
    if isinstance(paths, ScalePaths):
        return CustomResourceScale(rest, paths)
    return Scale(rest)
