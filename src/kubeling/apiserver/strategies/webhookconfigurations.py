"""admissionregistration.k8s.io/v1 Mutating- and ValidatingWebhookConfigurations.

Defaults (``SetDefaults_*Webhook``): ``failurePolicy: Fail``, ``matchPolicy:
Equivalent``, ``namespaceSelector: {}``, ``objectSelector: {}``,
``timeoutSeconds: 10``, ``reinvocationPolicy: Never`` (mutating), each rule's
``scope: "*"``, a service reference's ``port: 443``.

Validation (``ValidateValidating/MutatingWebhookConfiguration``), every
error at once:

1. each webhook's ``name`` is a DNS subdomain of at least three segments,
   unique in the configuration;
2. each rule has operations (known ones; ``*`` alone), apiGroups,
   apiVersions (no empty one; ``*`` alone) and resources (the wildcard
   combinations Kubernetes forbids), and a known scope;
3. ``failurePolicy``, ``matchPolicy``, ``reinvocationPolicy`` are known;
   ``sideEffects`` is ``None`` or ``NoneOnDryRun``; ``timeoutSeconds`` is
   1 to 30;
4. the label selectors are valid;
5. ``clientConfig`` has exactly one of ``url`` (https, with a host, no user
   information, query or fragment) and ``service`` (name, namespace, a valid
   port, a path of DNS-subdomain segments);
6. ``admissionReviewVersions`` is not empty, has no duplicates, holds DNS-1035
   labels and at least one of ``v1``, ``v1beta1``;
7. ``matchConditions``: at most 64, names qualified and unique, expressions
   that compile.

An update that keeps what the old object already had wrong is not refused
for it (``sideEffects`` Some/Unknown, unrecognised review versions,
duplicate names, match conditions that no longer compile), as upstream's
update options relax them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final
from urllib.parse import urlsplit

from kubeling.api import naming
from kubeling.api.cel import CelError
from kubeling.api.field import (
    FieldError,
    FieldPath,
    duplicate,
    invalid,
    not_supported,
    required,
    too_many,
)
from kubeling.api.labels import validate_label_selector
from kubeling.apiserver.admission.webhook.conditions import compile_condition
from kubeling.apiserver.rest.strategy import Strategy
from kubeling.apiserver.strategies._checks import (
    as_list,
    as_map,
    as_strings,
    go_string_slice,
    is_valid_port_num,
)
from kubeling.apiserver.strategies.admission_rules import rule_with_operations_errors

__all__ = [
    "MutatingWebhookConfigurationStrategy",
    "ValidatingWebhookConfigurationStrategy",
]

Obj = dict[str, Any]

_FAILURE_POLICIES: Final = ("Fail", "Ignore")
_MATCH_POLICIES: Final = ("Equivalent", "Exact")
_REINVOCATION: Final = ("IfNeeded", "Never")
_NO_SIDE_EFFECTS: Final = ("None", "NoneOnDryRun")
_ALL_SIDE_EFFECTS: Final = ("None", "NoneOnDryRun", "Some", "Unknown")
_REVIEW_VERSIONS: Final = ("v1", "v1beta1")
_MAX_MATCH_CONDITIONS: Final = 64
_URL_FORM: Final = "; desired format: https://host[/path]"


def _default_webhook(hook: dict[str, Any], *, mutating: bool) -> None:
    hook.setdefault("failurePolicy", "Fail")
    hook.setdefault("matchPolicy", "Equivalent")
    if hook.get("namespaceSelector") is None:
        hook["namespaceSelector"] = {}
    if hook.get("objectSelector") is None:
        hook["objectSelector"] = {}
    hook.setdefault("timeoutSeconds", 10)
    if mutating:
        hook.setdefault("reinvocationPolicy", "Never")
    for rule in as_list(hook.get("rules")):
        if isinstance(rule, dict):
            rule.setdefault("scope", "*")
    service = as_map(hook.get("clientConfig")).get("service")
    if isinstance(service, dict):
        service.setdefault("port", 443)


def _fully_qualified(name: object, path: FieldPath) -> list[FieldError]:
    if not name:
        return [required(path)]
    text = str(name)
    problems = naming.is_dns1123_subdomain(text)
    if problems:
        return [invalid(path, text, ",".join(problems))]
    if len(text.split(".")) < 3:
        return [
            invalid(path, text, "should be a domain with at least three segments separated by dots")
        ]
    return []


def _validate_url(url: str, path: FieldPath) -> list[FieldError]:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - parsing the port is part of parsing the URL
    except ValueError as err:
        return [required(path, f"url must be a valid URL: {err}{_URL_FORM}")]
    errs: list[FieldError] = []
    if parts.scheme != "https":
        errs.append(
            invalid(path, parts.scheme, "'https' is the only allowed URL scheme" + _URL_FORM)
        )
    if not parts.netloc or not parts.hostname:
        errs.append(invalid(path, parts.netloc, "host must be specified" + _URL_FORM))
    if "@" in parts.netloc:
        user = parts.netloc.rpartition("@")[0]
        errs.append(invalid(path, user, "user information is not permitted in the URL"))
    if parts.fragment:
        errs.append(invalid(path, parts.fragment, "fragments are not permitted in the URL"))
    if parts.query:
        errs.append(invalid(path, parts.query, "query parameters are not permitted in the URL"))
    return errs


def _validate_service(service: Mapping[str, Any], path: FieldPath) -> list[FieldError]:
    errs: list[FieldError] = []
    if not service.get("name"):
        errs.append(required(path.child("name"), "service name is required"))
    if not service.get("namespace"):
        errs.append(required(path.child("namespace"), "service namespace is required"))
    port = service.get("port", 443)
    problems = is_valid_port_num(port)
    if problems:
        errs.append(invalid(path.child("port"), port, "port is not valid: " + ", ".join(problems)))
    url_path = service.get("path")
    if not isinstance(url_path, str) or url_path in ("", "/"):
        return errs
    if url_path == "//":
        return [*errs, invalid(path.child("path"), url_path, "segment[0] may not be empty")]
    if not url_path.startswith("/"):
        errs.append(invalid(path.child("path"), url_path, "must start with a '/'"))
    steps = url_path[1:].removesuffix("/").split("/")
    for i, step in enumerate(steps):
        if not step:
            errs.append(invalid(path.child("path"), url_path, f"segment[{i}] may not be empty"))
            continue
        errs.extend(
            invalid(path.child("path"), url_path, f"segment[{i}]: {problem}")
            for problem in naming.is_dns1123_subdomain(step)
        )
    return errs


def _validate_client_config(config: Mapping[str, Any], path: FieldPath) -> list[FieldError]:
    url, service = config.get("url"), config.get("service")
    if (url is None) == (service is None):
        return [required(path, "exactly one of url or service is required")]
    if url is not None:
        return _validate_url(str(url), path.child("url"))
    return _validate_service(as_map(service), path.child("service"))


def _validate_review_versions(
    versions: Sequence[str], path: FieldPath, *, require_recognised: bool
) -> list[FieldError]:
    if not versions:
        return [required(path, "must specify one of " + ", ".join(_REVIEW_VERSIONS))]
    errs: list[FieldError] = []
    seen: set[str] = set()
    for i, version in enumerate(versions):
        if version in seen:
            errs.append(invalid(path.index(i), version, "duplicate version"))
            continue
        seen.add(version)
        errs.extend(invalid(path.index(i), version, p) for p in naming.is_dns1035_label(version))
    if require_recognised and not seen & set(_REVIEW_VERSIONS):
        errs.append(
            invalid(
                path,
                go_string_slice(versions),
                "must include at least one of " + ", ".join(_REVIEW_VERSIONS),
            )
        )
    return errs


def _validate_match_conditions(conditions: Sequence[Any], path: FieldPath) -> list[FieldError]:
    errs: list[FieldError] = []
    if len(conditions) > _MAX_MATCH_CONDITIONS:
        errs.append(too_many(path, len(conditions), _MAX_MATCH_CONDITIONS))
    names: set[str] = set()
    for i, raw in enumerate(conditions):
        condition = as_map(raw)
        name = str(condition.get("name") or "")
        name_path = path.index(i).child("name")
        if not name:
            errs.append(required(name_path))
        else:
            problems = naming.is_qualified_name(name)
            errs.extend(invalid(name_path, name, p) for p in problems)
            if name in names:
                errs.append(duplicate(name_path, name))
            names.add(name)
        expression = str(condition.get("expression") or "")
        expression_path = path.index(i).child("expression")
        if not expression.strip():
            errs.append(required(expression_path))
            continue
        try:
            compile_condition(expression)
        except CelError as err:
            errs.append(invalid(expression_path, expression, f"compilation failed: {err}"))
    return errs


class _WebhookConfigurationStrategy(Strategy):
    mutating = False

    def default(self, obj: Obj) -> None:
        for hook in as_list(obj.get("webhooks")):
            if isinstance(hook, dict):
                _default_webhook(hook, mutating=self.mutating)

    def _validate(
        self, obj: Mapping[str, Any], old: Mapping[str, Any] | None, *, namespaced: bool
    ) -> list[FieldError]:
        errs = self.validate_metadata(obj, namespaced=namespaced)
        old_hooks = [as_map(h) for h in as_list(old.get("webhooks"))] if old is not None else []
        # Upstream's update options: keep accepting what the old object already had.
        no_side_effects = old is None or all(
            h.get("sideEffects") in _NO_SIDE_EFFECTS for h in old_hooks
        )
        recognised = old is None or all(
            not as_strings(h.get("admissionReviewVersions"))
            or set(as_strings(h.get("admissionReviewVersions"))) & set(_REVIEW_VERSIONS)
            for h in old_hooks
        )
        old_names = [h.get("name") for h in old_hooks]
        unique_names = old is None or len(old_names) == len(set(old_names))
        hooks = [as_map(h) for h in as_list(obj.get("webhooks"))]
        skip_conditions = (
            old is not None
            and len(hooks) == len(old_hooks)
            and all(
                h.get("matchConditions") == o.get("matchConditions")
                for h, o in zip(hooks, old_hooks, strict=True)
            )
        )
        side_effects = _NO_SIDE_EFFECTS if no_side_effects else _ALL_SIDE_EFFECTS
        seen: set[str] = set()
        for i, hook in enumerate(hooks):
            path = FieldPath("webhooks").index(i)
            errs.extend(_fully_qualified(hook.get("name"), path.child("name")))
            for j, rule in enumerate(as_list(hook.get("rules"))):
                errs.extend(rule_with_operations_errors(as_map(rule), path.child("rules").index(j)))
            policy = hook.get("failurePolicy")
            if policy is not None and policy not in _FAILURE_POLICIES:
                errs.append(not_supported(path.child("failurePolicy"), policy, _FAILURE_POLICIES))
            match = hook.get("matchPolicy")
            if match is not None and match not in _MATCH_POLICIES:
                errs.append(not_supported(path.child("matchPolicy"), match, _MATCH_POLICIES))
            effects = hook.get("sideEffects")
            if effects is None:
                errs.append(
                    required(
                        path.child("sideEffects"), "must specify one of " + ", ".join(side_effects)
                    )
                )
            elif effects not in side_effects:
                errs.append(not_supported(path.child("sideEffects"), effects, side_effects))
            timeout = hook.get("timeoutSeconds")
            if timeout is not None and not (isinstance(timeout, int) and 1 <= timeout <= 30):
                errs.append(
                    invalid(
                        path.child("timeoutSeconds"),
                        timeout,
                        "the timeout value must be between 1 and 30 seconds",
                    )
                )
            for key in ("namespaceSelector", "objectSelector"):
                selector = hook.get(key)
                if isinstance(selector, Mapping):
                    errs.extend(validate_label_selector(selector, path.child(key)))
            if self.mutating:
                reinvocation = hook.get("reinvocationPolicy")
                if reinvocation is not None and reinvocation not in _REINVOCATION:
                    errs.append(
                        not_supported(path.child("reinvocationPolicy"), reinvocation, _REINVOCATION)
                    )
            errs.extend(
                _validate_client_config(
                    as_map(hook.get("clientConfig")), path.child("clientConfig")
                )
            )
            if not skip_conditions:
                errs.extend(
                    _validate_match_conditions(
                        as_list(hook.get("matchConditions")), path.child("matchConditions")
                    )
                )
            errs.extend(
                _validate_review_versions(
                    as_strings(hook.get("admissionReviewVersions")),
                    path.child("admissionReviewVersions"),
                    require_recognised=bool(recognised),
                )
            )
            name = hook.get("name")
            if unique_names and name:
                if name in seen:
                    errs.append(duplicate(path.child("name"), name))
                seen.add(str(name))
        return errs

    def validate(self, obj: Mapping[str, Any], *, namespaced: bool) -> list[FieldError]:
        return self._validate(obj, None, namespaced=namespaced)

    def validate_update(
        self, new: Mapping[str, Any], old: Mapping[str, Any], *, namespaced: bool
    ) -> list[FieldError]:
        return self._validate(new, old, namespaced=namespaced)


class MutatingWebhookConfigurationStrategy(_WebhookConfigurationStrategy):
    """admissionregistration.k8s.io/v1 MutatingWebhookConfigurations."""

    mutating = True


class ValidatingWebhookConfigurationStrategy(_WebhookConfigurationStrategy):
    """admissionregistration.k8s.io/v1 ValidatingWebhookConfigurations."""
