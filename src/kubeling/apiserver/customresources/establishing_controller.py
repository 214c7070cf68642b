"""The establishing controller: a CRD whose names are accepted becomes Established.

Kubernetes' ``EstablishingController``: once ``NamesAccepted`` is True and
``Established`` is not, it sets ``Established=True`` (reason
``InitialNamesAccepted``). From then on the resource is served and listed in
discovery (``registrar``). Kubernetes waits 5 s first when several API
servers run, so that all of them serve the resource before clients are told
it exists; one server needs no wait.
"""

from __future__ import annotations

import copy

from kubeling.apiserver.customresources import conditions
from kubeling.apiserver.customresources.controller import CrdController

__all__ = ["EstablishingController"]


class EstablishingController(CrdController):
    """Marks CRDs with accepted names Established."""

    name = "crd-establishing"

    async def sync(self, key: str) -> None:
        crd = await self.get(key)
        if crd is None:
            return
        if not conditions.is_true(crd, conditions.NAMES_ACCEPTED) or conditions.is_true(
            crd, conditions.ESTABLISHED
        ):
            return
        updated = copy.deepcopy(crd)
        conditions.set_condition(
            updated,
            conditions.condition(
                conditions.ESTABLISHED,
                "True",
                "InitialNamesAccepted",
                "the initial names have been accepted",
            ),
            now=self.now(),
        )
        await self.write(updated)
