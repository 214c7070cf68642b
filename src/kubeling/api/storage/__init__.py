"""API group types: storage."""
