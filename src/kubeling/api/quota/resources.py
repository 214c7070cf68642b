"""Arithmetic on ``ResourceList``s, as quota does it (``apiserver/pkg/quota/v1/resources.go``).

A ``ResourceList`` is ``{name: Quantity}``. Quota compares and adds lists
name by name; a name missing from one side counts as zero (when adding) or is
left alone (when comparing), exactly as upstream's helpers do, so that the
admission plugin and the controller agree on every sum.

>>> used = parse_resource_list({"pods": "2", "requests.cpu": "500m"})
>>> requested = parse_resource_list({"pods": "1"})
>>> allowed, exceeded = less_than_or_equal(add(used, requested), {"pods": Quantity(2)})
>>> allowed, exceeded, pretty_print(mask(used, exceeded))
(False, ['pods'], 'pods=2')
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from kubeling.api.podresources import ResourceList, resource_list
from kubeling.api.quantity import Quantity

__all__ = [
    "add",
    "is_negative",
    "less_than_or_equal",
    "mask",
    "parse_resource_list",
    "pretty_names",
    "pretty_print",
    "quantities_equal",
    "remove_zeros",
    "subtract_non_negative",
]

#: A ``ResourceList`` from JSON; a value that is not a quantity is left out.
parse_resource_list = resource_list

_ZERO = Quantity(0)


def quantities_equal(a: Mapping[str, Quantity], b: Mapping[str, Quantity]) -> bool:
    """Same names, equal amounts (``quota.Equals``; ``1Gi`` equals ``1024Mi``)."""
    return a.keys() == b.keys() and all(a[name].cmp(b[name]) == 0 for name in a)


def add(a: Mapping[str, Quantity], b: Mapping[str, Quantity]) -> ResourceList:
    """``quota.Add``: every name of either list, amounts summed."""
    result: ResourceList = dict(a)
    for name, amount in b.items():
        result[name] = result[name] + amount if name in result else amount
    return result


def subtract_non_negative(a: Mapping[str, Quantity], b: Mapping[str, Quantity]) -> ResourceList:
    """``quota.SubtractWithNonNegativeResult``: ``a - b`` per name of ``a``, never below 0."""
    result: ResourceList = {}
    for name, amount in a.items():
        difference = amount - b[name] if name in b else amount
        result[name] = difference if difference.sign() > 0 else _ZERO
    return result


def mask(resources: Mapping[str, Quantity], names: Iterable[str]) -> ResourceList:
    """``quota.Mask``: only the given names."""
    wanted = set(names)
    return {name: amount for name, amount in resources.items() if name in wanted}


def remove_zeros(resources: Mapping[str, Quantity]) -> ResourceList:
    """``quota.RemoveZeros``."""
    return {name: amount for name, amount in resources.items() if not amount.is_zero()}


def is_negative(resources: Mapping[str, Quantity]) -> list[str]:
    """``quota.IsNegative``: the names with a negative amount."""
    return [name for name, amount in resources.items() if amount.sign() < 0]


def less_than_or_equal(
    a: Mapping[str, Quantity], b: Mapping[str, Quantity]
) -> tuple[bool, list[str]]:
    """``quota.LessThanOrEqual``: whether every name of ``a`` that ``b`` limits fits,
    and the names that do not (sorted)."""
    exceeded = sorted(name for name, amount in a.items() if name in b and amount.cmp(b[name]) > 0)
    return not exceeded, exceeded


def pretty_print(resources: Mapping[str, Quantity]) -> str:
    """``pods=1,requests.cpu=500m``: sorted by name, as quota's messages print lists."""
    return ",".join(f"{name}={resources[name]}" for name in sorted(resources))


def pretty_names(names: Iterable[str]) -> str:
    """``pods,requests.cpu``: sorted names joined with commas."""
    return ",".join(sorted(names))
