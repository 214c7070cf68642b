"""API group types: networking."""
