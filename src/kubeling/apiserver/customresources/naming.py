"""Which names a CRD may have: the naming controller's conflict rules, pure.

Within one API group every resource name (plural, singular, short name) and
every kind (kind, list kind) belongs to at most one CRD. A CRD *accepts* the
names it asks for in ``spec.names`` one by one: a name it already accepted
stays its own; a new one is accepted only if no CRD of the group (itself
included, as Kubernetes reads its own status back) has accepted it already.
What cannot be accepted keeps its previous value in ``status.acceptedNames``
and turns ``NamesAccepted`` to False with the reason of the last clash
(``PluralConflict``, ``SingularConflict``, ``ShortNamesConflict``,
``KindConflict``, ``ListKindConflict``) and the message
``"<name>" is already in use``.

``Established`` is not decided here beyond its first step: names accepted
and not yet established means ``Established=False, reason Installing``; the
establishing controller then sets it True. Once True it stays True, even if a
later rename clashes: the resource keeps being served under the names it
already has.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from kubeling.api.goformat import go_quote
from kubeling.apiserver.customresources import conditions

__all__ = ["NamingResult", "accepted_names_json", "calculate", "names_settled", "used_names"]

Obj = dict[str, Any]

_KEYS = ("plural", "singular", "shortNames", "kind", "listKind", "categories")


@dataclass(frozen=True, slots=True)
class NamingResult:
    """What the naming controller writes: accepted names and two conditions."""

    accepted: Obj
    names_accepted: Obj
    established: Obj


def accepted_names_json(names: Mapping[str, Any]) -> Obj:
    """``CustomResourceDefinitionNames`` as Go encodes it: plural and kind always,
    the rest only when set.

    >>> accepted_names_json({"plural": "foos", "shortNames": []})
    {'plural': 'foos', 'kind': ''}
    """
    out: Obj = {}
    for key in _KEYS:
        value = names.get(key)
        if key in ("plural", "kind"):
            out[key] = str(value or "")
        elif value:
            out[key] = list(value) if isinstance(value, list | tuple) else value
    return out


def _names(crd: Mapping[str, Any], where: str) -> Mapping[str, Any]:
    if where == "spec":
        spec = crd.get("spec")
        names = spec.get("names") if isinstance(spec, Mapping) else None
    else:
        status = crd.get("status")
        names = status.get("acceptedNames") if isinstance(status, Mapping) else None
    return names if isinstance(names, Mapping) else {}


def _group(crd: Mapping[str, Any]) -> str:
    spec = crd.get("spec")
    return str(spec.get("group", "")) if isinstance(spec, Mapping) else ""


def _strings(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list | tuple) else []


def names_settled(crd: Mapping[str, Any]) -> bool:
    """Whether the CRD already accepted exactly the names it asks for."""
    return accepted_names_json(_names(crd, "spec")) == accepted_names_json(_names(crd, "status"))


def used_names(crds: Iterable[Mapping[str, Any]], group: str) -> tuple[set[str], set[str]]:
    """(resource names, kinds) accepted by the CRDs of ``group``."""
    resources: set[str] = set()
    kinds: set[str] = set()
    for crd in crds:
        if _group(crd) != group:
            continue
        accepted = _names(crd, "status")
        resources.add(str(accepted.get("plural") or ""))
        resources.add(str(accepted.get("singular") or ""))
        resources.update(_strings(accepted.get("shortNames")))
        kinds.add(str(accepted.get("kind") or ""))
        kinds.add(str(accepted.get("listKind") or ""))
    return resources, kinds


def _clash(requested: str, accepted: str, used: set[str]) -> str | None:
    """Why ``requested`` cannot be taken, or None (``equalToAcceptedOrFresh``)."""
    if requested == accepted or requested not in used:
        return None
    return f"{go_quote(requested)} is already in use"


def calculate(crd: Mapping[str, Any], crds: Iterable[Mapping[str, Any]]) -> NamingResult:
    """The accepted names and NamesAccepted/Established conditions for ``crd``,
    given every stored CRD (``crd`` itself among them)."""
    used_resources, used_kinds = used_names(crds, _group(crd))
    requested = accepted_names_json(_names(crd, "spec"))
    accepted = accepted_names_json(_names(crd, "status"))
    new = dict(accepted)
    failure: tuple[str, str] | None = None

    for key, reason in (("plural", "PluralConflict"), ("singular", "SingularConflict")):
        problem = _clash(str(requested.get(key, "")), str(accepted.get(key, "")), used_resources)
        if problem:
            failure = (reason, problem)
        else:
            _put(new, key, requested.get(key))

    wanted_short, had_short = (
        _strings(requested.get("shortNames")),
        _strings(accepted.get("shortNames")),
    )
    if wanted_short != had_short:
        own = {str(accepted.get("plural", "")), str(accepted.get("singular", ""))}
        problems = [
            problem
            for name in wanted_short
            if name not in had_short and name not in own
            if (problem := _clash(name, "", used_resources))
        ]
        if problems:
            # utilerrors.NewAggregate: one message alone, several in brackets
            message = problems[0] if len(problems) == 1 else "[" + ", ".join(problems) + "]"
            failure = ("ShortNamesConflict", message)
        else:
            _put(new, "shortNames", wanted_short)

    for key, reason in (("kind", "KindConflict"), ("listKind", "ListKindConflict")):
        problem = _clash(str(requested.get(key, "")), str(accepted.get(key, "")), used_kinds)
        if problem:
            failure = (reason, problem)
        else:
            _put(new, key, requested.get(key))

    _put(new, "categories", requested.get("categories"))
    new = accepted_names_json(new)

    if failure is None:
        names_accepted = conditions.condition(
            conditions.NAMES_ACCEPTED, "True", "NoConflicts", "no conflicts found"
        )
    else:
        names_accepted = conditions.condition(conditions.NAMES_ACCEPTED, "False", *failure)

    old = conditions.find(crd, conditions.ESTABLISHED)
    established = (
        dict(old)
        if old is not None
        else conditions.condition(
            conditions.ESTABLISHED, "False", "NotAccepted", "not all names are accepted"
        )
    )
    if established.get("status") != "True" and failure is None:
        established = conditions.condition(
            conditions.ESTABLISHED, "False", "Installing", "the initial names have been accepted"
        )
    return NamingResult(new, names_accepted, established)


def _put(names: Obj, key: str, value: Any) -> None:
    if value:
        names[key] = value
    else:
        names.pop(key, None)
