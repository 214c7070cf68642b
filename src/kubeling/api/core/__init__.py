"""API group types: core."""
