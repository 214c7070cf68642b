"""Custom resources: CRDs served through the same machinery as built-ins."""
