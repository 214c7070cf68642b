"""The scheduler (placeholder while it is built)."""
