"""The admission webhooks: MutatingAdmissionWebhook and ValidatingAdmissionWebhook.

Kubernetes' ``k8s.io/apiserver/pkg/admission/plugin/webhook``, one module per
concern:

================  ============================================================
``hooks``         a configuration's webhooks, defaulted and parsed
``source``        the configurations, from the API server's watch cache
``rules``         does a rule cover a request (pure)
``equivalents``   resources sharing storage, for ``matchPolicy: Equivalent``
``conditions``    ``matchConditions`` (CEL)
``lookups``       namespace labels and Services, from the watch caches
``review``        the AdmissionReview sent and the answer expected
``client``        the HTTPS call (caBundle, timeout, service resolution)
``patching``      applying a mutating webhook's JSON patch
``failures``      call failures and denials, in Kubernetes' words
``dispatch``      matching and calling, shared by the two plugins
``mutating``      MutatingAdmissionWebhook: in order, patches, reinvocation
``validating``    ValidatingAdmissionWebhook: concurrently, verdicts
================  ============================================================

:func:`mutating_webhook` and :func:`validating_webhook` build them from the API server's
registry.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kubeling.apiserver.admission.webhook.client import WebhookClient
from kubeling.apiserver.admission.webhook.equivalents import RegistryEquivalents
from kubeling.apiserver.admission.webhook.lookups import namespace_labels_from, services_from
from kubeling.apiserver.admission.webhook.mutating import MutatingAdmissionWebhook
from kubeling.apiserver.admission.webhook.source import CachedWebhookSource
from kubeling.apiserver.admission.webhook.validating import ValidatingAdmissionWebhook

if TYPE_CHECKING:
    from kubeling.apiserver.registry.registry import Registry

__all__ = [
    "MutatingAdmissionWebhook",
    "ValidatingAdmissionWebhook",
    "mutating_webhook",
    "validating_webhook",
    "webhook_plugins",
]

_GROUP = "admissionregistration.k8s.io"


def _shared(registry: Registry, plural: str) -> dict[str, Any]:
    configs = registry.lookup(_GROUP, "v1", plural)
    namespaces = registry.lookup("", "v1", "namespaces")
    services = registry.lookup("", "v1", "services")
    if configs is None:
        raise LookupError(f"the {_GROUP}/v1 {plural} are not served")
    if namespaces is None or services is None:
        raise LookupError("namespaces and services must be served")
    return {
        "source": CachedWebhookSource(configs, mutating=plural.startswith("mutating")),
        "namespace_labels": namespace_labels_from(namespaces),
        "client": WebhookClient(services=services_from(services)),
        "equivalents": RegistryEquivalents(registry),
    }


def mutating_webhook(registry: Registry) -> MutatingAdmissionWebhook:
    """MutatingAdmissionWebhook over the registry's watch caches (configurations,
    namespaces, Services); the API server starts them."""
    return MutatingAdmissionWebhook(**_shared(registry, "mutatingwebhookconfigurations"))


def validating_webhook(registry: Registry) -> ValidatingAdmissionWebhook:
    """ValidatingAdmissionWebhook, as :func:`mutating_webhook`."""
    return ValidatingAdmissionWebhook(**_shared(registry, "validatingwebhookconfigurations"))


def webhook_plugins(
    registry: Registry,
) -> tuple[MutatingAdmissionWebhook, ValidatingAdmissionWebhook]:
    """Both plugins (see :func:`mutating_webhook`)."""
    return mutating_webhook(registry), validating_webhook(registry)
