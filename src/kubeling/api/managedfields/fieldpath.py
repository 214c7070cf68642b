"""Sets of field paths, as ``metadata.managedFields[*].fieldsV1`` stores them.

A path is a tuple of elements spelled as FieldsV1 keys, so a path is its own
serialization and sets compare by value:

- ``f:<name>``: a field of an object, or an entry of a map;
- ``k:<json>``: an item of a map-type list, named by its key fields, JSON
  encoded compactly with sorted keys (``k:{"containerPort":80,"protocol":"TCP"}``);
- ``v:<json>``: an item of a set-type list, named by its value;
- ``i:<n>``: an item by index (read and written, never produced here).

A set holds *members*. Like structured-merge-diff's ``ToFieldSet``:

- scalars, atomic lists, atomic maps and atomic structs are members and
  never have children: a manager owns ``f:selector``, not its matchLabels;
- items of map- and set-type lists are members (a map-type item also has its
  fields as children), and so are entries of maps and of schema-less objects;
- a field of a declared object is a member only when its value is null or an
  empty object; otherwise it is just the prefix of its children.

In FieldsV1, a member with no children is ``{}`` and a member with children
carries a ``".": {}`` entry.

Types come from :mod:`kubeling.api.schema`: lists are map-type when declared
``list_type="map"`` (keyed by ``list_map_keys``) or when they have a
``patch_merge_key`` and no list type, set-type when declared ``"set"``, and
atomic otherwise. Structs are atomic when their type is declared ``atomic``
(``+structType=atomic``) unless the field says ``map_type="granular"``, maps
when the field says ``map_type="atomic"``. Schema-less subtrees (no declaration, ``JSON``,
``RAW_EXTENSION``, undeclared fields of ``preserve_unknown`` objects) are
walked as structured-merge-diff's deduced type: objects by key, lists atomic.
"""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

from kubeling.api.managedfields.memo import Memo
from kubeling.api.schema import (
    FIELDS_V1,
    JSON,
    RAW_EXTENSION,
    Field,
    ListOf,
    MapOf,
    Object,
    Scalar,
    TypeSpec,
    resolve,
)

__all__ = [
    "Comparison",
    "FieldSet",
    "Path",
    "compare",
    "decode_fields_v1",
    "fields_v1_of",
    "from_fields_v1",
    "from_object",
    "get_value",
    "is_missing",
    "merge",
    "remove_path",
    "render_path",
    "to_fields_v1",
]

Path: TypeAlias = tuple[str, ...]
"""A field path: FieldsV1 keys from the root, e.g. ``("f:spec", "f:replicas")``."""

_MISSING: Any = object()


