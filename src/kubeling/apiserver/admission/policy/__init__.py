"""ValidatingAdmissionPolicy: CEL policies enforced by the API server itself.

A ValidatingAdmissionPolicy says what to check (CEL ``validations`` over the
object, the old object, the request, params and the namespace) and which
requests it may apply to; a ValidatingAdmissionPolicyBinding turns it on for
some of those requests, with its params and its ``validationActions`` (Deny,
Warn, Audit). The modules, in the order a request meets them:

==================  ==========================================================
``sources``         policies, bindings, namespaces and params from the caches
``matching``        matchConstraints / matchResources against the request
``params``          the param objects a binding's paramRef finds
``expressions``     compiling a policy's CEL (also refusing bad policies at write)
``request``         the ``request`` and ``namespaceObject`` values
``authorizer``      the ``authorizer`` value, answered by the API server's authorizer
``validator``       one evaluation: decisions and audit annotations (sans-IO)
``plugin``          the admission plugin: dispatch, Deny/Warn/Audit, the error
==================  ==========================================================

Construct it with the API server's registry and add it to the chain after
MutatingAdmissionWebhook and before ValidatingAdmissionWebhook::

    chain.add(
        ValidatingAdmissionPolicyPlugin(
            RegistrySources(registry), authorizer=authorization.authorizer
        )
    )
"""

from kubeling.apiserver.admission.policy.plugin import (
    PLUGIN_NAME,
    VALIDATION_FAILURE_ANNOTATION,
    ValidatingAdmissionPolicyPlugin,
)
from kubeling.apiserver.admission.policy.sources import PolicySources, RegistrySources

__all__ = [
    "PLUGIN_NAME",
    "VALIDATION_FAILURE_ANNOTATION",
    "PolicySources",
    "RegistrySources",
    "ValidatingAdmissionPolicyPlugin",
]
