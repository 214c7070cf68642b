"""ControllerRevisions: the recorded templates of StatefulSets and DaemonSets.

As Kubernetes' ``pkg/controller/history``, a controller that rolls pods from
one template to the next snapshots each template it has run in a
ControllerRevision it owns:

- ``data`` is a strategic merge patch that puts the template back,
  ``{"spec":{"template":{"$patch":"replace",...}}}``, encoded as Go's
  ``encoding/json`` encodes it (sorted keys, compact, HTML-safe): the same
  bytes Kubernetes stores (:func:`template_patch`, :func:`encode_data`);
- ``revision`` numbers them: a new template gets the highest number plus
  one, and going back to an earlier template renumbers that revision instead
  of creating a copy;
- the name is ``<owner>-<hash>`` (the owner's name cut to 223 bytes). A
  StatefulSet's hash is FNV-1 32 of the data bytes plus the collision count
  in decimal, encoded with ``rand.SafeEncodeString`` (:func:`hash_revision`,
  which reproduces Kubernetes' names exactly); a DaemonSet's is its pod
  template hash (:func:`pod_template_hash`). When a different revision
  already has the name, the collision count goes up and the name changes;
- revisions no longer in use are deleted, oldest first, beyond
  ``revisionHistoryLimit`` (:func:`unused_revisions`);
- orphaned revisions matching the owner's selector are adopted, and owned
  ones that stop matching released (:meth:`History.claim`).
"""

from __future__ import annotations

import copy
import datetime
from collections.abc import Awaitable, Callable, Collection, Iterable, Mapping, Sequence
from typing import Any, Final

from kubeling.api import errors
from kubeling.api.goformat import go_json
from kubeling.api.labels import Selector
from kubeling.client import Lister, ResourceClient
from kubeling.controllers.ownership import claim, controller_of, new_controller_ref
from kubeling.controllers.pods import parse_time

__all__ = [
    "CONTROLLER_REVISION_HASH_LABEL",
    "POD_REVISION_LABEL",
    "History",
    "encode_data",
    "equal_revision",
    "find_equal_revisions",
    "hash_revision",
    "new_revision",
    "next_revision",
    "pod_template_hash",
    "revision_name",
    "safe_encode",
    "sort_revisions",
    "template_patch",
    "unused_revisions",
]

Obj = dict[str, Any]

#: On a StatefulSet's ControllerRevision: the hash in its name.
CONTROLLER_REVISION_HASH_LABEL: Final = "controller.kubernetes.io/hash"
#: On pods (and a DaemonSet's revisions): which revision they were made from.
POD_REVISION_LABEL: Final = "controller-revision-hash"

_SAFE_ALPHABET: Final = "bcdfghjklmnpqrstvwxz2456789"
_FNV32_OFFSET: Final = 0x811C9DC5
_FNV32_PRIME: Final = 0x01000193
_MAX_PREFIX: Final = 223


def safe_encode(text: str) -> str:
    """``rand.SafeEncodeString``: each byte mapped onto consonants and digits, so that
    no hash spells a word.

    >>> safe_encode("733928534")
    'c77f6d978'
    """
    return "".join(_SAFE_ALPHABET[b % len(_SAFE_ALPHABET)] for b in text.encode())


def _fnv32(data: bytes) -> int:
    """FNV-1, 32 bits (Go's ``fnv.New32``): multiply, then xor."""
    value = _FNV32_OFFSET
    for byte in data:
        value = (value * _FNV32_PRIME) & 0xFFFFFFFF
        value ^= byte
    return value


def _fnv32a(data: bytes) -> int:
    """FNV-1a, 32 bits (Go's ``fnv.New32a``): xor, then multiply."""
    value = _FNV32_OFFSET
    for byte in data:
        value ^= byte
        value = (value * _FNV32_PRIME) & 0xFFFFFFFF
    return value


def revision_name(prefix: str, hash_: str) -> str:
    """``ControllerRevisionName``: ``prefix-hash``, the prefix cut to 223 bytes so the
    name stays within 253."""
    return f"{prefix.encode()[:_MAX_PREFIX].decode(errors='ignore')}-{hash_}"


def template_patch(owner: Mapping[str, Any]) -> Obj:
    """``getPatch``: the patch that puts ``owner``'s pod template back in place."""
    template = copy.deepcopy(dict((owner.get("spec") or {}).get("template") or {}))
    template["$patch"] = "replace"
    return {"spec": {"template": template}}


