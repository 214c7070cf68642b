"""What both webhook plugins share: deciding whether to call a webhook, and calling it.

``WebhookPlugin.invocation`` is upstream's ``ShouldCallHook``, in its order:

1. the namespace selector: requests for cluster-scoped objects (other than
   Namespaces) always pass; a Namespace's own create or update is matched by
   the labels it is written with; other requests by their namespace's labels
   (a missing namespace is its 404);
2. the object selector, on the new or the old object's labels;
3. the rules, against the request's resource; under ``matchPolicy:
   Equivalent``, failing that, against each equivalent resource, rule by
   rule: the first that matches names the version the webhook is called
   with (the object is converted to it);
4. only then the errors of steps 1 and 2, and then ``matchConditions`` on
   the converted objects (an error under ``Fail`` is a 403).

``WebhookPlugin.call`` refuses dry runs for webhooks with side effects,
builds the AdmissionReview, POSTs it and checks the answer; the answer's
warnings become the request's ``Warning`` headers and its audit annotations
``<webhook>/<key>`` annotations on the request.

The namespace of a request for a Namespace object is the namespace's own
name, as Kubernetes' request info makes it: when the attributes leave it
empty, it is taken from ``name``.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kubeling.api import errors
from kubeling.api.labels import SelectorParseError
from kubeling.api.schema import GroupVersionKind
from kubeling.apiserver.admission.interfaces import CREATE, UPDATE, AdmissionPlugin, Attributes
from kubeling.apiserver.admission.webhook.client import (
    CallError,
    ClientSetupError,
    WebhookTransport,
)
from kubeling.apiserver.admission.webhook.equivalents import (
    EquivalentResources,
    GroupVersionResource,
    NoEquivalents,
)
from kubeling.apiserver.admission.webhook.failures import CallFailure, dry_run_unsupported
from kubeling.apiserver.admission.webhook.hooks import Webhook
from kubeling.apiserver.admission.webhook.lookups import NamespaceLabels, labels_of
from kubeling.apiserver.admission.webhook.review import (
    AdmissionRequest,
    AdmissionResponse,
    InvalidResponse,
    review_version,
    verify_response,
)
from kubeling.apiserver.admission.webhook.rules import RequestResource, is_exempt, rules_match
from kubeling.apiserver.admission.webhook.source import WebhookSource
from kubeling.apiserver.warnings import add_warning

__all__ = ["Invocation", "VersionedObjects", "WebhookPlugin", "request_namespace"]

log = logging.getLogger("kubeling.apiserver.admission.webhook")

_NO_SIDE_EFFECTS = ("None", "NoneOnDryRun")


def request_namespace(attributes: Attributes) -> str:
    """The request's namespace; a Namespace object's own name for requests about it."""
    if not attributes.namespace and attributes.group == "" and attributes.resource == "namespaces":
        return attributes.name
    return attributes.namespace


@dataclass(frozen=True, slots=True)
class Invocation:
    """A webhook to call, and the resource and kind it is called with."""

    webhook: Webhook
    resource: GroupVersionResource
    subresource: str
    kind: GroupVersionKind


@dataclass(slots=True)
class VersionedObjects:
    """The request's objects in the version a webhook is called with."""

    obj: dict[str, Any] | None
    old_obj: dict[str, Any] | None


