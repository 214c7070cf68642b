"""API group types: scheduling."""
