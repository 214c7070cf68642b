"""The ``kubeling`` command line."""
