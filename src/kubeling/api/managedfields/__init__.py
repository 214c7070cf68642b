"""Field ownership: managedFields, server-side apply and ordinary writes (no I/O).

- :mod:`.fieldpath`: field sets in the FieldsV1 format, computed from typed objects;
- :mod:`.apply`: server-side apply (merge, prune, conflicts, ownership);
- :mod:`.update`: ownership after create, update and patch;
- :mod:`.errors`: :class:`ApplyConflict`, with Kubernetes' message.
"""

from kubeling.api.managedfields.apply import apply
from kubeling.api.managedfields.errors import ApplyConflict, Conflict
from kubeling.api.managedfields.fieldpath import FieldSet, from_fields_v1, from_object, to_fields_v1
from kubeling.api.managedfields.update import update

__all__ = [
    "ApplyConflict",
    "Conflict",
    "FieldSet",
    "apply",
    "from_fields_v1",
    "from_object",
    "to_fields_v1",
    "update",
]
