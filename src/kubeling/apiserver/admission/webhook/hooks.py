"""One webhook of a Mutating/ValidatingWebhookConfiguration, read once and ready to match.

A configuration holds a list of webhooks; each is matched and called on its
own (``webhook.WebhookAccessor`` upstream). :func:`webhooks_of` turns stored
configurations into :class:`Webhook` values: Kubernetes' defaults applied
again (a configuration written before a default existed reads as if it had
it), label selectors parsed, the CA bundle decoded, the match conditions
compiled. Webhooks come in the order Kubernetes calls them: configurations
sorted by name, then each configuration's webhooks in their listed order.

A selector that does not parse (validation keeps them out, but stored data
may predate it) is kept as its error: matching then fails the request with
a 500, as upstream's ``GetParsedNamespaceSelector`` error does.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from kubeling.api.labels import Selector, SelectorParseError, label_selector_as_selector
from kubeling.apiserver.admission.webhook.conditions import MatchConditions

__all__ = [
    "DEFAULT_TIMEOUT_SECONDS",
    "ClientConfig",
    "Rule",
    "ServiceReference",
    "Webhook",
    "webhooks_of",
]

#: ``timeoutSeconds`` when unset (admissionregistration/v1 defaults).
DEFAULT_TIMEOUT_SECONDS: Final = 10
#: ``clientConfig.service.port`` when unset.
DEFAULT_SERVICE_PORT: Final = 443


@dataclass(frozen=True, slots=True)
class Rule:
    """One ``RuleWithOperations``: operations and the resources they apply to."""

    operations: tuple[str, ...]
    api_groups: tuple[str, ...]
    api_versions: tuple[str, ...]
    resources: tuple[str, ...]
    scope: str = "*"


@dataclass(frozen=True, slots=True)
class ServiceReference:
    """``clientConfig.service``: an in-cluster Service serving the webhook."""

    namespace: str
    name: str
    path: str = ""
    port: int = DEFAULT_SERVICE_PORT


@dataclass(frozen=True, slots=True)
class ClientConfig:
    """Where the webhook listens (``url`` or ``service``) and the CA it must chain to."""

    url: str | None = None
    service: ServiceReference | None = None
    #: PEM; None: the system's trust store verifies the webhook's certificate.
    ca_bundle: bytes | None = None


@dataclass(frozen=True, slots=True, eq=False)
class Webhook:
    """A webhook as the dispatcher uses it; ``uid`` is unique among all webhooks."""

    uid: str
    configuration: str
    name: str
    mutating: bool
    client_config: ClientConfig
    namespace_selector: Selector | SelectorParseError
    object_selector: Selector | SelectorParseError
    match_conditions: MatchConditions
    rules: tuple[Rule, ...] = ()
    failure_policy: str = "Fail"
    match_policy: str = "Equivalent"
    side_effects: str = "None"
    timeout_seconds: int = DEFAULT_TIMEOUT_SECONDS
    admission_review_versions: tuple[str, ...] = ("v1",)
    #: Mutating webhooks only: ``IfNeeded`` or ``Never``.
    reinvocation_policy: str = "Never"

    @property
    def ignores_failures(self) -> bool:
        """``failurePolicy: Ignore``: a failed call lets the request through."""
        return self.failure_policy == "Ignore"


def _strings(value: object) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(str(v) for v in value)


def _selector(value: object) -> Selector | SelectorParseError:
    # An unset selector matches everything (defaulted to {}).
    try:
        return label_selector_as_selector(value if isinstance(value, Mapping) else {})
    except SelectorParseError as err:
        return err


def _ca_bundle(value: object) -> bytes | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None


def _client_config(value: object) -> ClientConfig:
    config = value if isinstance(value, Mapping) else {}
    service = config.get("service")
    reference = None
    if isinstance(service, Mapping):
        port = service.get("port")
        reference = ServiceReference(
            namespace=str(service.get("namespace") or ""),
            name=str(service.get("name") or ""),
            path=str(service.get("path") or ""),
            port=port if isinstance(port, int) and port else DEFAULT_SERVICE_PORT,
        )
    url = config.get("url")
    return ClientConfig(
        url=url if isinstance(url, str) else None,
        service=reference,
        ca_bundle=_ca_bundle(config.get("caBundle")),
    )


def _rules(value: object) -> tuple[Rule, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(
        Rule(
            operations=_strings(rule.get("operations")),
            api_groups=_strings(rule.get("apiGroups")),
            api_versions=_strings(rule.get("apiVersions")),
            resources=_strings(rule.get("resources")),
            scope=str(rule.get("scope") or "*"),
        )
        for rule in value
        if isinstance(rule, Mapping)
    )


def _webhook(configuration: str, index: int, hook: Mapping[str, Any], *, mutating: bool) -> Webhook:
    timeout = hook.get("timeoutSeconds")
    conditions = hook.get("matchConditions")
    return Webhook(
        uid=f"{configuration}/{index}",
        configuration=configuration,
        name=str(hook.get("name") or ""),
        mutating=mutating,
        client_config=_client_config(hook.get("clientConfig")),
        rules=_rules(hook.get("rules")),
        failure_policy=str(hook.get("failurePolicy") or "Fail"),
        match_policy=str(hook.get("matchPolicy") or "Equivalent"),
        namespace_selector=_selector(hook.get("namespaceSelector")),
        object_selector=_selector(hook.get("objectSelector")),
        side_effects=str(hook.get("sideEffects") or ""),
        timeout_seconds=timeout
        if isinstance(timeout, int) and timeout > 0
        else (DEFAULT_TIMEOUT_SECONDS),
        admission_review_versions=_strings(hook.get("admissionReviewVersions")),
        reinvocation_policy=str(hook.get("reinvocationPolicy") or "Never"),
        match_conditions=MatchConditions(
            [c for c in conditions if isinstance(c, Mapping)]
            if isinstance(conditions, list)
            else ()
        ),
    )


def webhooks_of(configurations: Iterable[Mapping[str, Any]], *, mutating: bool) -> list[Webhook]:
    """Every webhook of ``configurations``, in the order Kubernetes calls them.

    >>> config = {"metadata": {"name": "b"}, "webhooks": [
    ...     {"name": "x.example.com", "clientConfig": {"url": "https://127.0.0.1/x"}}]}
    >>> [(w.uid, w.name, w.failure_policy) for w in webhooks_of([config], mutating=False)]
    [('b/0', 'x.example.com', 'Fail')]
    """
    out: list[Webhook] = []

    def name_of(config: Mapping[str, Any]) -> str:
        meta = config.get("metadata")
        return str(meta.get("name") or "") if isinstance(meta, Mapping) else ""

    for config in sorted(configurations, key=name_of):
        hooks: Sequence[Any] = config.get("webhooks") or ()
        name = name_of(config)
        out.extend(
            _webhook(name, index, hook, mutating=mutating)
            for index, hook in enumerate(hooks)
            if isinstance(hook, Mapping)
        )
    return out
