"""API group types: batch."""
