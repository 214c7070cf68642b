"""The client library (layer L2): how every kubeling component talks to the API server.

The scheduler, the controller manager, the kubelet, the proxy and DNS never touch the store; they
read and write through this package, exactly as Kubernetes' components use client-go:

- :mod:`~kubeling.client.config`: kubeconfig files and in-cluster config → :class:`ClientConfig`.
- :mod:`~kubeling.client.rest`: :class:`ApiClient` and the verbs of one resource
  (:class:`ResourceClient`), with failures as typed :class:`~kubeling.api.errors.StatusError`.
- :mod:`~kubeling.client.resources`: :class:`Resource` and the built-in resources' constants.
- :mod:`~kubeling.client.informer` and :mod:`~kubeling.client.factory`: shared informers (list,
  watch, relist, resync) and the factory that shares one per resource.
- :mod:`~kubeling.client.cache`: the indexed cache, keys and listers the informers fill.
- :mod:`~kubeling.client.workqueue` and :mod:`~kubeling.client.ratelimit`: the deduplicating,
  rate-limited work queue controllers feed from informer handlers.
- :mod:`~kubeling.client.leaderelection`: one active replica per component, on a Lease.
- :mod:`~kubeling.client.events`: the Event recorder, with client-go's aggregation.

``docs/client.md`` shows a controller loop built from these parts. The names below are the public
API; everything else in the modules is private.
"""

from kubeling.client.cache import (
    NAMESPACE_INDEX,
    DeletedFinalStateUnknown,
    Indexer,
    Lister,
    object_key,
    split_key,
)
from kubeling.client.config import (
    ClientConfig,
    ConfigError,
    in_cluster_config,
    load_client_config,
    load_kubeconfig,
)
from kubeling.client.events import NORMAL, WARNING, EventBroadcaster, EventRecorder
from kubeling.client.factory import SharedInformerFactory
from kubeling.client.informer import SharedInformer, strip_managed_fields
from kubeling.client.leaderelection import LeaderElectionConfig, LeaderElector
from kubeling.client.resources import Resource
from kubeling.client.rest import (
    ApiClient,
    PatchType,
    ResourceClient,
    TransportError,
    WatchEvent,
)
from kubeling.client.workqueue import ShutDown, WorkQueue

__all__ = [
    "NAMESPACE_INDEX",
    "NORMAL",
    "WARNING",
    "ApiClient",
    "ClientConfig",
    "ConfigError",
    "DeletedFinalStateUnknown",
    "EventBroadcaster",
    "EventRecorder",
    "Indexer",
    "LeaderElectionConfig",
    "LeaderElector",
    "Lister",
    "PatchType",
    "Resource",
    "ResourceClient",
    "SharedInformer",
    "SharedInformerFactory",
    "ShutDown",
    "TransportError",
    "WatchEvent",
    "WorkQueue",
    "in_cluster_config",
    "load_client_config",
    "load_kubeconfig",
    "object_key",
    "split_key",
    "strip_managed_fields",
]
