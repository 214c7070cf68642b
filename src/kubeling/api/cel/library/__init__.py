"""The function libraries of the CEL environment Kubernetes 1.32 gives CRD rules.

Each module declares one library (see ``cel.functions``); ``KUBERNETES``
is all of them together:

- ``standard``: CEL's own operators and functions;
- ``strings``: cel-go's strings extension (``charAt``, ``split``, ``format``...);
- ``optionals``: optional values (``optional.of``, ``orValue``...);
- ``sets``: cel-go's sets extension;
- ``lists``, ``regexes``, ``urls``, ``quantities``, ``networks``
  (IP and CIDR), ``formats``: the Kubernetes libraries.
"""

from __future__ import annotations

from typing import Final

from kubeling.api.cel.library.formats import FORMATS
from kubeling.api.cel.library.lists import LISTS
from kubeling.api.cel.library.networks import NETWORKS
from kubeling.api.cel.library.optionals import OPTIONALS
from kubeling.api.cel.library.quantities import QUANTITIES
from kubeling.api.cel.library.regexes import REGEXES
from kubeling.api.cel.library.sets import SETS
from kubeling.api.cel.library.standard import STANDARD
from kubeling.api.cel.library.strings import STRINGS
from kubeling.api.cel.library.urls import URLS

__all__ = ["KUBERNETES"]

KUBERNETES: Final = STANDARD.merge(
    [STRINGS, OPTIONALS, SETS, LISTS, REGEXES, URLS, QUANTITIES, NETWORKS, FORMATS]
)
