"""Unit tests of the L0 api package."""
