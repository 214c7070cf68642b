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

:func:`webhook_plugins` builds both from the API server's registry.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kubeling.apiserver.admission.webhook.client import WebhookClient
from kubeling.apiserver.admission.webhook.equivalents import RegistryEquivalents
from kubeling.apiserver.admission.webhook.lookups import namespace_labels_from, services_from
from kubeling.apiserver.admission.webhook.mutating import MutatingAdmissionWebhook
from kubeling.apiserver.admission.webhook.source import CachedWebhookSource
from kubeling.apiserver.admission.webhook.validating import ValidatingAdmissionWebhook

if TYPE_CHECKING:
    from kubeling.apiserver.registry.registry import Registry

__all__ = ["MutatingAdmissionWebhook", "ValidatingAdmissionWebhook", "webhook_plugins"]

_GROUP = "admissionregistration.k8s.io"


def webhook_plugins(
    registry: Registry,
) -> tuple[MutatingAdmissionWebhook, ValidatingAdmissionWebhook]:
    """Both plugins, reading configurations, namespaces and Services from the
    registry's watch caches (the API server starts them)."""
    mutating_configs = registry.lookup(_GROUP, "v1", "mutatingwebhookconfigurations")
    validating_configs = registry.lookup(_GROUP, "v1", "validatingwebhookconfigurations")
    namespaces = registry.lookup("", "v1", "namespaces")
    services = registry.lookup("", "v1", "services")
    if mutating_configs is None or validating_configs is None:
        raise LookupError(
            "the admissionregistration.k8s.io/v1 webhook configurations are not served"
        )
    if namespaces is None or services is None:
        raise LookupError("namespaces and services must be served")
    client = WebhookClient(services=services_from(services))
    labels = namespace_labels_from(namespaces)
    equivalents = RegistryEquivalents(registry)
    return (
        MutatingAdmissionWebhook(
            source=CachedWebhookSource(mutating_configs, mutating=True),
            namespace_labels=labels,
            client=client,
            equivalents=equivalents,
        ),
        ValidatingAdmissionWebhook(
            source=CachedWebhookSource(validating_configs, mutating=False),
            namespace_labels=labels,
            client=client,
            equivalents=equivalents,
        ),
    )
