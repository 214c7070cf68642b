"""Fixtures and hooks shared by every tier."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from tests.support.mounts import detach_all_under


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Before pytest deletes its old temporary directories: detach mounts a test run that was
    killed left in them (only in those pytest is deleting, ``garbage-*``, never in the
    directories of a session that may still run)."""
    for garbage in Path(tempfile.gettempdir()).glob("pytest-of-*/garbage-*"):
        detach_all_under(garbage)
