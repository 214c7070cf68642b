"""The ValidatingAdmissionPolicy plugin: actions, messages, params, failurePolicy, variables."""

from __future__ import annotations

import json
from typing import Any

import pytest

from kubeling.api.authentication.user import UserInfo
from kubeling.api.errors import StatusError
from kubeling.apiserver.admission.interfaces import Attributes
from kubeling.apiserver.admission.policy import (
    VALIDATION_FAILURE_ANNOTATION,
    ValidatingAdmissionPolicyPlugin,
)
from kubeling.apiserver.authz.attributes import Attributes as AuthzAttributes
from kubeling.apiserver.authz.authorizer import Decision as AuthzDecision
from kubeling.apiserver.authz.authorizer import Result
from kubeling.apiserver.warnings import collect_warnings
from tests.unit.apiserver.admission.policy.fakes import (
    FakeParams,
    FakeSources,
    attributes,
    binding,
    deployment,
    policy,
)

Obj = dict[str, Any]
PREFIX = "ValidatingAdmissionPolicy 'demo' with binding 'demo-binding' denied request: "


async def _run(
    policies: list[Obj], bindings: list[Obj], request: Attributes | None = None, **sources: Any
) -> StatusError | None:
    plugin = ValidatingAdmissionPolicyPlugin(FakeSources(policies, bindings, **sources))
    try:
        await plugin.validate(request or attributes())
    except StatusError as err:
        return err
    return None


async def _denial(policies: list[Obj], bindings: list[Obj], **kwargs: Any) -> str:
    err = await _run(policies, bindings, **kwargs)
    assert err is not None, "the request was admitted"
    assert err.message.startswith('deployments.apps "web" is forbidden: ' + PREFIX)
    return err.message.removeprefix('deployments.apps "web" is forbidden: ' + PREFIX)


async def test_denial_is_kubernetes_status() -> None:
    """A failed validation with Deny: 422 Invalid, Kubernetes' message and one cause."""
    err = await _run([policy()], [binding()])
    assert err is not None
    assert err.to_status() == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": 'deployments.apps "web" is forbidden: '
        + PREFIX
        + "failed expression: object.spec.replicas <= 5",
        "reason": "Invalid",
        "details": {
            "name": "web",
            "group": "apps",
            "kind": "deployments",
            "causes": [{"message": PREFIX + "failed expression: object.spec.replicas <= 5"}],
        },
        "code": 422,
    }


async def test_passing_validation_admits() -> None:
    """An object that passes every validation is admitted."""
    assert await _run([policy()], [binding()], attributes(deployment(replicas=3))) is None


async def test_policy_without_binding_or_not_matching_does_nothing() -> None:
    """A policy acts only through a binding, and only on what it matches."""
    assert await _run([policy()], []) is None
    assert await _run([policy()], [binding(policy_name="other")]) is None
    pods = attributes(group="", resource="pods", kind="Pod")
    assert await _run([policy()], [binding()], pods) is None


async def test_policy_and_binding_writes_are_exempt() -> None:
    """Writes of policies and bindings are never validated by policies."""
    everything = {
        "resourceRules": [
            {"apiGroups": ["*"], "apiVersions": ["*"], "operations": ["*"], "resources": ["*"]}
        ],
        "matchPolicy": "Equivalent",
        "namespaceSelector": {},
        "objectSelector": {},
    }
    refuse_all = policy(matchConstraints=everything, validations=[{"expression": "false"}])
    request = attributes(
        {"metadata": {"name": "x"}},
        group="admissionregistration.k8s.io",
        resource="validatingadmissionpolicies",
        kind="ValidatingAdmissionPolicy",
        namespace="",
    )
    plugin = ValidatingAdmissionPolicyPlugin(FakeSources([refuse_all], [binding()]))
    assert not plugin.handles(request)
    assert await _run([refuse_all], [binding()], attributes()) is not None


@pytest.mark.parametrize(
    ("reason", "code"),
    [
        (None, 422),
        ("Invalid", 422),
        ("Forbidden", 403),
        ("Unauthorized", 401),
        ("RequestEntityTooLarge", 413),
    ],
)
async def test_reason_gives_the_code(reason: str | None, code: int) -> None:
    """A validation's reason becomes the Status reason and its HTTP code."""
    validation: Obj = {"expression": "object.spec.replicas <= 5"}
    if reason is not None:
        validation["reason"] = reason
    err = await _run([policy(validations=[validation])], [binding()])
    assert err is not None
    assert (err.reason, err.code) == (reason or "Invalid", code)


