"""The parameter objects a binding gives its policy: Kubernetes' ``generic.CollectParams``.

A policy with ``paramKind`` is evaluated once per parameter object its
binding's ``paramRef`` finds (and not at all when it finds none and
``parameterNotFoundAction`` is ``Allow``):

- no ``paramKind``, or a binding without ``paramRef``: once, ``params`` null;
- ``paramRef.name``: that object, if it exists;
- ``paramRef.selector``: every object whose labels match (``{}``: all);
- a namespaced param kind is looked up in ``paramRef.namespace``, or else in
  the request's namespace (a cluster-scoped request then has none: an
  error); a cluster-scoped kind refuses ``paramRef.namespace``;
- none found with ``parameterNotFoundAction: Deny``: an error.

Errors are the binding's configuration errors: the policy's failurePolicy
decides whether they refuse the request.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Protocol

from kubeling.api import labels

__all__ = ["ParamError", "ParamResolver", "ParamResource", "collect_params"]

Obj = dict[str, Any]


class ParamResource(Protocol):
    """The objects of one param kind, read from the API server's cache."""

    @property
    def namespaced(self) -> bool: ...

    async def get(self, namespace: str, name: str) -> Obj | None:
        """The object, or None when there is none."""

    async def select(self, namespace: str, selector: labels.Selector) -> list[Obj]:
        """Every object in ``namespace`` ("" for a cluster-scoped kind) whose labels match."""


#: Finds the resource serving ``apiVersion``/``kind``; None when nothing does.
ParamResolver = Callable[[str, str], Awaitable[ParamResource | None]]


class ParamError(Exception):
    """The binding's params could not be collected (a configuration error)."""


def param_kind_text(param_kind: Mapping[str, Any]) -> str:
    """A param kind as Go prints a GroupVersionKind: ``example.com/v1, Kind=Limits``."""
    return f"{param_kind.get('apiVersion', '')}, Kind={param_kind.get('kind', '')}"


async def collect_params(
    param_kind: Mapping[str, Any] | None,
    param_ref: Mapping[str, Any] | None,
    namespace: str,
    resolver: ParamResolver,
) -> Sequence[Obj | None]:
    """The params to evaluate a policy with, for one binding and request."""
    if param_kind is None or param_ref is None:
        return [None]
    resource = await resolver(
        str(param_kind.get("apiVersion", "")), str(param_kind.get("kind", ""))
    )
    if resource is None:
        raise ParamError(
            f"failed to find resource referenced by paramKind: '{param_kind_text(param_kind)}'"
        )
    ref_namespace = str(param_ref.get("namespace") or "")
    if resource.namespaced:
        lookup_namespace = ref_namespace or namespace
        if not lookup_namespace:
            raise ParamError(
                "cannot use namespaced paramRef in policy binding that matches "
                "cluster-scoped resources"
            )
    else:
        if ref_namespace:
            raise ParamError(
                "paramRef.namespace must not be provided for a cluster-scoped `paramKind`"
            )
        lookup_namespace = ""
    name = param_ref.get("name")
    selector_spec = param_ref.get("selector")
    params: list[Obj | None]
    if name:
        if selector_spec is not None:
            raise ParamError("paramRef.name and paramRef.selector are mutually exclusive")
        found = await resource.get(lookup_namespace, str(name))
        params = [found] if found is not None else []
    elif isinstance(selector_spec, Mapping):
        try:
            selector = labels.label_selector_as_selector(selector_spec)
        except labels.SelectorParseError as err:
            raise ParamError(str(err)) from err
        params = list(await resource.select(lookup_namespace, selector))
    else:
        raise ParamError("one of name or selector must be provided")
    if not params and param_ref.get("parameterNotFoundAction") == "Deny":
        raise ParamError("no params found for policy binding with `Deny` parameterNotFoundAction")
    return params