class WebhookPlugin(AdmissionPlugin):
    """The shared machinery of MutatingAdmissionWebhook and ValidatingAdmissionWebhook.

    ``source`` lists the webhooks, ``namespace_labels`` reads a namespace's
    labels, ``client`` calls webhooks, ``equivalents`` knows which resources
    share storage (``NoEquivalents()``: none, ``matchPolicy`` then makes no
    difference).
    """

    mutating = False

    def __init__(
        self,
        *,
        source: WebhookSource,
        namespace_labels: NamespaceLabels,
        client: WebhookTransport,
        equivalents: EquivalentResources | None = None,
    ) -> None:
        self.source = source
        self.namespace_labels = namespace_labels
        self.client = client
        self.equivalents: EquivalentResources = equivalents or NoEquivalents()

    def handles(self, attributes: Attributes) -> bool:
        """Every operation, except on the admission configuration resources themselves."""
        return super().handles(attributes) and not is_exempt(attributes.group, attributes.resource)

    # -- matching ------------------------------------------------------------

    async def _namespace_matches(
        self, webhook: Webhook, attributes: Attributes
    ) -> tuple[bool, errors.StatusError | None]:
        namespace = request_namespace(attributes)
        is_namespace = attributes.resource == "namespaces"
        if not namespace and not is_namespace:
            return True, None  # cluster-scoped objects are never exempted
        selector = webhook.namespace_selector
        if isinstance(selector, SelectorParseError):
            return False, errors.internal_error(str(selector))
        if selector.is_empty():
            return True, None
        own = (
            is_namespace and not attributes.subresource and attributes.operation in (CREATE, UPDATE)
        )
        if own:
            labels: Mapping[str, str] = labels_of(attributes.obj) or {}
        else:
            try:
                labels = await self.namespace_labels(namespace)
            except errors.StatusError as err:
                return False, err if err.code == 404 else errors.internal_error(str(err))
        return selector.matches(labels), None

    @staticmethod
    def _object_matches(
        webhook: Webhook, attributes: Attributes
    ) -> tuple[bool, errors.StatusError | None]:
        selector = webhook.object_selector
        if isinstance(selector, SelectorParseError):
            return False, errors.internal_error(str(selector))
        if selector.is_empty():
            return True, None
        for obj in (attributes.obj, attributes.old_obj):
            labels = labels_of(obj)
            if labels is not None and selector.matches(labels):
                return True, None
        return False, None

    def _matching_resource(self, webhook: Webhook, attributes: Attributes) -> Invocation | None:
        requested = GroupVersionResource(attributes.group, attributes.version, attributes.resource)
        namespace = request_namespace(attributes)

        def request_for(resource: GroupVersionResource) -> RequestResource:
            return RequestResource(
                attributes.operation,
                resource.group,
                resource.version,
                resource.resource,
                attributes.subresource,
                namespace,
            )

        if rules_match(webhook.rules, request_for(requested)):
            own = GroupVersionKind(attributes.kind_group, attributes.kind_version, attributes.kind)
            return Invocation(webhook, requested, attributes.subresource, own)
        if webhook.match_policy != "Equivalent":
            return None
        # Equivalents that serve the request's subresource too, with the kind they serve.
        equivalents = [
            (equivalent, served)
            for equivalent in self.equivalents.equivalents(requested)
            if equivalent != requested
            and (served := self.equivalents.kind_for(equivalent, attributes.subresource))
            is not None
        ]
        for rule in webhook.rules:  # earlier rules first
            for equivalent, kind in equivalents:
                if rules_match((rule,), request_for(equivalent)):
                    return Invocation(webhook, equivalent, attributes.subresource, kind)
        return None

    async def invocation(self, webhook: Webhook, attributes: Attributes) -> Invocation | None:
        """How to call ``webhook`` for this request, None to skip it (``ShouldCallHook``
        without the match conditions, which need the converted objects)."""
        namespace_ok, namespace_err = await self._namespace_matches(webhook, attributes)
        if not namespace_ok and namespace_err is None:
            return None
        object_ok, object_err = self._object_matches(webhook, attributes)
        if not object_ok and object_err is None:
            return None
        invocation = self._matching_resource(webhook, attributes)
        if invocation is None:
            return None
        if namespace_err is not None:
            raise namespace_err
        if object_err is not None:
            raise object_err
        return invocation

    def versioned(self, invocation: Invocation, attributes: Attributes) -> VersionedObjects:
        """The request's objects as the webhook sees them (converted when it is
        called with another version of the resource)."""
        requested_kind = GroupVersionKind(
            attributes.kind_group, attributes.kind_version, attributes.kind
        )
        if invocation.kind == requested_kind:
            return VersionedObjects(attributes.obj, attributes.old_obj)
        source = GroupVersionResource(attributes.group, attributes.version, attributes.resource)

        def convert(obj: dict[str, Any] | None) -> dict[str, Any] | None:
            if obj is None:
                return None
            return self.equivalents.convert(obj, source=source, target=invocation.resource)

        return VersionedObjects(convert(attributes.obj), convert(attributes.old_obj))

    def request(
        self, invocation: Invocation, attributes: Attributes, objects: VersionedObjects, uid: str
    ) -> AdmissionRequest:
        """The AdmissionRequest for this invocation."""
        return AdmissionRequest(
            uid=uid,
            kind=invocation.kind,
            resource=invocation.resource,
            sub_resource=invocation.subresource,
            request_kind=GroupVersionKind(
                attributes.kind_group, attributes.kind_version, attributes.kind
            ),
            request_resource=GroupVersionResource(
                attributes.group, attributes.version, attributes.resource
            ),
            request_sub_resource=attributes.subresource,
            name=attributes.name,
            namespace=request_namespace(attributes),
            operation=attributes.operation,
            user=attributes.user,
            obj=objects.obj,
            old_obj=objects.old_obj,
            dry_run=attributes.dry_run,
            options=attributes.options,
        )

    def conditions_match(
        self, invocation: Invocation, attributes: Attributes, objects: VersionedObjects
    ) -> bool:
        """``matchConditions``; raises 403 when one fails to evaluate under ``Fail``."""
        webhook = invocation.webhook
        if not webhook.match_conditions:
            return True
        request = self.request(invocation, attributes, objects, uid="").to_api()
        result = webhook.match_conditions.evaluate(
            {"object": objects.obj, "oldObject": objects.old_obj, "request": request},
            fail_closed=not webhook.ignores_failures,
        )
        if result.error is not None:
            log.warning(
                "Failed evaluating match conditions, failing closed %s: %s",
                webhook.name,
                result.error,
            )
            group = attributes.group
            resource = f"{attributes.resource}.{group}" if group else attributes.resource
            raise errors.forbidden(resource, attributes.name, result.error)
        return result.matches

    # -- calling -------------------------------------------------------------

    async def call(
        self, invocation: Invocation, attributes: Attributes, objects: VersionedObjects
    ) -> AdmissionResponse:
        """Call the webhook and check its answer.

        Raises :class:`CallFailure` (subject to the failure policy) or a
        StatusError (a dry run the webhook cannot take).
        """
        webhook = invocation.webhook
        if attributes.dry_run and webhook.side_effects not in _NO_SIDE_EFFECTS:
            if not webhook.side_effects:
                raise CallFailure(webhook.name, "Webhook SideEffects is nil")
            raise dry_run_unsupported(webhook.name)
        version = review_version(webhook.admission_review_versions)
        if version is None:
            raise CallFailure(
                webhook.name,
                "could not create admission objects: webhook does not accept known "
                "AdmissionReview versions (v1, v1beta1)",
            )
        uid = str(uuid.uuid4())
        review = self.request(invocation, attributes, objects, uid).review(version)
        try:
            answer = await self.client.post(webhook, review)
        except ClientSetupError as err:
            raise CallFailure(webhook.name, f"could not get REST client: {err}") from None
        except CallError as err:
            raise CallFailure(webhook.name, f"failed to call webhook: {err}") from None
        try:
            response = verify_response(answer, uid=uid, version=version, mutating=self.mutating)
        except InvalidResponse as err:
            raise CallFailure(webhook.name, f"received invalid webhook response: {err}") from None
        for key, value in response.audit_annotations.items():
            attributes.annotations[f"{webhook.name}/{key}"] = value
        for warning in response.warnings:
            add_warning(warning)
        return response
