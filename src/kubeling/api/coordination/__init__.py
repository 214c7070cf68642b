"""API group types: coordination."""
