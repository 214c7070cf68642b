"""The API server: the Kubernetes REST API over the store.

The only component that imports ``kubeling.storage``. Requests pass
authentication, authorization and admission, then the generic REST handlers,
which read each resource's declaration in the registry.
"""
