"""Scheduler unit tests."""
