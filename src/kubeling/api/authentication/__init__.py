"""API group types: authentication."""
