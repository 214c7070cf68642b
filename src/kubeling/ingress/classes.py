"""Which Ingresses are ours: the ``kubeling`` IngressClass and the default class.

An Ingress belongs to the controller named by the IngressClass it names in
``spec.ingressClassName``; kubeling's controller is :data:`CONTROLLER`
(as k3s's Traefik is ``traefik.io/ingress-controller``), and
``kubeling up`` creates the class :data:`CLASS_NAME` for it, marked as the
cluster's default class (annotation
``ingressclass.kubernetes.io/is-default-class: "true"``). An Ingress that
names no class is served when one of our classes is a default one, unless it
carries the deprecated ``kubernetes.io/ingress.class`` annotation, which then
decides instead (as ingress-nginx and Traefik read it).

    >>> classes = [default_ingress_class()]
    >>> serves({"spec": {"ingressClassName": "kubeling"}}, classes)
    True
    >>> serves({"spec": {}}, classes)
    True
    >>> serves({"spec": {"ingressClassName": "nginx"}}, classes)
    False
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final

__all__ = [
    "CLASS_ANNOTATION",
    "CLASS_NAME",
    "CONTROLLER",
    "DEFAULT_CLASS_ANNOTATION",
    "default_ingress_class",
    "serves",
]

CLASS_NAME: Final = "kubeling"
CONTROLLER: Final = "kubeling.io/ingress-controller"
DEFAULT_CLASS_ANNOTATION: Final = "ingressclass.kubernetes.io/is-default-class"
#: Deprecated since Kubernetes 1.18, still read by every controller.
CLASS_ANNOTATION: Final = "kubernetes.io/ingress.class"


def default_ingress_class() -> dict[str, Any]:
    """The IngressClass created at start: ours, and the cluster's default."""
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "IngressClass",
        "metadata": {
            "name": CLASS_NAME,
            "annotations": {DEFAULT_CLASS_ANNOTATION: "true"},
            "labels": {"app.kubernetes.io/managed-by": "kubeling"},
        },
        "spec": {"controller": CONTROLLER},
    }


def _name(obj: Mapping[str, Any]) -> str:
    return str((obj.get("metadata") or {}).get("name") or "")


def _ours(ingress_class: Mapping[str, Any]) -> bool:
    return (ingress_class.get("spec") or {}).get("controller") == CONTROLLER


def _is_default(ingress_class: Mapping[str, Any]) -> bool:
    annotations = (ingress_class.get("metadata") or {}).get("annotations") or {}
    return str(annotations.get(DEFAULT_CLASS_ANNOTATION, "")).lower() == "true"


def serves(ingress: Mapping[str, Any], classes: Iterable[Mapping[str, Any]]) -> bool:
    """Whether kubeling's controller serves ``ingress``, given every IngressClass."""
    ours = [c for c in classes if _ours(c)]
    name = (ingress.get("spec") or {}).get("ingressClassName")
    if name:
        return any(_name(c) == name for c in ours)
    annotations = (ingress.get("metadata") or {}).get("annotations") or {}
    legacy = annotations.get(CLASS_ANNOTATION)
    if legacy is not None:
        return any(_name(c) == legacy for c in ours)
    return any(_is_default(c) for c in ours)
