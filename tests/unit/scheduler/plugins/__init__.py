"""Table-driven tests, one module per plugin."""
