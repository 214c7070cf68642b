"""API group types: apps."""
