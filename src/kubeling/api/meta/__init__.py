"""API group types: meta."""
