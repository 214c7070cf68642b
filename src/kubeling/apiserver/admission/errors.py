"""How admission plugins refuse: Kubernetes' ``admission.NewForbidden``.

The 403 names the resource and the object: the object's name, or its
``generateName`` when the name is still to be generated, or ``Unknown``
when there is no object (CONNECT, DELETE).

>>> from kubeling.api.authentication.user import UserInfo
>>> attrs = Attributes("CREATE", "", "v1", "pods", "", "", "v1", "Pod", "ns", "",
...                    {"metadata": {"generateName": "web-"}}, None, UserInfo("u"))
>>> forbidden(attrs, "nope").message
'pods "web-" is forbidden: nope'
"""

from __future__ import annotations

from collections.abc import Sequence

from kubeling.api import errors
from kubeling.apiserver.admission.interfaces import Attributes

__all__ = ["aggregate", "forbidden"]


def _object_name(attributes: Attributes) -> str:
    # The request's name first: the stored object may already carry a generated one.
    if attributes.name:
        return attributes.name
    meta = attributes.obj.get("metadata") if attributes.obj is not None else None
    if isinstance(meta, dict):
        name = meta.get("generateName") or meta.get("name")
        if name:
            return str(name)
    return "Unknown"


def forbidden(
    attributes: Attributes, message: str, *, causes: Sequence[errors.StatusCause] = ()
) -> errors.StatusError:
    """403 Forbidden for ``attributes``' object: ``<resource> "<name>" is forbidden: <message>``."""
    resource = attributes.resource
    if attributes.group:
        resource = f"{resource}.{attributes.group}"
    return errors.forbidden(resource, _object_name(attributes), message, causes=causes)


def aggregate(messages: Sequence[str]) -> str:
    """Go's ``utilerrors.NewAggregate``: one message as it is, several in brackets.

    >>> aggregate(["a"]), aggregate(["a", "b"])
    ('a', '[a, b]')
    """
    return messages[0] if len(messages) == 1 else "[" + ", ".join(messages) + "]"
