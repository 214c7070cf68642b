"""Hypothesis strategies for objects that exercise the field-set rules."""

from __future__ import annotations

from hypothesis import strategies as st

__all__ = ["NAMES", "OBJECTS", "SCALARS", "VALUES"]

# Real field names (so declared structs, atomic structs, map-type and set-type lists are hit)
# mixed with unknown ones (schema-less subtrees).
NAMES = st.sampled_from(
    [
        "metadata", "labels", "annotations", "name", "namespace", "uid", "finalizers",
        "spec", "containers", "initContainers", "ports", "containerPort", "protocol",
        "env", "value", "args", "resources", "limits", "cpu", "volumes", "emptyDir",
        "status", "conditions", "type", "template", "replicas", "selector",
        "matchLabels", "apiVersion", "kind", "tolerations", "key", "zzz",
        # atomic structs (+structType=atomic) and lists of them
        "valueFrom", "fieldRef", "secretKeyRef", "affinity", "nodeAffinity",
        "requiredDuringSchedulingIgnoredDuringExecution", "ownerReferences", "imagePullSecrets",
    ]
)  # fmt: skip
# 1, 1.0 and True are equal in Python but named differently in keys ("k:{...}", "v:...").
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.sampled_from(["a", "b", "TCP", "", 1.0, 0.0]),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(NAMES, inner, max_size=4)),
    max_leaves=25,
)
OBJECTS = st.dictionaries(NAMES, VALUES, max_size=5)
