"""Pod templates inside workloads, and the rules every workload strategy shares.

Kubernetes defaults a template's ``spec`` as it defaults a Pod's (the
generated ``SetObjectDefaults_Deployment`` walks into the template and calls
the PodSpec defaulters), and ``ValidatePodTemplateSpec`` runs the Pod spec
rules at ``<template>.spec``. Rather than keep a second copy of those rules,
``default_pod_template`` and ``validate_pod_template`` call the Pod
strategy's ``default_pod_spec`` and ``validate_pod_spec``
(``strategies.pods``), and add the template-level work: labels and
annotations, and the Go zero ``creationTimestamp: null`` that 1.32 prints in
template metadata.

``selector_errors`` and ``template_match_errors`` are the selector rules of
Deployments, ReplicaSets, StatefulSets, DaemonSets and Jobs: a nil selector
selects nothing, so a missing selector also reports that the template labels
do not match, as upstream does. The small JSON helpers at the end
(``set_default``...) and ``semantic_equal`` (from ``kubeling.api.equality``,
re-exported) are shared by the workload modules.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any, Final, TypeGuard

from kubeling.api.equality import semantic_equal
from kubeling.api.field import FieldError, FieldPath, forbidden, invalid, required, too_long
from kubeling.api.labels import (
    SelectorParseError,
    label_selector_as_selector,
    validate_label_selector,
    validate_labels,
)
from kubeling.api.naming import is_qualified_name
from kubeling.apiserver.strategies._checks import as_list, as_map
from kubeling.apiserver.strategies.govalues import go_label_selector, go_string_map
from kubeling.apiserver.strategies.pods import default_pod_spec, validate_pod_spec

__all__ = [
    "TOTAL_ANNOTATION_SIZE_LIMIT",
    "as_list",
    "as_map",
    "child_dict",
    "default_pod_template",
    "is_int",
    "nonnegative",
    "selector_errors",
    "semantic_equal",
    "set_default",
    "template_match_errors",
    "validate_annotations",
    "validate_pod_template",
    "zero_template_metadata",
]

TOTAL_ANNOTATION_SIZE_LIMIT: Final = 256 * 1024
"""Bytes all annotation keys and values of one object may take (``TotalAnnotationSizeLimitB``)."""


def zero_template_metadata(template: dict[str, Any]) -> dict[str, Any]:
    """Give a template its ``metadata`` with the ``creationTimestamp: null`` 1.32 prints.

    Go serializes the zero ``metav1.Time`` of an embedded ObjectMeta as
    ``null``; ``kubectl get deploy -o yaml`` on 1.32 shows it in every template.
    """
    meta = template.get("metadata")
    if not isinstance(meta, dict):
        meta = template["metadata"] = {}
    meta.setdefault("creationTimestamp", None)
    return meta


def default_pod_template(template: object) -> None:
    r"""Default a PodTemplateSpec in place: metadata, and its spec as a Pod's spec.

    Three PodSpec defaults are upstream's ``SetDefaults_Pod``, not
    ``SetDefaults_PodSpec``, and so never reach a template: ``enableServiceLinks``,
    container requests copied from limits, and (with the 1.32 default of
    ``DefaultHostNetworkHostPortsInPodTemplates``) hostNetwork ``hostPort``\ s.
    ``pods.default_pod_spec`` fills them for Pods; they are put back here.
    """
    if not isinstance(template, dict):
        return
    zero_template_metadata(template)
    spec = template.get("spec")
    if not isinstance(spec, dict):
        spec = template["spec"] = {}
    had_links = "enableServiceLinks" in spec
    saved = [
        (
            container,
            copy.deepcopy(container.get("resources")),
            copy.deepcopy(container.get("ports")),
        )
        for kind in ("initContainers", "containers")
        for container in as_list(spec.get(kind))
        if isinstance(container, dict)
    ]
    default_pod_spec(spec)
    if not had_links:
        spec.pop("enableServiceLinks", None)
    for container, resources, ports in saved:
        current = container.get("resources")
        if isinstance(current, dict):
            requests = as_map(resources).get("requests") if isinstance(resources, Mapping) else None
            if requests is None:
                current.pop("requests", None)
            else:
                current["requests"] = requests
        for port, before in zip(as_list(container.get("ports")), as_list(ports), strict=False):
            if isinstance(port, dict) and isinstance(before, Mapping) and "hostPort" not in before:
                port.pop("hostPort", None)


def validate_annotations(annotations: object, path: FieldPath) -> list[FieldError]:
    """``ValidateAnnotations``: qualified (lower-cased) keys, 256 KiB in all."""
    if not isinstance(annotations, Mapping):
        return []
    errs: list[FieldError] = []
    total = 0
    for key in sorted(annotations):
        errs.extend(invalid(path, key, msg) for msg in is_qualified_name(str(key).lower()))
        total += len(str(key).encode()) + len(str(annotations[key]).encode())
    if total > TOTAL_ANNOTATION_SIZE_LIMIT:
        errs.append(too_long(path, TOTAL_ANNOTATION_SIZE_LIMIT))
    return errs


def validate_pod_template(template: object, path: FieldPath) -> list[FieldError]:
    """``ValidatePodTemplateSpec`` at ``path``: labels, annotations, the Pod spec rules.

    As upstream, the template's labels and annotations are reported at
    ``<path>.labels`` and ``<path>.annotations`` (not under ``metadata``).
    """
    if not isinstance(template, Mapping):
        return [required(path, "")]
    meta = as_map(template.get("metadata"))
    errs: list[FieldError] = []
    labels = meta.get("labels")
    if isinstance(labels, Mapping):
        errs.extend(validate_labels(labels, path.child("labels")))
    errs.extend(validate_annotations(meta.get("annotations"), path.child("annotations")))
    spec = template.get("spec")
    if isinstance(spec, Mapping) and spec.get("ephemeralContainers"):
        errs.append(
            forbidden(
                path.child("spec", "ephemeralContainers"),
                "ephemeral containers not allowed in pod template",
            )
        )
    if isinstance(spec, Mapping):
        errs.extend(validate_pod_spec(spec, path.child("spec")))
    else:
        errs.append(required(path.child("spec", "containers"), ""))
    return errs


def selector_errors(
    selector: object, path: FieldPath, *, empty_message: str | None
) -> list[FieldError]:
    """A workload's selector: required, a valid LabelSelector, non-empty when asked.

    ``empty_message`` is the kind-specific text for ``{}`` (``"empty selector
    is invalid for deployment"``), or ``None`` where an empty selector is allowed.
    """
    if selector is None:
        return [required(path, "")]
    if not isinstance(selector, Mapping):
        return [invalid(path, selector, "must be a label selector")]
    errs = validate_label_selector(selector, path)
    if empty_message is not None and not (
        selector.get("matchLabels") or selector.get("matchExpressions")
    ):
        errs.append(invalid(path, go_label_selector(selector), empty_message))
    return errs


def template_match_errors(
    selector: object,
    template: object,
    *,
    spec_path: FieldPath,
    template_path: str = "template",
    invalid_message: str | None = "invalid label selector",
) -> list[FieldError]:
    """``<spec>.<template>.metadata.labels`` must match ``<spec>.selector``.

    A nil selector selects nothing, so it never matches; an empty one matches
    everything. ``invalid_message`` is reported at ``<spec>.selector`` for a
    selector that does not convert, or ``None`` to stay silent there.
    """
    path = spec_path.child(template_path, "metadata", "labels")
    labels = as_map(template).get("metadata")
    template_labels = as_map(labels).get("labels")
    try:
        parsed = label_selector_as_selector(selector if isinstance(selector, Mapping) else None)
    except SelectorParseError:
        if invalid_message is None:
            return []
        return [invalid(spec_path.child("selector"), go_label_selector(selector), invalid_message)]
    if parsed.is_empty():
        return []
    values = {str(k): str(v) for k, v in as_map(template_labels).items()}
    if parsed.matches(values):
        return []
    return [
        invalid(
            path,
            go_string_map(template_labels if isinstance(template_labels, Mapping) else None),
            "`selector` does not match template `labels`",
        )
    ]


def is_int(value: object) -> TypeGuard[int]:
    """A JSON integer (``bool`` excluded)."""
    return isinstance(value, int) and not isinstance(value, bool)


def nonnegative(value: object, path: FieldPath) -> list[FieldError]:
    """``ValidateNonnegativeField``: ``must be greater than or equal to 0``."""
    if isinstance(value, int) and not isinstance(value, bool) and value < 0:
        return [invalid(path, value, "must be greater than or equal to 0")]
    return []


def set_default(obj: dict[str, Any], key: str, value: object) -> None:
    """Set ``obj[key]`` when it is missing or null (a nil pointer in Go)."""
    if obj.get(key) is None:
        obj[key] = value


def child_dict(obj: dict[str, Any], key: str) -> dict[str, Any]:
    """``obj[key]``, replaced by a new empty object when it is missing or not one."""
    value = obj.get(key)
    if not isinstance(value, dict):
        value = obj[key] = {}
    return value
