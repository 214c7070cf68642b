"""The resource registry: every resource (built-in or CRD) declared once."""
