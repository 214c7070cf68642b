"""Authorization: who may do what, as Kubernetes 1.32 decides it.

``attributes`` (what a request asks) → ``chain`` (``system:masters``, then
the configured modes: ``rbac`` over ``policy`` from ``policy_source``) →
allowed, or ``forbidden`` with Kubernetes' message. Around it: the default
policy (``bootstrappolicy``, ensured at start by ``bootstrap`` through
``reconcile``), ClusterRole ``aggregation``, privilege ``escalation``
prevention on RBAC writes, the access ``reviews``, and the ``impersonation``
authorizer authentication asks (import it from its module: it depends on
``authn``). ``context`` carries the requesting user
down to the RBAC writes. See docs/architecture.md ("Authorization").
"""

from kubeling.apiserver.authz.attributes import (
    Attributes,
    forbidden,
    forbidden_message,
    request_attributes,
)
from kubeling.apiserver.authz.authorizer import Authorizer, Decision, Result, RuleResolver
from kubeling.apiserver.authz.chain import Authorization, build_authorization
from kubeling.apiserver.authz.context import acting_as, requesting_user, serving
from kubeling.apiserver.authz.user import LOOPBACK, UNSECURED

__all__ = [
    "LOOPBACK",
    "UNSECURED",
    "Attributes",
    "Authorization",
    "Authorizer",
    "Decision",
    "Result",
    "RuleResolver",
    "acting_as",
    "build_authorization",
    "forbidden",
    "forbidden_message",
    "request_attributes",
    "requesting_user",
    "serving",
]