# One encoder for every key: ``json.dumps`` with options builds a new encoder per call,
# which was most of the cost of naming list items.
_DUMP = json.JSONEncoder(separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode


def _dump(value: Any) -> str:
    """Compact JSON with sorted keys: the canonical spelling of keys and values."""
    return _DUMP(value)


def _element_order(element: str) -> tuple[int, str | int]:
    kind = element[:2]
    if kind == "i:":
        return (3, int(element[2:]))
    return ({"f:": 0, "k:": 1, "v:": 2}.get(kind, 4), element[2:])


@dataclass(frozen=True, slots=True)
class FieldSet:
    """An immutable set of field paths (its members)."""

    paths: frozenset[Path] = frozenset()

    @classmethod
    def of(cls, paths: Iterable[Path]) -> FieldSet:
        return cls(frozenset(paths))

    def __contains__(self, path: object) -> bool:
        return path in self.paths

    def __len__(self) -> int:
        return len(self.paths)

    def __bool__(self) -> bool:
        return bool(self.paths)

    def __iter__(self) -> Iterator[Path]:
        """Members in structured-merge-diff's order: a node's members, then its children."""
        return iter(_ordered(self.paths))

    def union(self, other: FieldSet) -> FieldSet:
        return FieldSet(self.paths | other.paths)

    def difference(self, other: FieldSet) -> FieldSet:
        return FieldSet(self.paths - other.paths)

    def intersection(self, other: FieldSet) -> FieldSet:
        return FieldSet(self.paths & other.paths)

    def prefixes(self) -> frozenset[Path]:
        """Every proper, non-empty prefix of a member: the paths that have children."""
        # The parents of the members, then their parents until the root: each
        # prefix is visited once, not once per member under it.
        found: set[Path] = set()
        parents = {path[:-1] for path in self.paths if len(path) > 1}
        while parents:
            found |= parents
            parents = {p[:-1] for p in parents if len(p) > 1} - found
        return frozenset(found)

    def leaves(self) -> list[str]:
        """The members rendered for messages (``.spec.replicas``), in set order."""
        return [render_path(p) for p in self]


def _ordered(paths: frozenset[Path]) -> list[Path]:
    out: list[Path] = []

    def visit(prefix: Path, group: list[Path]) -> None:
        depth = len(prefix)
        children: dict[str, list[Path]] = {}
        members: set[str] = set()
        for path in group:
            element = path[depth]
            if len(path) == depth + 1:
                members.add(element)
            else:
                children.setdefault(element, []).append(path)
        out.extend((*prefix, e) for e in sorted(members, key=_element_order))
        for element in sorted(children, key=_element_order):
            visit((*prefix, element), children[element])

    visit((), [p for p in paths if p])
    return out


# --- rendering ---------------------------------------------------------------


def _render_value(value: Any) -> str:
    """structured-merge-diff's ``value.ToString``: strings quoted, the rest as JSON."""
    if isinstance(value, dict):
        return "{" + ",".join(f"{k}={_render_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_render_value(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def render_path(path: Path) -> str:
    """A path as Kubernetes prints it in conflicts.

    ``.spec.template.spec.containers[name="web"].image``; set items as
    ``[="x"]``, indexes as ``[0]``.
    """
    parts: list[str] = []
    for element in path:
        kind, body = element[:2], element[2:]
        if kind == "f:":
            parts.append("." + body)
        elif kind == "k:":
            key = json.loads(body)
            parts.append("[" + ",".join(f"{k}={_render_value(key[k])}" for k in sorted(key)) + "]")
        elif kind == "v:":
            parts.append("[=" + _render_value(json.loads(body)) + "]")
        elif kind == "i:":
            parts.append(f"[{body}]")
        else:
            raise ValueError(f"invalid path element {element!r}")
    return "".join(parts)


# --- FieldsV1 ----------------------------------------------------------------


def to_fields_v1(fs: FieldSet) -> dict[str, Any]:
    """The FieldsV1 JSON object of a set (a new one: the caller may change it)."""
    text = _ENCODED.get(fs)
    if text is None:
        text = _KEY_DUMP(_build_fields_v1(fs))
        _ENCODED.put(fs, text)
    value: dict[str, Any] = json.loads(text)
    return value


# Memos of the FieldsV1 last encoded and decoded (see kubeling.api.managedfields.memo): as
# JSON text, which the C decoder turns into a new tree faster than a copy is made.
_ENCODED: Memo[FieldSet, str] = Memo(64)
_DECODED: Memo[str, tuple[FieldSet, bool]] = Memo(64)
# Not sorted: the order of a FieldsV1 object's keys tells whether it is canonical.
_KEY_DUMP = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def _build_fields_v1(fs: FieldSet) -> dict[str, Any]:
    root: dict[str, Any] = {}
    with_children = fs.prefixes()
    for path in fs.paths:
        node = root
        for element in path:
            node = node.setdefault(element, {})
        if path in with_children:
            node["."] = {}
    return _sorted_tree(root)


def _sorted_tree(node: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "." in node:
        out["."] = {}
    for key in sorted((k for k in node if k != "."), key=_element_order):
        out[key] = _sorted_tree(node[key])
    return out


# Every write decodes the same few hundred keys again: their spellings are remembered.
@functools.lru_cache(maxsize=16384)
def _canonical_element(key: str) -> str:
    kind, body = key[:2], key[2:]
    if kind == "f:":
        return key
    if kind == "i:":
        if not body.isdigit():
            raise ValueError(f"invalid FieldsV1 index {key!r}")
        return f"i:{int(body)}"
    if kind in ("k:", "v:"):
        try:
            value = json.loads(body)
        except json.JSONDecodeError as exc:
            raise ValueError(f"invalid FieldsV1 key {key!r}") from exc
        if kind == "k:" and not isinstance(value, dict):
            raise ValueError(f"invalid FieldsV1 key {key!r}: not an object")
        return kind + _dump(value)
    raise ValueError(f"invalid FieldsV1 key {key!r}")


def from_fields_v1(fields: dict[str, Any]) -> FieldSet:
    """The set a FieldsV1 JSON object describes; ValueError when it is malformed."""
    return decode_fields_v1(fields)[0]


def decode_fields_v1(fields: dict[str, Any]) -> tuple[FieldSet, bool]:
    """:func:`from_fields_v1`, and whether ``fields`` is already what :func:`to_fields_v1`
    makes of that set (same keys, same order), so that a writer can keep it as it is.

    That form: keys spelled canonically, ``.`` first where present (with ``{}``, in a node
    that has children), the other keys in the set's order, no ``.`` where nothing follows.
    """
    try:
        text = _KEY_DUMP(fields)
    except (TypeError, ValueError):
        return _decode_fields_v1(fields)  # not JSON: the walk says what is wrong
    found = _DECODED.get(text)
    if found is None:
        found = _decode_fields_v1(fields)
        _DECODED.put(text, found)
    return found


def _decode_fields_v1(fields: dict[str, Any]) -> tuple[FieldSet, bool]:
    out: set[Path] = set()
    canonical = True

    def walk(prefix: Path, node: Any) -> None:
        nonlocal canonical
        if not isinstance(node, dict):
            raise ValueError(f"invalid FieldsV1 at {render_path(prefix) or '.'}: not an object")
        if not node and prefix:
            out.add(prefix)
        last: tuple[int, str | int] | None = None
        for position, (key, child) in enumerate(node.items()):
            if key == ".":
                if not prefix:
                    raise ValueError("invalid FieldsV1: '.' at the root")
                out.add(prefix)
                if position != 0 or child != {} or type(child) is not dict or len(node) == 1:
                    canonical = False
                continue
            element = _canonical_element(key)
            if canonical:
                order = _element_order(element)
                if element != key or (last is not None and order <= last):
                    canonical = False
                last = order
            walk((*prefix, element), child)

    walk((), fields)
    return FieldSet(frozenset(out)), canonical


# --- walking objects ---------------------------------------------------------

_Kind = Literal["scalar", "atomic", "struct", "map", "list_map", "set", "deduced"]


# Compared and hashed by identity: shapes come from the cached _shape(), so equal ones are
# one object, and _child's cache hashed every field of its key shape on every call.
@dataclass(frozen=True, slots=True, eq=False)
class _Shape:
    kind: _Kind
    obj: Object | None = None
    item: TypeSpec | None = None
    keys: tuple[str, ...] = ()
    #: each key's declared default (None: none), used when an item leaves the key out
    key_defaults: tuple[Any, ...] = ()


_DEDUCED = _Shape("deduced")


# Shapes depend only on the declarations, which never change once made: every
# write walks the same few hundred of them, so they are computed once.
@functools.lru_cache(maxsize=8192)
def _shape(spec: TypeSpec | None, fld: Field | None = None) -> _Shape:
    if spec is None:
        return _DEDUCED
    t = resolve(spec)
    if isinstance(t, Scalar):
        return _DEDUCED if t in (JSON, RAW_EXTENSION, FIELDS_V1) else _Shape("scalar")
    map_type = fld.map_type if fld is not None else None
    if isinstance(t, Object):
        # The field's +structType, if it has one, overrides the type's.
        atomic = map_type == "atomic" if map_type is not None else t.atomic
        return _Shape("atomic") if atomic else _Shape("struct", obj=t)
    if isinstance(t, MapOf):
        return _Shape("atomic") if map_type == "atomic" else _Shape("map", item=t.value)
    assert isinstance(t, ListOf)
    list_type = fld.list_type if fld is not None else None
    merge_key = fld.patch_merge_key if fld is not None else None
    if list_type == "map":
        keys = (fld.list_map_keys if fld is not None else ()) or ((merge_key,) if merge_key else ())
        if keys:
            return _list_map(t.item, tuple(keys))
    elif list_type == "set":
        return _Shape("set")
    elif list_type is None and merge_key:
        return _list_map(t.item, (merge_key,))
    return _Shape("atomic")


def _list_map(item: TypeSpec, keys: tuple[str, ...]) -> _Shape:
    """A map-type list's shape. A key field with a declared default (a port's
    ``protocol``: TCP) names an item that leaves it out by that default, as
    structured-merge-diff does, so that an applied ``{containerPort: 80}`` is
    the live ``{containerPort: 80, protocol: TCP}``."""
    declared = resolve(item)
    defaults = tuple(
        f.default if isinstance(declared, Object) and (f := declared.get(k)) is not None else None
        for k in keys
    )
    return _Shape("list_map", item=item, keys=keys, key_defaults=defaults)


@functools.lru_cache(maxsize=16384)
def _child(shape: _Shape, name: str) -> tuple[_Shape, bool]:
    """The shape of an object's field and whether it is a declared struct field."""
    if shape.kind == "struct":
        assert shape.obj is not None
        fld = shape.obj.get(name)
        if fld is not None:
            return _shape(fld.type, fld), True
        return _DEDUCED, False
    if shape.kind == "map":
        return _shape(shape.item), False
    return _DEDUCED, False


def _key_element(item: Any, keys: tuple[str, ...], defaults: tuple[Any, ...] = ()) -> str | None:
    if not isinstance(item, dict):
        return None
    named = {k: item[k] for k in keys if k in item}
    for k, default in zip(keys, defaults, strict=False):
        if default is not None and k not in named:
            named[k] = default
    return "k:" + _dump(named)


def _item_element(shape: _Shape, item: Any) -> str | None:
    if shape.kind == "set":
        return "v:" + _dump(item)
    return _key_element(item, shape.keys, shape.key_defaults)


def from_object(obj: Any, type: Object | None) -> FieldSet:
    """Every member set in ``obj``, walked with the declaration ``type`` (None: schema-less)."""
    out: set[Path] = set()
    _walk(obj, _shape(type) if type is not None else _DEDUCED, (), out)
    return FieldSet(frozenset(out))


def _walk(value: Any, shape: _Shape, prefix: Path, out: set[Path]) -> None:
    def leaf() -> None:
        if prefix:
            out.add(prefix)

    if value is None or shape.kind in ("scalar", "atomic"):
        leaf()
        return
    if shape.kind in ("struct", "map", "deduced"):
        if not isinstance(value, dict):
            leaf()
            return
        for name, child in value.items():
            child_shape, declared = _child(shape, name)
            path = (*prefix, "f:" + name)
            _walk(child, child_shape, path, out)
            if not declared or child is None or child == {}:
                out.add(path)
        return
    # list_map or set
    if not isinstance(value, list):
        leaf()
        return
    elements = [_item_element(shape, item) for item in value]
    if any(e is None for e in elements):
        leaf()  # items without keys: nothing to name them by
        return
    item_shape = _shape(shape.item) if shape.kind == "list_map" else _Shape("scalar")
    for element, item in zip(elements, value, strict=True):
        assert element is not None
        path = (*prefix, element)
        _walk(item, item_shape, path, out)
        out.add(path)


def fields_v1_of(obj: Any, type: Object | None) -> dict[str, Any]:
    """``to_fields_v1(from_object(obj, type))`` in one walk, for the hot path of creates.

    Building the FieldsV1 tree straight from the object skips the path tuples
    and the re-nesting that the set form needs; the result is the same tree,
    sorted the same way.
    """
    children, _ = _node(obj, _shape(type) if type is not None else _DEDUCED)
    return _sorted_node(children, False)


def _sorted_node(children: dict[str, Any], member: bool) -> dict[str, Any]:
    out: dict[str, Any] = {".": {}} if member and children else {}
    for key in sorted(children, key=_element_order):
        out[key] = children[key]
    return out


def _merge_nodes(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """The union of two FieldsV1 trees (items that share a key name one node)."""
    out = dict(a)
    for key, child in b.items():
        out[key] = _merge_nodes(out[key], child) if key in out else child
    return _sorted_node({k: v for k, v in out.items() if k != "."}, "." in out)


def _node(value: Any, shape: _Shape) -> tuple[dict[str, Any], bool]:
    """(the FieldsV1 children of ``value``, whether its own path is a member): ``_walk``'s rules."""
    if value is None or shape.kind in ("scalar", "atomic"):
        return {}, True
    children: dict[str, Any] = {}
    if shape.kind in ("struct", "map", "deduced"):
        if not isinstance(value, dict):
            return {}, True
        for name, child in value.items():
            child_shape, declared = _child(shape, name)
            grand, member = _node(child, child_shape)
            member = member or not declared or child is None or child == {}
            if grand or member:
                children["f:" + name] = _sorted_node(grand, member)
        return children, False
    if not isinstance(value, list):
        return {}, True
    elements = [_item_element(shape, item) for item in value]
    if any(e is None for e in elements):
        return {}, True
    item_shape = _shape(shape.item) if shape.kind == "list_map" else _Shape("scalar")
    for element, item in zip(elements, value, strict=True):
        assert element is not None
        grand, _ = _node(item, item_shape)
        tree = _sorted_node(grand, True)
        children[element] = _merge_nodes(children[element], tree) if element in children else tree
    return children, False


# --- merging objects ---------------------------------------------------------


def merge(live: Any, config: Any, type: Object | None) -> Any:
    """``config`` applied onto ``live`` (neither is changed), as structured-merge-diff merges.

    Objects and maps merge key by key; map-type lists merge item by item on
    their keys (live order, new items appended in config order); set-type
    lists are unioned; everything else (scalars, atomic lists, maps and
    structs, schema-less lists) is replaced by config's value.
    """
    return _merge(live, config, _shape(type) if type is not None else _DEDUCED)


def _merge(live: Any, config: Any, shape: _Shape) -> Any:
    if live is _MISSING or config is None or live is None:
        return copy.deepcopy(config)
    if shape.kind in ("struct", "map", "deduced"):
        if not (isinstance(live, dict) and isinstance(config, dict)):
            return copy.deepcopy(config)
        out = copy.deepcopy(live)
        for name, value in config.items():
            child_shape, _ = _child(shape, name)
            out[name] = _merge(live.get(name, _MISSING), value, child_shape)
        return out
    if shape.kind in ("list_map", "set") and isinstance(live, list) and isinstance(config, list):
        live_elements = [_item_element(shape, item) for item in live]
        config_elements = [_item_element(shape, item) for item in config]
        if None not in live_elements and None not in config_elements:
            merged = copy.deepcopy(live)
            position = {e: i for i, e in enumerate(live_elements)}
            item_shape = _shape(shape.item) if shape.kind == "list_map" else _Shape("scalar")
            for element, item in zip(config_elements, config, strict=True):
                assert element is not None
                if element in position:
                    index = position[element]
                    merged[index] = _merge(live[index], item, item_shape)
                else:
                    position[element] = len(merged)
                    merged.append(copy.deepcopy(item))
            return merged
    return copy.deepcopy(config)


# --- comparing objects -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Comparison:
    """How ``new`` differs from ``old``, as structured-merge-diff's ``Compare`` reports it.

    ``added``: members of new that old lacks; ``removed``: the reverse;
    ``modified``: members of both, without children in new, whose values differ.
    """

    added: FieldSet
    removed: FieldSet
    modified: FieldSet

    def changed(self) -> FieldSet:
        """Added or modified: what a writer takes ownership of."""
        return self.added.union(self.modified)


def compare(old: Any, new: Any, type: Object | None) -> Comparison:
    """The member-level difference between two objects of one type.

    Walks the two objects together and passes over every field whose value is the same in
    both (most of an object, on a status write): its members are the same paths in both and
    none differs. A field that differs and is a non-empty object on both sides (never a member
    itself) is walked the same way; anything else that differs (lists, scalars, a member
    object, a change of kind) is compared whole, by :func:`_compare_whole`.
    """
    shape = _shape(type) if type is not None else _DEDUCED
    if not (isinstance(old, dict) and isinstance(new, dict)) or shape.kind not in _OBJECTS:
        return _compare_whole(old, new, shape, (), member_old=False, member_new=False)
    added: set[Path] = set()
    removed: set[Path] = set()
    modified: set[Path] = set()
    _compare_objects(old, new, shape, (), added, removed, modified)
    return Comparison(
        FieldSet(frozenset(added)), FieldSet(frozenset(removed)), FieldSet(frozenset(modified))
    )


_OBJECTS: frozenset[str] = frozenset(("struct", "map", "deduced"))


def _compare_objects(
    old: dict[str, Any],
    new: dict[str, Any],
    shape: _Shape,
    prefix: Path,
    added: set[Path],
    removed: set[Path],
    modified: set[Path],
) -> None:
    """Add the differences below ``prefix`` of two objects walked by ``shape`` (an object's)."""
    for name, new_child in new.items():
        child_shape, declared = _child(shape, name)
        path = (*prefix, "f:" + name)
        if name not in old:
            _walk(new_child, child_shape, path, added)
            if not declared or new_child is None or new_child == {}:
                added.add(path)
            continue
        old_child = old[name]
        if _same(old_child, new_child):
            continue
        if (
            declared
            and child_shape.kind in _OBJECTS
            and isinstance(old_child, dict)
            and isinstance(new_child, dict)
            and old_child
            and new_child
        ):
            _compare_objects(old_child, new_child, child_shape, path, added, removed, modified)
            continue
        whole = _compare_whole(
            old_child,
            new_child,
            child_shape,
            path,
            member_old=not declared or old_child is None or old_child == {},
            member_new=not declared or new_child is None or new_child == {},
        )
        added |= whole.added.paths
        removed |= whole.removed.paths
        modified |= whole.modified.paths
    for name, old_child in old.items():
        if name not in new:
            child_shape, declared = _child(shape, name)
            path = (*prefix, "f:" + name)
            _walk(old_child, child_shape, path, removed)
            if not declared or old_child is None or old_child == {}:
                removed.add(path)


def _compare_whole(
    old: Any, new: Any, shape: _Shape, prefix: Path, *, member_old: bool, member_new: bool
) -> Comparison:
    """The difference of the values at ``prefix`` (``old`` None: absent), from their whole
    member sets; ``member_old``/``member_new``: whether ``prefix`` itself is a member of each
    by its parent's rule (a field that is not declared, null or empty)."""
    old_paths: set[Path] = set()
    new_paths: set[Path] = set()
    if old is not None or prefix:
        _walk(old, shape, prefix, old_paths)
    _walk(new, shape, prefix, new_paths)
    if member_old:
        old_paths.add(prefix)
    if member_new:
        new_paths.add(prefix)
    new_set = FieldSet(frozenset(new_paths))
    with_children = new_set.prefixes()
    depth = len(prefix)
    old_values, new_values = _Values(old), _Values(new)
    modified = frozenset(
        p
        for p in old_paths & new_paths
        if p not in with_children and old_values.at(p[depth:]) != new_values.at(p[depth:])
    )
    return Comparison(
        added=FieldSet(frozenset(new_paths - old_paths)),
        removed=FieldSet(frozenset(old_paths - new_paths)),
        modified=FieldSet(modified),
    )


def _same(a: Any, b: Any) -> bool:
    """Whether ``a`` and ``b`` are the same JSON value down to their scalars' types: Python
    holds 1, 1.0 and True equal (and 0.0 and -0.0), but they name list items differently."""
    return bool(a == b) and _same_types(a, b)


def _same_types(a: Any, b: Any) -> bool:
    """For ``a == b``: whether every scalar in them has the same type (and spelling) in both."""
    kind = type(a)
    if kind is not type(b):
        return False
    if kind is dict:
        return all(_same_types(value, b[key]) for key, value in a.items())
    if kind is list:
        return all(map(_same_types, a, b))
    if kind is float:
        return a == a and repr(a) == repr(b)  # NaN is never the same; -0.0 is not 0.0
    return True


class _Values:
    """:func:`get_value` over one object for many paths, each prefix looked up once.

    A path's value is its parent's value stepped into, so remembering every
    prefix's value turns a walk from the root per path (with a scan of each
    list on the way) into one step per path; the items of a map-type list are
    named once per list, not once per lookup. ``obj`` must not change meanwhile.
    """

    __slots__ = ("_found", "_named")

    def __init__(self, obj: Any) -> None:
        self._found: dict[Path, Any] = {(): obj}
        #: (a list's path, the key fields) → each item name → the index of its first item.
        self._named: dict[tuple[Path, tuple[str, ...]], dict[str | None, int]] = {}

    def at(self, path: Path) -> Any:
        """``get_value(obj, path)``."""
        found = self._found.get(path, _MISSING)
        if found is _MISSING:
            parent_path = path[:-1]
            parent = self.at(parent_path)
            element = path[-1]
            if parent is _MISSING:
                found = _MISSING
            elif element[:2] == "k:" and isinstance(parent, list):
                found = self._item(parent_path, parent, element)
            else:
                found = _step(parent, element)[1]
            self._found[path] = found
        return found

    def _item(self, path: Path, items: list[Any], element: str) -> Any:
        """``_step(items, element)`` for a map-type item, from the list's names."""
        keys = tuple(_element_value(element[2:]))
        named = self._named.get((path, keys))
        if named is None:
            named = {}
            for index, item in enumerate(items):
                named.setdefault(_key_element(item, keys), index)
            self._named[(path, keys)] = named
        index = named.get(element, -1)
        if index >= 0:
            return items[index]
        return _step(items, element)[1]  # an item named by a key's default


# --- reading and editing objects by path ---------------------------------------


@functools.lru_cache(maxsize=16384)
def _element_value(body: str) -> Any:
    """The JSON value naming a list item (shared between calls: only read, never changed)."""
    return json.loads(body)


def _find_item(items: list[Any], element: str) -> int:
    kind, body = element[:2], element[2:]
    if kind == "i:":
        index = int(body)
        return index if index < len(items) else -1
    target = _element_value(body)
    for index, item in enumerate(items):
        if kind == "v:" and item == target:
            return index
        if kind == "k:" and _key_element(item, tuple(target)) == element:
            return index
    if kind == "k:":
        # An item that leaves out a defaulted key (a port with no protocol yet,
        # before defaulting) is named by the default: match what it does give.
        for index, item in enumerate(items):
            if isinstance(item, dict) and all(item.get(k, v) == v for k, v in target.items()):
                return index
    return -1


def _step(container: Any, element: str) -> tuple[Any, Any]:
    """(the key or index of ``element`` in ``container``, or _MISSING; the value there)."""
    if element.startswith("f:"):
        name = element[2:]
        if isinstance(container, dict) and name in container:
            return name, container[name]
        return _MISSING, _MISSING
    if isinstance(container, list):
        index = _find_item(container, element)
        if index >= 0:
            return index, container[index]
    return _MISSING, _MISSING


def get_value(obj: Any, path: Path) -> Any:
    """The value at ``path`` in ``obj``; a sentinel (see :func:`is_missing`) if absent."""
    value = obj
    for element in path:
        _, value = _step(value, element)
        if value is _MISSING:
            return _MISSING
    return value


def is_missing(value: Any) -> bool:
    """Whether ``get_value`` found nothing."""
    return value is _MISSING


def remove_path(obj: Any, path: Path) -> bool:
    """Delete the value at ``path`` (in place); whether there was one."""
    if not path:
        raise ValueError("cannot remove the root")
    parent = get_value(obj, path[:-1])
    if parent is _MISSING:
        return False
    where, _ = _step(parent, path[-1])
    if where is _MISSING:
        return False
    del parent[where]
    return True
