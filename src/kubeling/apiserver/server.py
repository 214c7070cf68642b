"""Running the API server: the store, the registry, TLS, and what exists at start.

``ApiServer`` is a component with ``start``/``stop`` (STYLE §12): ``start``
opens the store, registers the built-in resources with their strategies,
creates what Kubernetes bootstraps (the namespaces default, kube-system,
kube-public and kube-node-lease, the ``kubernetes`` Service and the system
PriorityClasses), and serves HTTPS. ``stop`` undoes it in reverse order.
Every write, the server's own included, goes through the admission chain
(``admission.plugins``), built before any resource is registered.

With TLS, every request is authenticated (``apiserver.authn``): a client
certificate signed by the cluster CA, or a bearer token (static tokens from
``token_auth_file``, service account tokens, bootstrap tokens); without
credentials it is ``system:anonymous`` (unless ``anonymous_auth`` is off or
``anonymous_paths`` leaves the path out: then 401). Impersonation headers are
then applied, each checked by the authorizer. Without TLS (tests only) every
request is an unsecured superuser. Every request is then authorized
(``authz``): ``system:masters`` may do anything, others what RBAC grants them.
The default RBAC policy is reconciled before the server takes requests, and
the ClusterRole aggregation controller runs here with the CRD controllers.

With a service account signing key the server is also a token issuer, as
kube-apiserver is with ``--service-account-signing-key-file`` and
``--service-account-issuer``: it serves ``serviceaccounts/<name>/token``,
answers TokenReviews for its tokens and publishes the OIDC discovery
documents. Without one, those are not served (404), as in Kubernetes.

With ``encryption_provider_config`` (``--encryption-provider-config``) the
resources it names are encrypted at rest (``apiserver.encryption``); a file
that cannot be used stops the start, before the store is opened. A resource
whose stored objects cannot be decrypted (a key removed too early) does not:
its lists and watches answer 500 until the key is configured again, as
kube-apiserver's do.
"""

from __future__ import annotations

import asyncio
import copy
import ipaddress
import logging
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import rsa

from kubeling.api import errors
from kubeling.apiserver.admission.plugins import admission_chain, check_disabled, install_plugins
from kubeling.apiserver.admission.priority import SYSTEM_PRIORITY_CLASSES
from kubeling.apiserver.app import ApiServerApp
from kubeling.apiserver.auth.issuer_discovery import IssuerDiscovery, discovery_available
from kubeling.apiserver.auth.serviceaccount_tokens import (
    DEFAULT_ISSUER,
    LOOKUP_PLURALS,
    ObjectLookup,
    ServiceAccountTokens,
)
from kubeling.apiserver.authn.chain import build_chain
from kubeling.apiserver.authn.impersonation import Impersonation, ImpersonationAuthorizer
from kubeling.apiserver.authn.token_file import StaticTokens, load_token_file
from kubeling.apiserver.authz.aggregation import AggregationController
from kubeling.apiserver.authz.bootstrap import ensure_bootstrap_policy
from kubeling.apiserver.authz.chain import DEFAULT_MODES as DEFAULT_AUTHORIZATION_MODES
from kubeling.apiserver.authz.chain import Authorization, build_authorization
from kubeling.apiserver.authz.escalation import EscalationGuard
from kubeling.apiserver.authz.policy_source import rbac_store
from kubeling.apiserver.customresources.controller import CrdController
from kubeling.apiserver.customresources.establishing_controller import EstablishingController
from kubeling.apiserver.customresources.finalizer import FinalizingController
from kubeling.apiserver.customresources.naming_controller import NamingController
from kubeling.apiserver.customresources.registrar import CustomResourceRegistrar
from kubeling.apiserver.encryption import ResourceTransformers, load_encryption_config
from kubeling.apiserver.kubelet_proxy import KubeletProxy
from kubeling.apiserver.node_join import NodeJoin
from kubeling.apiserver.openapi_http import make_handler
from kubeling.apiserver.registry.builtin import builtin_resources
from kubeling.apiserver.registry.registry import Registry, StoredResource
from kubeling.apiserver.request_seats import DEFAULT_SEATS, RequestSeats
from kubeling.apiserver.resource_metrics import SUMMARY_PATH, ResourceMetrics
from kubeling.apiserver.rest.options import WriteOptions
from kubeling.apiserver.rest.pod_location import node_kubelet_location
from kubeling.apiserver.rest.strategy import Strategy
from kubeling.apiserver.rest.token_request import TokenRequests
from kubeling.apiserver.service_endpoints import reconcile_service_endpoints
from kubeling.apiserver.strategies import core_strategies
from kubeling.apiserver.strategies.groups import group_strategies
from kubeling.pki import Pki
from kubeling.storage import Store, TransformError, open_store

