"""What a server-side printer is: its columns and how one object becomes a row.

kubectl asks for ``as=Table`` and prints whatever cells the server computed;
the server always computes the wide form (upstream calls its table generator
with ``Wide: true``) and kubectl hides columns whose ``priority`` is not 0
unless ``-o wide`` is given. So a ``Printer`` has exactly one row function,
producing one cell per column, in column order.

Cells are JSON scalars: ``str``, ``int``, ``float``, ``bool`` or ``None``.
Their Python type matters, because kubectl prints them with Go's ``%v``: the
pod RESTARTS cell is the string ``"0"`` while a secret's DATA cell is the
integer ``0``, as upstream sends them.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final, TypedDict

__all__ = [
    "CREATION_TIMESTAMP_DESCRIPTION",
    "NAME_DESCRIPTION",
    "Cell",
    "Column",
    "ColumnDefinitionDict",
    "ConditionsFunc",
    "Printer",
    "RowConditionDict",
    "RowFunc",
    "age_column",
    "name_column",
]

Cell = str | int | float | bool | None

RowFunc = Callable[[Mapping[str, Any], datetime.datetime], list[Cell]]
"""``(object, now) -> cells``: one cell per column, wide columns included."""


class RowConditionDict(TypedDict):
    """``metav1.TableRowCondition`` as sent on the wire."""

    type: str
    status: str
    reason: str
    message: str


ConditionsFunc = Callable[[Mapping[str, Any]], list[RowConditionDict]]


class ColumnDefinitionDict(TypedDict):
    """``metav1.TableColumnDefinition`` as sent on the wire (no field is omitted)."""

    name: str
    type: str
    format: str
    description: str
    priority: int


NAME_DESCRIPTION: Final = (
    "Name must be unique within a namespace. Is required when creating resources, although "
    "some resources may allow a client to request the generation of an appropriate name "
    "automatically. Name is primarily intended for creation idempotence and configuration "
    "definition. Cannot be updated. More info: "
    "https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names"
)

CREATION_TIMESTAMP_DESCRIPTION: Final = (
    "CreationTimestamp is a timestamp representing the server time when this object was "
    "created. It is not guaranteed to be set in happens-before order across separate "
    "operations. Clients may not set this value. It is represented in RFC3339 form and is in "
    "UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: "
    "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata"
)


@dataclass(frozen=True, slots=True)
class Column:
    """One ``columnDefinitions`` entry.

    ``type`` is an OpenAPI type name (``string``, ``integer``, ``number``,
    ``boolean``, ``date``); ``format`` is ``"name"`` for the column kubectl
    prefixes with ``kind/`` in multi-type gets and ``""`` otherwise;
    ``priority`` 0 always shows, anything else only with ``-o wide``.
    """

    name: str
    type: str = "string"
    description: str = ""
    priority: int = 0
    format: str = ""

    def to_json(self) -> ColumnDefinitionDict:
        """The wire form, every field present as upstream marshals it."""
        return {
            "name": self.name,
            "type": self.type,
            "format": self.format,
            "description": self.description,
            "priority": self.priority,
        }


def name_column() -> Column:
    """The ``Name`` column every printer starts with."""
    return Column("Name", "string", NAME_DESCRIPTION, format="name")


def age_column() -> Column:
    """The ``Age`` column (a string cell such as ``5m``)."""
    return Column("Age", "string", CREATION_TIMESTAMP_DESCRIPTION)


def _no_conditions(obj: Mapping[str, Any]) -> list[RowConditionDict]:
    return []


@dataclass(frozen=True, slots=True)
class Printer:
    """Columns plus the function that turns one object into its cells.

    ``conditions`` gives a row's ``conditions`` (only pods use it: a
    ``Completed`` condition for a succeeded or failed pod).
    """

    columns: tuple[Column, ...]
    row: RowFunc
    conditions: ConditionsFunc = _no_conditions

    def cells(self, obj: Mapping[str, Any], now: datetime.datetime) -> list[Cell]:
        """The cells of ``obj`` at ``now``: one per column.

        A row may carry trailing cells beyond the columns where upstream does
        (ipaddresses); kubectl ignores them.
        """
        cells = self.row(obj, now)
        if len(cells) < len(self.columns):
            raise AssertionError(
                f"printer produced {len(cells)} cells for {len(self.columns)} columns"
            )
        return cells

    def column_definitions(self) -> list[ColumnDefinitionDict]:
        """The ``columnDefinitions`` list."""
        return [column.to_json() for column in self.columns]

    def reading(self, convert: Callable[[Mapping[str, Any]], Mapping[str, Any]]) -> Printer:
        """This printer over objects first passed through ``convert``.

        A version served by conversion prints with its storage version's
        printer, as Kubernetes prints every version from its internal one.
        """
        row, conditions = self.row, self.conditions
        return Printer(
            self.columns,
            lambda obj, now: row(convert(obj), now),
            lambda obj: conditions(convert(obj)),
        )
