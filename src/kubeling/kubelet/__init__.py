"""The kubelet: the node agent that runs the pods bound to its node (docs/kubelet.md)."""