def encode_data(data: object) -> bytes:
    """The bytes of a revision's ``data`` as Kubernetes writes (and hashes) them."""
    return go_json(data).encode()


def hash_revision(data: object, probe: int | None) -> str:
    """``HashControllerRevision``: FNV-1 of the data, then the probe (the collision count)
    in decimal.

    >>> hash_revision({"spec": {"template": {"$patch": "replace"}}}, 0)
    '589f85db5b'
    """
    payload = encode_data(data)
    if probe is not None:
        payload += str(probe).encode()
    return safe_encode(str(_fnv32(payload)))


def pod_template_hash(template: Mapping[str, Any], collision_count: int | None) -> str:
    """``controller.ComputeHash``'s shape: FNV-1a over the template, then the collision
    count as four little-endian bytes padded to eight; safe-encoded.

    Kubernetes hashes its in-memory Go struct (a ``spew`` dump, unexported
    fields of quantities and times included), which JSON cannot reproduce;
    this hashes the template's JSON instead (docs/differences.md).
    """
    payload = encode_data(template)
    if collision_count is not None:
        payload += (collision_count & 0xFFFFFFFF).to_bytes(4, "little") + bytes(4)
    return safe_encode(str(_fnv32a(payload)))


def new_revision(
    owner: Mapping[str, Any],
    *,
    api_version: str,
    kind: str,
    data: Mapping[str, Any],
    revision: int,
    collision_count: int,
) -> Obj:
    """``NewControllerRevision`` for a StatefulSet: the template's labels plus the hash
    label, the owner's annotations, a controller reference, named by the data's hash."""
    meta = owner.get("metadata") or {}
    template_meta = ((owner.get("spec") or {}).get("template") or {}).get("metadata") or {}
    hash_ = hash_revision(data, collision_count)
    labels = dict(template_meta.get("labels") or {})
    labels[CONTROLLER_REVISION_HASH_LABEL] = hash_
    revision_meta: Obj = {
        "name": revision_name(str(meta.get("name", "")), hash_),
        "namespace": meta.get("namespace", ""),
        "labels": labels,
        "ownerReferences": [new_controller_ref(owner, api_version, kind)],
    }
    if meta.get("annotations"):
        revision_meta["annotations"] = dict(meta["annotations"])
    return {
        "apiVersion": "apps/v1",
        "kind": "ControllerRevision",
        "metadata": revision_meta,
        "data": copy.deepcopy(dict(data)),
        "revision": revision,
    }


_EPOCH: Final = datetime.datetime.min.replace(tzinfo=datetime.UTC)


def _sort_key(revision: Mapping[str, Any]) -> tuple[int, datetime.datetime, str]:
    meta = revision.get("metadata") or {}
    created = parse_time(meta.get("creationTimestamp")) or _EPOCH
    return int(revision.get("revision") or 0), created, str(meta.get("name", ""))