@pytest.mark.parametrize(
    ("validation", "message"),
    [
        ({"message": "too many replicas"}, "too many replicas"),
        (
            {"messageExpression": "'replicas: ' + string(object.spec.replicas)"},
            "replicas: 6",
        ),
        (
            {"message": "fallback", "messageExpression": "'  padded  '"},
            "padded",
        ),
        # an empty, erring or multi-line messageExpression falls back to message
        ({"message": "fallback", "messageExpression": "''"}, "fallback"),
        ({"message": "fallback", "messageExpression": "string(object.nope)"}, "fallback"),
        ({"message": "fallback", "messageExpression": "'a\\nb'"}, "fallback"),
        (
            {"messageExpression": "string(object.nope)"},
            "failed expression: object.spec.replicas <= 5",
        ),
    ],
)
async def test_message_and_message_expression(validation: Obj, message: str) -> None:
    """The message comes from messageExpression, then message, then the expression."""
    validations = [{"expression": "object.spec.replicas <= 5", **validation}]
    assert await _denial([policy(validations=validations)], [binding()]) == message


async def test_warn_adds_a_warning_and_admits() -> None:
    """Warn: Kubernetes' warning text, and the request goes through."""
    warnings = collect_warnings()
    assert await _run([policy()], [binding(actions=["Warn"])]) is None
    assert warnings == [
        "Validation failed for ValidatingAdmissionPolicy 'demo' with binding 'demo-binding': "
        "failed expression: object.spec.replicas <= 5"
    ]


async def test_audit_records_the_failure_annotation() -> None:
    """Audit: the validation_failure audit annotation, and the request goes through."""
    request = attributes()
    validations = [{"expression": "true"}, {"expression": "object.spec.replicas <= 5"}]
    assert (
        await _run([policy(validations=validations)], [binding(actions=["Audit", "Warn"])], request)
        is None
    )
    value = request.annotations[VALIDATION_FAILURE_ANNOTATION]
    assert json.loads(value) == [
        {
            "message": "failed expression: object.spec.replicas <= 5",
            "policy": "demo",
            "binding": "demo-binding",
            "expressionIndex": 1,
            "validationActions": ["Audit", "Warn"],
        }
    ]
    assert value.startswith('[{"message":')


async def test_every_policy_runs_before_the_first_denial_is_returned() -> None:
    """Warnings of later policies are still recorded; the first denial (by name) is returned."""
    warnings = collect_warnings()
    policies = [policy("a-deny"), policy("b-warn")]
    bindings = [binding("a", "a-deny"), binding("b", "b-warn", actions=["Warn"])]
    err = await _run(policies, bindings)
    assert err is not None
    assert "ValidatingAdmissionPolicy 'a-deny' with binding 'a'" in err.message
    assert len(warnings) == 1


@pytest.mark.parametrize(("failure_policy", "denied"), [("Fail", True), ("Ignore", False)])
async def test_failure_policy_on_evaluation_errors(failure_policy: str, denied: bool) -> None:
    """An expression that errs denies under Fail and is ignored under Ignore."""
    broken = policy(
        failurePolicy=failure_policy, validations=[{"expression": "object.spec.missing > 1"}]
    )
    err = await _run([broken], [binding()])
    assert (err is not None) is denied
    if err is not None:
        assert err.message.endswith(
            "denied request: expression 'object.spec.missing > 1' resulted in error: "
            "no such key: missing"
        )
        assert err.code == 422


async def test_match_conditions() -> None:
    """A false match condition skips the policy; an erring one follows failurePolicy."""
    skip = policy(matchConditions=[{"name": "big", "expression": "object.spec.replicas > 10"}])
    assert await _run([skip], [binding()]) is None
    run = policy(matchConditions=[{"name": "small", "expression": "object.spec.replicas < 10"}])
    assert await _run([run], [binding()]) is not None
    erring = policy(matchConditions=[{"name": "e", "expression": "object.nope == 1"}])
    message = await _denial([erring], [binding()])
    assert message == "expression 'object.nope == 1' resulted in error: no such key: nope"


async def test_variables() -> None:
    """Variables are usable in validations and messages, and each sees the ones before."""
    with_variables = policy(
        variables=[
            {"name": "replicas", "expression": "object.spec.replicas"},
            {"name": "limit", "expression": "variables.replicas > 5 ? 5 : 10"},
        ],
        validations=[
            {
                "expression": "variables.replicas <= variables.limit",
                "messageExpression": "'limit is ' + string(variables.limit)",
            }
        ],
    )
    assert await _denial([with_variables], [binding()]) == "limit is 5"


