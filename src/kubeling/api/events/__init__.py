"""API group types: events."""
