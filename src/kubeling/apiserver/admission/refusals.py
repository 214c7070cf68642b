"""How an admission plugin refuses a request: Kubernetes' ``admission.NewForbidden``.

The refusal names the resource and the object: the request's name, or (a
create whose name is not known yet) the object's name, else its
``generateName``, else ``Unknown``, exactly as upstream's
``extractResourceName`` picks it. So a quota refusal reads
``pods "web-1" is forbidden: exceeded quota: ...``.
"""

from __future__ import annotations

from collections.abc import Mapping

from kubeling.api import errors
from kubeling.api.groupversion import GroupResource
from kubeling.apiserver.admission.interfaces import Attributes

__all__ = ["forbidden", "refused_name"]


def refused_name(attributes: Attributes) -> str:
    """The name a refusal of ``attributes`` names."""
    if attributes.name:
        return attributes.name
    meta = (attributes.obj or {}).get("metadata")
    if isinstance(meta, Mapping):
        for key in ("name", "generateName"):
            value = meta.get(key)
            if isinstance(value, str) and value:
                return value
    return "Unknown"


def forbidden(attributes: Attributes, reason: str) -> errors.StatusError:
    """403 Forbidden: ``<resource> "<name>" is forbidden: <reason>``."""
    resource = GroupResource(attributes.group, attributes.resource)
    return errors.forbidden(resource, refused_name(attributes), reason)
