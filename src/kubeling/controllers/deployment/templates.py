"""Pod templates: semantic equality and the ``pod-template-hash`` label.

A Deployment finds its new ReplicaSet by comparing pod templates, not by
name or hash (``EqualIgnoreHash``): the ReplicaSet's template is the
Deployment's plus the ``pod-template-hash`` label. Kubernetes compares the
typed structs with ``apimachinery``'s semantic equality, for which a nil
and an empty list or map are the same; on JSON that is "a null, an empty
list and an empty map are the same as a missing field", which is what
:func:`semantic_form` normalises away.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from kubeling.controllers.deployment.objects import Obj

__all__ = [
    "POD_TEMPLATE_HASH_LABEL",
    "equal_ignore_hash",
    "selector_with_label",
    "semantic_form",
    "template_with_label",
    "template_without_label",
]

#: ``apps.DefaultDeploymentUniqueLabelKey``.
POD_TEMPLATE_HASH_LABEL = "pod-template-hash"


def semantic_form(value: Any) -> Any:
    """``value`` without nulls, empty lists and empty maps inside maps.

    >>> semantic_form({"metadata": {"creationTimestamp": None, "labels": {}}, "spec": {"a": [1]}})
    {'spec': {'a': [1]}}
    """
    if isinstance(value, Mapping):
        out = {}
        for key, item in value.items():
            item = semantic_form(item)
            if item is None or (isinstance(item, (dict, list)) and not item):
                continue
            out[key] = item
        return out
    if isinstance(value, list):
        return [semantic_form(item) for item in value]
    return value


def _labels_of(template: Mapping[str, Any]) -> dict[str, str]:
    meta = template.get("metadata")
    labels = meta.get("labels") if isinstance(meta, Mapping) else None
    return dict(labels) if isinstance(labels, Mapping) else {}


def template_without_label(template: Mapping[str, Any], key: str = POD_TEMPLATE_HASH_LABEL) -> Obj:
    """A copy of ``template`` without the label ``key`` (``CloneAndRemoveLabel``)."""
    out: Obj = copy.deepcopy(dict(template))
    labels = _labels_of(out)
    if key in labels:
        del labels[key]
        out["metadata"]["labels"] = labels
    return out


def template_with_label(template: Mapping[str, Any], key: str, value: str) -> Obj:
    """A copy of ``template`` with the label ``key=value`` (``CloneAndAddLabel``)."""
    out: Obj = copy.deepcopy(dict(template))
    meta = out.get("metadata")
    if not isinstance(meta, dict):
        meta = out["metadata"] = {}
    meta["labels"] = {**_labels_of(out), key: value}
    return out


def selector_with_label(selector: Mapping[str, Any] | None, key: str, value: str) -> Obj:
    """A copy of a label selector with ``key: value`` added to ``matchLabels``
    (``CloneSelectorAndAddLabel``)."""
    source = selector or {}
    out: Obj = {"matchLabels": {**dict(source.get("matchLabels") or {}), key: value}}
    if source.get("matchExpressions"):
        out["matchExpressions"] = copy.deepcopy(list(source["matchExpressions"]))
    return out


def _form_without_hash(template: Mapping[str, Any]) -> Any:
    """:func:`semantic_form` of ``template`` without ``pod-template-hash``: the same as of
    :func:`template_without_label`'s copy, without the deep copy (the form is new anyway)."""
    form = semantic_form(template)
    meta = form.get("metadata")
    labels = meta.get("labels") if isinstance(meta, dict) else None
    if isinstance(labels, dict) and POD_TEMPLATE_HASH_LABEL in labels:
        del labels[POD_TEMPLATE_HASH_LABEL]
        # what semantic_form drops: a map left empty
        if not labels:
            del meta["labels"]
            if not meta:
                del form["metadata"]
    return form


def equal_ignore_hash(first: Mapping[str, Any], second: Mapping[str, Any]) -> bool:
    """Whether two pod templates are semantically equal but for ``pod-template-hash``
    (a Deployment compares its template with each of its ReplicaSets' at every sync)."""
    return bool(_form_without_hash(first) == _form_without_hash(second))
