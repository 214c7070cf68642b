"""The naming controller's rules: which names a CRD may take within its group."""

from __future__ import annotations

from typing import Any

import pytest

from kubeling.apiserver.customresources import conditions, naming

Obj = dict[str, Any]


def _crd(
    plural: str,
    kind: str,
    *,
    group: str = "example.com",
    accepted: Obj | None = None,
    established: bool | None = None,
    **names: Any,
) -> Obj:
    spec_names = {
        "plural": plural,
        "singular": names.pop("singular", plural.rstrip("s")),
        "kind": kind,
        "listKind": names.pop("listKind", kind + "List"),
        **names,
    }
    status: Obj = {
        "acceptedNames": accepted if accepted is not None else {"plural": "", "kind": ""}
    }
    if established is not None:
        status["conditions"] = [
            {"type": "Established", "status": "True" if established else "False", "reason": "R"}
        ]
    return {
        "metadata": {"name": f"{plural}.{group}"},
        "spec": {"group": group, "names": spec_names},
        "status": status,
    }


def _settled(crd: Obj) -> Obj:
    """``crd`` as if all its names had been accepted."""
    crd["status"]["acceptedNames"] = naming.accepted_names_json(crd["spec"]["names"])
    return crd


FOO = _settled(_crd("foos", "Foo", shortNames=["f"], categories=["all"]))


@pytest.mark.parametrize(
    ("crd", "reason", "message"),
    [
        (_crd("bars", "Bar"), "NoConflicts", "no conflicts found"),
        (_crd("bars", "Bar", singular="foo"), "SingularConflict", '"foo" is already in use'),
        (_crd("bars", "Bar", shortNames=["f"]), "ShortNamesConflict", '"f" is already in use'),
        (
            _crd("bars", "Bar", shortNames=["f", "foos", "b"]),
            "ShortNamesConflict",
            '["f" is already in use, "foos" is already in use]',
        ),
        (_crd("bars", "Foo", listKind="BarList"), "KindConflict", '"Foo" is already in use'),
        (
            _crd("bars", "Bar", listKind="FooList"),
            "ListKindConflict",
            '"FooList" is already in use',
        ),
        (_crd("f", "Bar", singular="bar"), "PluralConflict", '"f" is already in use'),
        # the last clash decides the reason, as upstream checks in this order
        (
            _crd("bars", "Foo", singular="foo", listKind="BarList"),
            "KindConflict",
            '"Foo" is already in use',
        ),
        # another group may use the same names
        (
            _crd("foos", "Foo", group="other.com", shortNames=["f"]),
            "NoConflicts",
            "no conflicts found",
        ),
    ],
)
def test_conflicts_within_a_group(crd: Obj, reason: str, message: str) -> None:
    """Each kind of clash gets upstream's reason and message."""
    result = naming.calculate(crd, [FOO, crd])
    status = "True" if reason == "NoConflicts" else "False"
    assert result.names_accepted == conditions.condition("NamesAccepted", status, reason, message)


def test_clashing_names_are_left_out_the_rest_accepted() -> None:
    """A clashing short name is not accepted; the other names are."""
    crd = _crd("bars", "Bar", shortNames=["f"], categories=["all"])
    result = naming.calculate(crd, [FOO, crd])
    assert result.accepted == {
        "plural": "bars",
        "singular": "bar",
        "kind": "Bar",
        "listKind": "BarList",
        "categories": ["all"],
    }
    assert result.established == conditions.condition(
        "Established", "False", "NotAccepted", "not all names are accepted"
    )


def test_accepted_names_stay_even_when_another_crd_claims_them() -> None:
    """A name the CRD already holds is its own: the CRD itself is among the holders."""
    result = naming.calculate(FOO, [FOO, _settled(_crd("bars", "Bar", shortNames=["f"]))])
    assert result.names_accepted["status"] == "True"
    assert result.accepted == FOO["status"]["acceptedNames"]


def test_own_plural_as_short_name_is_no_conflict() -> None:
    """A short name equal to the CRD's own accepted singular does not clash with itself."""
    crd = _settled(_crd("foos", "Foo"))
    crd["spec"]["names"]["shortNames"] = ["foo"]
    assert naming.calculate(crd, [crd]).names_accepted["reason"] == "NoConflicts"


def test_established_goes_installing_then_stays_true() -> None:
    """Accepted names make Established False/Installing; once True it stays True."""
    new = _crd("bars", "Bar")
    assert naming.calculate(new, [new]).established == conditions.condition(
        "Established", "False", "Installing", "the initial names have been accepted"
    )
    renamed = _settled(_crd("bars", "Bar", established=True))
    renamed["spec"]["names"]["shortNames"] = ["f"]
    result = naming.calculate(renamed, [FOO, renamed])
    assert result.names_accepted["reason"] == "ShortNamesConflict"
    assert result.established["status"] == "True"


def test_names_settled_ignores_empty_fields() -> None:
    """Spec and accepted names compare as Go encodes them: empty lists are absent."""
    crd = _settled(_crd("foos", "Foo"))
    crd["spec"]["names"]["shortNames"] = []
    assert naming.names_settled(crd)
    crd["spec"]["names"]["shortNames"] = ["x"]
    assert not naming.names_settled(crd)
