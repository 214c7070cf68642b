"""The API's pure foundations (layer L0): no I/O, no asyncio, no storage.

Everything here reproduces a piece of k8s.io/apimachinery closely enough that
kubectl and the official clients cannot tell the difference: the wire
``Status`` errors and field-path validation errors, label and field selectors,
resource quantities, and the DNS-style name rules. Higher layers import these
modules directly (``kubeling.api.errors``, ``kubeling.api.labels``, ...).
"""
