"""API group types: apiextensions."""
