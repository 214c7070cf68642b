"""The authorization library, and variables with dotted names (``authorizer.requestResource``)."""

from __future__ import annotations

import pytest

from kubeling.api.cel import CompileError, Environment, types
from kubeling.api.cel.library import KUBERNETES
from kubeling.api.cel.library.authz import (
    AUTHORIZER,
    AUTHZ,
    RESOURCE_CHECK,
    Authorizer,
    AuthzAnswer,
    AuthzQuery,
    ResourceCheck,
)

ENV = Environment(
    {"authorizer": AUTHORIZER, "authorizer.requestResource": RESOURCE_CHECK, "l": types.DYN},
    KUBERNETES.merge([AUTHZ]),
)


def _authorizer(asked: list[AuthzQuery]) -> Authorizer:
    def answer(query: AuthzQuery) -> AuthzAnswer:
        asked.append(query)
        if query.verb == "get":
            return AuthzAnswer("allow", "rule 1")
        return AuthzAnswer("noOpinion", "", "authorizer down" if query.verb == "boom" else "")

    return Authorizer(answer)


@pytest.mark.parametrize(
    ("expression", "value", "query"),
    [
        (
            "authorizer.group('apps').resource('deployments').subresource('scale')"
            ".namespace('ns').name('web').check('get').allowed()",
            True,
            AuthzQuery(
                "get",
                True,
                group="apps",
                resource="deployments",
                subresource="scale",
                namespace="ns",
                name="web",
            ),
        ),
        (
            "authorizer.path('/metrics').check('get').reason()",
            "rule 1",
            AuthzQuery("get", False, path="/metrics"),
        ),
        (
            "authorizer.serviceAccount('ns', 'sa').group('').resource('pods')"
            ".labelSelector('a=b').fieldSelector('x=y').check('list').allowed()",
            False,
            AuthzQuery(
                "list",
                True,
                ("ns", "sa"),
                resource="pods",
                label_selector="a=b",
                field_selector="x=y",
            ),
        ),
        ("authorizer.path('/').check('boom').errored()", True, AuthzQuery("boom", False, path="/")),
        (
            "authorizer.path('/').check('boom').error()",
            "authorizer down",
            AuthzQuery("boom", False, path="/"),
        ),
        (
            "authorizer.requestResource.check('delete').allowed()",
            False,
            AuthzQuery("delete", True, group="apps", resource="deployments", namespace="default"),
        ),
    ],
)
def test_checks(expression: str, value: object, query: AuthzQuery) -> None:
    """Each check asks one question and reads the answer."""
    asked: list[AuthzQuery] = []
    authorizer = _authorizer(asked)
    request = ResourceCheck(authorizer, "apps", "deployments", namespace="default")
    outcome = ENV.compile(expression).evaluate(
        {"authorizer": authorizer, "authorizer.requestResource": request}
    )
    assert outcome.error is None, outcome.error
    assert outcome.value == value
    assert asked == [query]


def test_dotted_variable_shadowed_by_a_comprehension_variable() -> None:
    """A comprehension variable named like the root of a dotted variable hides it."""
    program = ENV.compile("l.all(authorizer, authorizer.requestResource == 1)")
    assert program.evaluate({"l": [{"requestResource": 1}]}).value is True


def test_unknown_function_on_an_authorizer_does_not_compile() -> None:
    """Only the library's functions apply to its types."""
    with pytest.raises(CompileError, match="found no matching overload for 'check'"):
        ENV.compile("authorizer.check('get')")
