"""API group types: autoscaling."""
