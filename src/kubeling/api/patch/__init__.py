"""Patch engines for the three PATCH content types the API server accepts.

* ``application/json-patch+json``: RFC 6902 operations (:mod:`.json_patch`).
* ``application/merge-patch+json``: RFC 7386 merge patches (:mod:`.merge_patch`).
* ``application/strategic-merge-patch+json``: Kubernetes' schema-driven merge
  (:mod:`.strategic`, with schema lookup in :mod:`.strategic_schema` and patch
  creation in :mod:`.strategic_diff`).

All engines are pure: they take decoded JSON, never mutate their inputs and
raise :class:`PatchError` carrying the HTTP status Kubernetes answers with.
The behaviour follows the Go libraries the real API server runs
(``gopkg.in/evanphx/json-patch.v4`` and
``k8s.io/apimachinery/pkg/util/strategicpatch``), quirks included; each module
docstring lists the quirks and the few places where kubeling deliberately
differs.
"""

from kubeling.api.patch.errors import PatchError
from kubeling.api.patch.json_patch import MAX_OPERATIONS, apply_json_patch, decode_json_patch
from kubeling.api.patch.json_value import JSON, JSONArray, JSONObject
from kubeling.api.patch.merge_patch import apply_merge_patch, create_merge_patch
from kubeling.api.patch.strategic import apply_strategic_merge_patch
from kubeling.api.patch.strategic_diff import (
    create_three_way_merge_patch,
    create_two_way_merge_patch,
)
from kubeling.api.patch.strategic_schema import NO_SCHEMA, PatchMeta, SchemaPatchMeta

__all__ = [
    "JSON",
    "MAX_OPERATIONS",
    "NO_SCHEMA",
    "JSONArray",
    "JSONObject",
    "PatchError",
    "PatchMeta",
    "SchemaPatchMeta",
    "apply_json_patch",
    "apply_merge_patch",
    "apply_strategic_merge_patch",
    "create_merge_patch",
    "create_three_way_merge_patch",
    "create_two_way_merge_patch",
    "decode_json_patch",
]