__all__ = ["ApiServer", "ApiServerConfig"]

log = logging.getLogger("kubeling.apiserver")

#: How long a kubelet may take to answer for its summary stats (metrics-server's 10 s).
SUMMARY_TIMEOUT_SECONDS = 10.0

SYSTEM_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")


@dataclass(frozen=True, slots=True)
class ApiServerConfig:
    """Everything the API server needs to run."""

    datastore: str
    bind_address: str = "127.0.0.1"
    port: int = 6443
    ssl_context: ssl.SSLContext | None = None
    service_cidr: str = "127.96.0.0/16"
    node_port_range: tuple[int, int] = (30000, 32767)
    advertise_address: str = "127.0.0.1"
    #: Signs service account tokens (``--service-account-signing-key-file``);
    #: None: no TokenRequest, no token reviews of ours, no OIDC discovery.
    service_account_signing_key: rsa.RSAPrivateKey | None = None
    #: ``iss`` of issued tokens (``--service-account-issuer``).
    service_account_issuer: str = DEFAULT_ISSUER
    #: The API server's audiences (``--api-audiences``); empty: the issuer.
    api_audiences: tuple[str, ...] = ()
    #: Longest token lifetime granted, seconds (``--service-account-max-token-
    #: expiration``); 0: no maximum.
    service_account_max_token_expiration: int = 0
    #: TLS to kubelets (``--kubelet-client-certificate``, ``--kubelet-certificate-authority``):
    #: the API server's client identity, and the CA kubelets' serving certs chain to. None:
    #: the system's trust store and no client certificate.
    kubelet_client_ssl_context: ssl.SSLContext | None = None
    #: Requests without credentials are ``system:anonymous`` (``--anonymous-auth``).
    anonymous_auth: bool = True
    #: The paths anonymous requests may reach (``anonymous.conditions``); None:
    #: every path, Kubernetes' default: the authorizer decides what they may do
    #: (RBAC's ``system:public-info-viewer`` lets them read the public paths).
    anonymous_paths: frozenset[str] | None = None
    #: Static bearer tokens, Kubernetes' CSV (``--token-auth-file``).
    token_auth_file: Path | None = None
    #: Bootstrap tokens (``--enable-bootstrap-token-auth``; on, as kubeadm sets it).
    enable_bootstrap_token_auth: bool = True
    #: Who may impersonate whom; None: the authorizers below decide (RBAC).
    impersonation_authorizer: ImpersonationAuthorizer | None = None
    #: The cluster's PKI: serves ``/cacerts`` and signs the kubelet client certificates of
    #: nodes joining with a bootstrap token (``/kubeling/v1/join``); None: neither is served.
    pki: Pki | None = None
    #: ``--encryption-provider-config``: an EncryptionConfiguration file; None: nothing
    #: is encrypted at rest.
    encryption_provider_config: Path | None = None
    #: ``--authorization-mode``: ``Node``, ``RBAC`` and/or ``AlwaysAllow``, in order.
    authorization_modes: tuple[str, ...] = DEFAULT_AUTHORIZATION_MODES
    #: Admission plugins left out of the chain (``--disable-admission-plugins``).
    disable_admission_plugins: frozenset[str] = frozenset()
    #: ``--max-requests-inflight``: resource requests served at once, the rest waiting in a
    #: line per user (``system:masters``, node heartbeats, watches and streams never wait; see
    #: ``request_seats``).
    max_requests_inflight: int = DEFAULT_SEATS
    extra: dict[str, Any] = field(default_factory=dict)


def _object_lookup(registry: Registry) -> ObjectLookup:
    """Reads the live objects tokens name, straight from the store (None if missing)."""

    async def lookup(kind: str, namespace: str, name: str) -> dict[str, Any] | None:
        rest = registry.lookup("", "v1", LOOKUP_PLURALS[kind])
        assert rest is not None
        try:
            return await rest.get(namespace, name)
        except errors.StatusError as err:
            if err.code == 404:
                return None
            raise

    return lookup


def _strategies(
    store: Store, config: ApiServerConfig, escalation: EscalationGuard
) -> dict[tuple[str, str], Strategy]:
    """The strategies of built-in resources, by (group, plural)."""
    out: dict[tuple[str, str], Strategy] = {
        ("", plural): strategy
        for plural, strategy in core_strategies(
            store,
            service_cidr=config.service_cidr,
            node_port_range=config.node_port_range,
        ).items()
    }
    out.update(group_strategies(escalation=escalation))
    return out