def sort_revisions(revisions: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """By ``revision``, then creation time, then name (``SortControllerRevisions``)."""
    return sorted(revisions, key=_sort_key)


def _int32_label(revision: Mapping[str, Any]) -> int | None:
    text = ((revision.get("metadata") or {}).get("labels") or {}).get(
        CONTROLLER_REVISION_HASH_LABEL
    )
    try:
        value = int(str(text), 10)
    except ValueError:
        return None
    return value if -(2**31) <= value < 2**31 else None


def equal_revision(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """``EqualRevision``: different numeric hash labels say no at once; otherwise the
    data decides."""
    hash_a, hash_b = _int32_label(a), _int32_label(b)
    if hash_a is not None and hash_b is not None and hash_a != hash_b:
        return False
    return encode_data(a.get("data")) == encode_data(b.get("data"))


def find_equal_revisions(
    revisions: Sequence[Mapping[str, Any]], needle: Mapping[str, Any]
) -> list[Mapping[str, Any]]:
    """The revisions equal to ``needle``, in their order."""
    return [revision for revision in revisions if equal_revision(revision, needle)]


def next_revision(sorted_revisions: Sequence[Mapping[str, Any]]) -> int:
    """One more than the last revision's number; 1 for no history."""
    if not sorted_revisions:
        return 1
    return int(sorted_revisions[-1].get("revision") or 0) + 1


def unused_revisions(
    sorted_revisions: Sequence[Mapping[str, Any]],
    *,
    live: Collection[str],
    label: str | None = None,
) -> list[Mapping[str, Any]]:
    """The revisions no one uses, oldest first: those whose name (or, with ``label``,
    that label's value) is not ``live``. History beyond the limit is deleted from the
    front of this list."""
    unused = []
    for revision in sorted_revisions:
        meta = revision.get("metadata") or {}
        key = meta.get("name") if label is None else (meta.get("labels") or {}).get(label)
        if key not in live:
            unused.append(revision)
    return unused


class History:
    """ControllerRevision writes for one kind of owner, reads from the shared cache."""

    def __init__(
        self, client: ResourceClient, lister: Lister, *, api_version: str, kind: str
    ) -> None:
        self.client = client
        self.lister = lister
        self.api_version = api_version
        self.kind = kind

    def list_for(self, owner: Mapping[str, Any], selector: Selector) -> list[Mapping[str, Any]]:
        """``ListControllerRevisions``: those matching ``selector`` that ``owner`` controls
        or nobody does."""
        meta = owner.get("metadata") or {}
        uid = meta.get("uid")
        namespace = str(meta.get("namespace", ""))
        found: list[Mapping[str, Any]] = []
        for revision in self.lister.list(namespace=namespace, selector=selector):
            ref = controller_of(revision)
            if ref is None or ref.get("uid") == uid:
                found.append(revision)
        return found

    async def claim(
        self,
        owner: Mapping[str, Any],
        selector: Selector,
        recheck_owner: Callable[[], Awaitable[Mapping[str, Any]]],
    ) -> list[Mapping[str, Any]]:
        """Adopt the orphans ``selector`` matches, release what no longer matches; the
        revisions ``owner`` then controls."""
        namespace = str((owner.get("metadata") or {}).get("namespace", ""))
        return await claim(
            owner,
            api_version=self.api_version,
            kind=self.kind,
            selector=selector,
            candidates=self.lister.list(namespace=namespace),
            client=self.client,
            recheck_owner=recheck_owner,
        )

    async def create(
        self, owner: Mapping[str, Any], revision: Mapping[str, Any], collision_count: int
    ) -> tuple[Obj, int]:
        """``CreateControllerRevision``: create ``revision`` under its hashed name; when
        another revision holds the name, count a collision and rename. Returns the
        revision (the existing one if it holds the same data) and the collision count."""
        meta = owner.get("metadata") or {}
        namespace = str(meta.get("namespace", ""))
        body = copy.deepcopy(dict(revision))
        while True:
            hash_ = hash_revision(revision.get("data"), collision_count)
            body["metadata"]["name"] = revision_name(str(meta.get("name", "")), hash_)
            body["metadata"].setdefault("labels", {})[CONTROLLER_REVISION_HASH_LABEL] = hash_
            try:
                return await self.client.create(body, namespace=namespace), collision_count
            except errors.StatusError as err:
                if not errors.is_already_exists(err):
                    raise
            existing = await self.client.get(body["metadata"]["name"], namespace=namespace)
            if encode_data(existing.get("data")) == encode_data(body.get("data")):
                return existing, collision_count
            collision_count += 1

    async def renumber(self, revision: Mapping[str, Any], number: int) -> Obj:
        """``UpdateControllerRevision``: give ``revision`` the number ``number``, re-reading
        it on a conflict."""
        current = copy.deepcopy(dict(revision))
        meta = current.get("metadata") or {}
        for attempt in range(5):
            if int(current.get("revision") or 0) == number:
                return current
            current["revision"] = number
            try:
                return await self.client.update(current)
            except errors.StatusError as err:
                if not errors.is_conflict(err) or attempt == 4:
                    raise
            current = await self.client.get(
                str(meta.get("name", "")), namespace=str(meta.get("namespace", ""))
            )
        return current

    async def delete(self, revision: Mapping[str, Any]) -> None:
        """Delete ``revision`` (one already gone is not an error)."""
        meta = revision.get("metadata") or {}
        try:
            await self.client.delete(
                str(meta.get("name", "")), namespace=str(meta.get("namespace", ""))
            )
        except errors.StatusError as err:
            if not errors.is_not_found(err):
                raise