async def test_request_namespace_object_and_old_object() -> None:
    """request, namespaceObject and oldObject carry what Kubernetes gives them."""
    checks = policy(
        validations=[
            {"expression": "request.userInfo.username == 'jane'", "message": "user"},
            {"expression": "'dev' in request.userInfo.groups", "message": "groups"},
            {"expression": "request.operation == 'UPDATE'", "message": "operation"},
            {"expression": "request.kind.kind == 'Deployment'", "message": "kind"},
            {"expression": "request.resource.resource == 'deployments'", "message": "resource"},
            {
                "expression": "request.namespace == 'default' && request.name == 'web'",
                "message": "ns",
            },
            {"expression": "!request.dryRun", "message": "dryRun"},
            {"expression": "namespaceObject.metadata.labels.env == 'test'", "message": "nsobj"},
            {"expression": "oldObject.spec.replicas == 2", "message": "old"},
            {"expression": "object.spec.replicas <= 5", "message": "new"},
        ]
    )
    request = attributes(operation="UPDATE", old=deployment(replicas=2))
    assert await _denial([checks], [binding()], request=request) == "new"


async def test_params_by_name_and_selector() -> None:
    """Params by name (namespaced: in the request's namespace) and by label selector."""
    kind = {"apiVersion": "v1", "kind": "ConfigMap"}
    limits = policy(
        paramKind=kind,
        validations=[
            {
                "expression": "object.spec.replicas <= int(params.data.max)",
                "messageExpression": "'max is ' + params.data.max",
            }
        ],
    )
    params = FakeParams(
        namespaced=True,
        objects=[
            {
                "metadata": {"name": "limits", "namespace": "default", "labels": {"l": "1"}},
                "data": {"max": "3"},
            },
            {
                "metadata": {"name": "big", "namespace": "default", "labels": {"l": "1"}},
                "data": {"max": "10"},
            },
            {"metadata": {"name": "limits", "namespace": "other"}, "data": {"max": "2"}},
        ],
    )
    sources: dict[str, Any] = {"params": {("v1", "ConfigMap"): params}}
    by_name = binding(paramRef={"name": "limits", "parameterNotFoundAction": "Deny"})
    assert await _denial([limits], [by_name], **sources) == "max is 3"
    elsewhere = binding(
        paramRef={"name": "limits", "namespace": "other", "parameterNotFoundAction": "Deny"}
    )
    assert await _denial([limits], [elsewhere], **sources) == "max is 2"
    by_selector = binding(
        paramRef={"selector": {"matchLabels": {"l": "1"}}, "parameterNotFoundAction": "Deny"}
    )
    # evaluated once per param: "limits" denies, "big" admits
    assert await _denial([limits], [by_selector], **sources) == "max is 3"
    request = attributes(deployment(replicas=8))
    assert await _denial([limits], [by_selector], request=request, **sources) == "max is 3"


async def test_params_not_found() -> None:
    """No param: Allow skips the binding, Deny is a configuration error."""
    kind = {"apiVersion": "v1", "kind": "ConfigMap"}
    limits = policy(paramKind=kind, validations=[{"expression": "params.data.max == '1'"}])
    sources: dict[str, Any] = {"params": {("v1", "ConfigMap"): FakeParams(namespaced=True)}}
    allow = binding(paramRef={"name": "none", "parameterNotFoundAction": "Allow"})
    assert await _run([limits], [allow], **sources) is None
    deny = binding(paramRef={"name": "none", "parameterNotFoundAction": "Deny"})
    assert await _denial([limits], [deny], **sources) == (
        "failed to configure binding: "
        "no params found for policy binding with `Deny` parameterNotFoundAction"
    )
    ignored = policy(paramKind=kind, failurePolicy="Ignore", validations=[{"expression": "false"}])
    assert await _run([ignored], [deny], **sources) is None


async def test_param_kind_not_served_and_no_param_ref() -> None:
    """An unknown paramKind is a configuration error; without paramRef, params is null."""
    kind = {"apiVersion": "example.com/v1", "kind": "Limits"}
    limits = policy(paramKind=kind, validations=[{"expression": "params == null"}])
    message = await _denial(
        [limits], [binding(paramRef={"name": "x", "parameterNotFoundAction": "Deny"})]
    )
    assert message == (
        "failed to configure binding: failed to find resource referenced by paramKind: "
        "'example.com/v1, Kind=Limits'"
    )
    assert await _run([limits], [binding()]) is None


async def test_binding_match_resources_narrow_the_policy() -> None:
    """A binding's matchResources limit where its policy applies."""
    prod_only = binding(
        matchResources={
            "namespaceSelector": {"matchLabels": {"env": "prod"}},
            "objectSelector": {},
            "matchPolicy": "Equivalent",
        }
    )
    assert await _run([policy()], [prod_only]) is None
    test_only = binding(
        matchResources={"namespaceSelector": {"matchLabels": {"env": "test"}}, "objectSelector": {}}
    )
    assert await _run([policy()], [test_only]) is not None


async def test_audit_annotations() -> None:
    """auditAnnotations are published as <policy>/<key>; null and empty values are not."""
    annotated = policy(
        validations=[],
        auditAnnotations=[
            {"key": "replicas", "valueExpression": "'replicas=' + string(object.spec.replicas)"},
            {"key": "nothing", "valueExpression": "null"},
            {"key": "empty", "valueExpression": "'  '"},
        ],
    )
    request = attributes()
    assert await _run([annotated], [binding()], request) is None
    assert request.annotations == {"demo/replicas": "replicas=6"}


