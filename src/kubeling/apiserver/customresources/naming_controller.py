"""The naming controller: which of its names a CRD gets, and NamesAccepted.

Kubernetes' ``NamingConditionController``. For each CRD whose requested
names (``spec.names``) differ from its accepted ones (``status.acceptedNames``)
it works out, with ``naming.calculate``, which names it may take given every
other CRD of its group, and writes the accepted names with the
``NamesAccepted`` condition (and ``Established=False`` until the
establishing controller steps in). After a write, or when a CRD is deleted,
the other CRDs of the group are looked at again: a name may have been freed.

Every sync reads the CRDs from a cache that has caught up with the store, so
a name accepted by the previous sync is always seen as taken.
"""

from __future__ import annotations

import copy

from kubeling.apiserver.customresources import conditions, naming
from kubeling.apiserver.customresources.controller import CrdController

__all__ = ["NamingController"]


class NamingController(CrdController):
    """Accepts CRD names that no other CRD of the group holds."""

    name = "crd-naming"

    async def sync(self, key: str) -> None:
        crd = await self.get(key)
        if crd is None:
            # Deleted: its names are free, the rest of the group may take them.
            await self._requeue_group(key.partition(".")[2], but=key)
            return
        if naming.names_settled(crd):
            return
        result = naming.calculate(crd, await self.list_crds())
        status = crd.get("status") or {}
        if naming.accepted_names_json(
            status.get("acceptedNames") or {}
        ) == result.accepted and conditions.equivalent(
            result.names_accepted, conditions.find(crd, conditions.NAMES_ACCEPTED)
        ):
            return
        updated = copy.deepcopy(crd)
        updated.setdefault("status", {})["acceptedNames"] = result.accepted
        now = self.now()
        conditions.set_condition(updated, result.names_accepted, now=now)
        conditions.set_condition(updated, result.established, now=now)
        if await self.write(updated) is None:
            return
        group = str((crd.get("spec") or {}).get("group", ""))
        await self._requeue_group(group, but=key)

    async def _requeue_group(self, group: str, *, but: str) -> None:
        for other in await self.list_crds():
            name = (other.get("metadata") or {}).get("name")
            if (other.get("spec") or {}).get("group") == group and name != but:
                self.enqueue(str(name))
