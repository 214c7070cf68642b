"""The kubelet: the node agent that runs the pods bound to its node.

See ``docs/kubelet.md``. :mod:`~kubeling.kubelet.runtime` holds the container runtimes.
"""
