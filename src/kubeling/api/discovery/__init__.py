"""API group types: discovery."""
