"""The controller manager: level-triggered control loops over the API.

Each controller is one module with a ``sync(key)`` that can run again at any
time (:mod:`~kubeling.controllers.base`); :mod:`~kubeling.controllers.manager`
builds them over one client, one informer factory and one event broadcaster,
and runs them while it holds the ``kube-controller-manager`` Lease. They talk
to the API server only through :mod:`kubeling.client`, never to the store.
"""
