"""API group types: authorization."""