async def test_generate_name_and_cost_budget() -> None:
    """A denial names the object by generateName before it has a name; a runaway
    expression is stopped by the cost budget (a failurePolicy error)."""
    obj = deployment()
    obj["metadata"] = {"generateName": "web-", "namespace": "default"}
    err = await _run([policy()], [binding()], attributes(obj, name=""))
    assert err is not None
    assert err.message.startswith('deployments.apps "web-" is forbidden: ')
    runaway = policy(
        validations=[
            {
                "expression": "[1,2,3,4,5,6,7,8,9,10].all(a, [1,2,3,4,5,6,7,8,9,10].all(b, "
                "[1,2,3,4,5,6,7,8,9,10].all(c, [1,2,3,4,5,6,7,8,9,10].all(d, "
                "[1,2,3,4,5,6,7,8,9,10].all(e, [1,2,3,4,5,6,7,8,9,10].all(f, "
                "[1,2,3,4,5,6,7,8,9,10].all(g, true)))))))"
            }
        ]
    )
    message = await _denial([runaway], [binding()])
    assert message == (
        "validation failed due to running out of cost budget, no further validation rules "
        "will be run"
    )


class _RecordingAuthorizer:
    """Allows only ``get`` and remembers what it was asked."""

    def __init__(self) -> None:
        self.asked: list[AuthzAttributes] = []

    def authorize(self, attributes: AuthzAttributes) -> Result:
        self.asked.append(attributes)
        if attributes.verb == "get":
            return Result(AuthzDecision.ALLOW)
        return Result(AuthzDecision.NO_OPINION, "no RBAC rule allows it")


async def test_authorizer_checks_ask_the_api_servers_authorizer() -> None:
    """authorizer checks ask for the requesting user, a service account or the request's
    own resource, and read the decision and its reason."""
    checks = policy(
        validations=[
            {
                "expression": "authorizer.group('apps').resource('deployments')"
                ".namespace('default').name('web').check('get').allowed()",
                "message": "get",
            },
            {
                "expression": "authorizer.serviceAccount('ci', 'builder').path('/healthz')"
                ".check('get').allowed()",
                "message": "path",
            },
            {
                "expression": "authorizer.requestResource.subresource('scale').check('update')"
                ".reason() == 'no RBAC rule allows it'",
                "message": "reason",
            },
            {
                "expression": "authorizer.requestResource.check('delete').allowed()",
                "message": "may not delete",
            },
        ]
    )
    authz = _RecordingAuthorizer()
    plugin = ValidatingAdmissionPolicyPlugin(FakeSources([checks], [binding()]), authorizer=authz)
    with pytest.raises(StatusError) as denied:
        await plugin.validate(attributes())
    assert denied.value.message.endswith("denied request: may not delete")
    user = attributes().user
    assert authz.asked == [
        AuthzAttributes(
            user,
            "get",
            True,
            namespace="default",
            api_group="apps",
            api_version="*",
            resource="deployments",
            name="web",
        ),
        AuthzAttributes(
            UserInfo(
                "system:serviceaccount:ci:builder",
                groups=("system:serviceaccounts", "system:serviceaccounts:ci"),
            ),
            "get",
            False,
            path="/healthz",
        ),
        AuthzAttributes(
            user,
            "update",
            True,
            namespace="default",
            api_group="apps",
            api_version="*",
            resource="deployments",
            subresource="scale",
            name="web",
        ),
        AuthzAttributes(
            user,
            "delete",
            True,
            namespace="default",
            api_group="apps",
            api_version="*",
            resource="deployments",
            name="web",
        ),
    ]


async def test_authorizer_without_an_authorizer_errs() -> None:
    """Without the API server's authorizer, a check errs (and denies nothing by itself)."""
    checks = policy(
        validations=[
            {
                "expression": "authorizer.path('/x').check('get').errored() && "
                "!authorizer.path('/x').check('get').allowed()",
                "message": "no authorizer",
            }
        ]
    )
    assert await _run([checks], [binding()]) is None


async def test_changed_policy_is_compiled_again() -> None:
    """A policy's programs are reused until its resourceVersion changes."""
    stored = policy()
    sources = FakeSources([stored], [binding()])
    plugin = ValidatingAdmissionPolicyPlugin(sources)
    with pytest.raises(StatusError):
        await plugin.validate(attributes())
    changed = policy(validations=[{"expression": "object.spec.replicas <= 10"}])
    changed["metadata"]["resourceVersion"] = "2"
    sources.policies_ = [changed]
    await plugin.validate(attributes())
