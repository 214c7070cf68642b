"""API group types: rbac."""
