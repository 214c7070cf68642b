"""Admission: what may be written, and what it must get, once a request is authorized.

``interfaces`` (the Attributes a plugin sees, the plugin base), ``chain`` (both
phases, in order), ``errors`` (the plugins' 403), ``lookup`` (how plugins
read other objects), one module per upstream plugin, and ``plugins``, which
builds the API server's chain in Kubernetes' order. The REST stores
(``rest/resource_store.py``) and the subresource handlers run the chain.
"""
