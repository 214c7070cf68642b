"""API group types: policy."""