class ApiServer:
    """The API server component."""

    def __init__(self, config: ApiServerConfig) -> None:
        self.config = config
        self.store: Store | None = None
        self.registry: Registry | None = None
        self._runner: web.AppRunner | None = None
        self.port = config.port
        self.ready = asyncio.Event()
        self._crds: CustomResourceRegistrar | None = None
        #: The token issuer and verifier, when the server has a signing key.
        self.tokens: ServiceAccountTokens | None = None
        #: The in-process controllers (CRDs, ClusterRole aggregation).
        self._crd_controllers: list[CrdController] = []
        self._kubelet_proxy: KubeletProxy | None = None
        self.authorization: Authorization | None = None

    async def start(self) -> None:
        config = self.config
        # A bad token file stops the start before anything is opened.
        static_tokens: StaticTokens | None = None
        if config.token_auth_file is not None:
            static_tokens = await asyncio.to_thread(load_token_file, config.token_auth_file)
        check_disabled(config.disable_admission_plugins)
        # So does an encryption configuration that cannot be used.
        transformers: ResourceTransformers | None = None
        if config.encryption_provider_config is not None:
            transformers = await asyncio.to_thread(
                load_encryption_config, config.encryption_provider_config
            )
        self.store = store = await open_store(config.datastore)
        registry = Registry(store, transformers=transformers)
        # Every write is admitted, the server's own included: each store gets the
        # chain, whose plugins are built once every built-in resource is registered.
        registry.admission = admission = admission_chain()
        # The authorizers read the RBAC resources' caches (once registered
        # below); the RBAC strategies refuse escalating writes with them.
        self.authorization = authorization = build_authorization(
            registry, config.authorization_modes
        )
        strategies = _strategies(store, config, authorization.escalation)
        for resource in builtin_resources():
            registry.add(resource, strategies.get((resource.group, resource.plural)))
        install_plugins(
            admission,
            registry,
            authorizer=authorization.authorizer,
            disabled=config.disable_admission_plugins,
        )
        self.registry = registry
        await self._bootstrap()
        # Watch caches follow the store from start-up, so that any resourceVersion
        # handed out since then can be watched from.
        await asyncio.gather(*(_start_cache(stored) for stored in registry.stored_resources()))
        # The default roles and bindings, before anyone is authorized by them.
        await ensure_bootstrap_policy(registry)
        self._crds = CustomResourceRegistrar(registry)
        await self._crds.start()
        token_requests, issuer_discovery = None, None
        lookup = _object_lookup(registry)
        if config.service_account_signing_key is not None:
            self.tokens = ServiceAccountTokens(
                signing_key=config.service_account_signing_key,
                lookup=lookup,
                issuer=config.service_account_issuer,
                api_audiences=config.api_audiences,
            )
            token_requests = TokenRequests(
                self.tokens,
                lookup,
                max_expiration_seconds=config.service_account_max_token_expiration,
            )
            if discovery_available(config.service_account_issuer):
                issuer_discovery = IssuerDiscovery(
                    issuer=self.tokens.issuer,
                    public_key=self.tokens.public_key,
                    key_id=self.tokens.key_id,
                )
        # The apiextensions controllers run in this process, as in Kubernetes.
        crds = registry.lookup("apiextensions.k8s.io", "v1", "customresourcedefinitions")
        assert crds is not None
        self._crd_controllers = [
            NamingController(crds),
            EstablishingController(crds),
            FinalizingController(crds, instance_store=registry.store_for),
            AggregationController(rbac_store(registry, "clusterroles"), authorization.policy),
        ]
        for controller in self._crd_controllers:
            await controller.start()
        pods = registry.lookup("", "v1", "pods")
        nodes = registry.lookup("", "v1", "nodes")
        assert pods is not None
        assert nodes is not None
        self._kubelet_proxy = KubeletProxy(
            pods, nodes, ssl_context=config.kubelet_client_ssl_context
        )
        kubelets = self._kubelet_proxy

        async def fetch_summary(node: Mapping[str, Any]) -> dict[str, Any]:
            summary = await kubelets.get_json(
                node_kubelet_location(node), SUMMARY_PATH, seconds=SUMMARY_TIMEOUT_SECONDS
            )
            return summary if isinstance(summary, dict) else {}

        chain = build_chain(
            # Kubernetes' --api-audiences default to the service account issuer.
            api_audiences=config.api_audiences or (config.service_account_issuer,),
            static_tokens=static_tokens,
            service_account_tokens=self.tokens,
            bootstrap_secrets=lookup if config.enable_bootstrap_token_auth else None,
            anonymous=config.anonymous_auth,
            anonymous_paths=config.anonymous_paths,
        )
        app = ApiServerApp(
            registry,
            authentication=chain.authentication if config.ssl_context is not None else None,
            impersonation=(
                Impersonation(config.impersonation_authorizer)
                if config.impersonation_authorizer is not None
                else None
            ),
            server_address=f"{config.advertise_address}:{config.port}",
            seats=RequestSeats(config.max_requests_inflight),
            openapi=make_handler(registry),
            token_reviewer=chain.token_reviewer,
            token_requests=token_requests,
            issuer_discovery=issuer_discovery,
            kubelet_proxy=self._kubelet_proxy,
            resource_metrics=ResourceMetrics(nodes, pods, fetch_summary),
            node_join=NodeJoin(config.pki, _object_lookup(registry)) if config.pki else None,
            authorization=authorization,
        )
        self._runner = web.AppRunner(app.app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(
            self._runner,
            config.bind_address,
            config.port,
            ssl_context=config.ssl_context,
            reuse_address=True,
        )
        await site.start()
        server = getattr(site, "_server", None)
        sockets = getattr(server, "sockets", None) or []
        if sockets:
            self.port = int(sockets[0].getsockname()[1])
        app.server_address = f"{config.advertise_address}:{self.port}"
        # Pods reach the API at the kubernetes Service once its endpoints say where it is.
        await reconcile_service_endpoints(registry, ip=config.advertise_address, port=self.port)
        self.ready.set()
        log.info("API server listening on %s:%d", config.bind_address, self.port)

    async def stop(self) -> None:
        # End the open watches and pod streams first (their handlers would otherwise
        # hold the shutdown), then stop taking requests, then the caches, then the store.
        if self.registry is not None:
            for stored in self.registry.stored_resources():
                stored.cache.end_watches()
        if self._kubelet_proxy is not None:
            await self._kubelet_proxy.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        # The CRD controllers write through the registry: stop them before
        # the registrar and the caches they read.
        for controller in reversed(self._crd_controllers):
            await controller.stop()
        self._crd_controllers = []
        if self._crds is not None:
            await self._crds.stop()
        if self.registry is not None:
            caches = [stored.cache for stored in self.registry.stored_resources()]
            caches += self.registry.retired_caches()
            await asyncio.gather(*(cache.stop() for cache in caches))
        if self.store is not None:
            await self.store.close()
            self.store = None

    async def _bootstrap(self) -> None:
        """Create what every cluster has from the start (idempotent)."""
        assert self.registry is not None
        namespaces = self.registry.lookup("", "v1", "namespaces")
        services = self.registry.lookup("", "v1", "services")
        assert namespaces is not None
        assert services is not None
        options = WriteOptions()
        for name in SYSTEM_NAMESPACES:
            try:
                await namespaces.create("", {"metadata": {"name": name}}, options)
            except errors.StatusError as err:
                if err.code != 409:
                    raise
        # The scheduling storage's post-start hook: the two system priority classes.
        priority_classes = self.registry.lookup("scheduling.k8s.io", "v1", "priorityclasses")
        assert priority_classes is not None
        for priority_class in SYSTEM_PRIORITY_CLASSES:
            try:
                await priority_classes.create("", copy.deepcopy(priority_class), options)
            except errors.StatusError as err:
                if err.code != 409:
                    raise
        kubernetes = {
            "metadata": {
                "name": "kubernetes",
                "namespace": "default",
                "labels": {"component": "apiserver", "provider": "kubernetes"},
            },
            "spec": {
                "type": "ClusterIP",
                "clusterIP": _first_ip(self.config.service_cidr),
                "ports": [
                    {
                        "name": "https",
                        "port": 443,
                        "protocol": "TCP",
                        "targetPort": self.config.port or 6443,
                    }
                ],
                "sessionAffinity": "None",
            },
        }
        try:
            await services.get("default", "kubernetes")
        except errors.StatusError as missing:
            if missing.code != 404:
                raise
        else:
            return  # a restart: it exists, and its ClusterIP is taken (by it)
        try:
            await services.create("default", kubernetes, options)
        except errors.StatusError as err:
            if err.code != 409:
                raise


async def _start_cache(stored: StoredResource) -> None:
    """Start a watch cache; one whose objects cannot be decrypted stays unstarted
    (each read that needs it tries again and answers 500), as kube-apiserver's
    cacher keeps retrying its list. The log names the key, never the value."""
    try:
        await stored.cache.ensure_started()
    except TransformError as err:
        log.error(
            "watch cache of %s not started: %s",
            stored.group_resource,
            f'unable to transform key "{err.key}": {err.reason}',
        )


def _first_ip(cidr: str) -> str:
    return str(next(ipaddress.ip_network(cidr).hosts()))
