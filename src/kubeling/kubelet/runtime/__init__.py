"""Container runtimes: the CRI-shaped interface and its implementations.

- :mod:`~kubeling.kubelet.runtime.interface`: :class:`RuntimeService` and its types.
- :mod:`~kubeling.kubelet.runtime.process`: the ``process`` runtime (host process groups).
- :mod:`~kubeling.kubelet.runtime.shim`: the per-container supervisor it uses.
- :mod:`~kubeling.kubelet.runtime.crilog`: the CRI log format, rotation and parsing.
- :mod:`~kubeling.kubelet.runtime.cgroups`: per-container cgroups, where permitted.
"""
