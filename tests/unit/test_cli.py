"""The kubeling command line."""

from __future__ import annotations

from pathlib import Path

import pytest

from kubeling.cli.main import main


def test_up_opens_the_datastore_in_the_data_dir(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`kubeling up` creates the sqlite store in --data-dir and reports its revision."""
    assert main(["up", "--data-dir", str(tmp_path / "data")]) == 0
    assert (tmp_path / "data" / "state.db").exists()
    assert "revision 1" in capsys.readouterr().out


def test_bad_datastore_url_is_a_clean_error(capsys: pytest.CaptureFixture[str]) -> None:
    """An unknown scheme gives one error line and exit status 1, no traceback."""
    assert main(["store-info", "--datastore", "nosuch://x"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("kubeling: error: unknown datastore scheme")
    assert "Traceback" not in err
