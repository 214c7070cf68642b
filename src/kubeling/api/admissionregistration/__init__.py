"""API group types: admissionregistration."""
