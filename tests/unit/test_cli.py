"""The kubeling command line."""

from __future__ import annotations

import pytest

from kubeling.cli.main import main


def test_bad_datastore_url_is_a_clean_error(capsys: pytest.CaptureFixture[str]) -> None:
    """An unknown scheme gives one error line and exit status 1, no traceback."""
    assert main(["store-info", "--datastore", "nosuch://x"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("kubeling: error: unknown datastore scheme")
    assert "Traceback" not in err


def test_store_info_reports_a_fresh_store(capsys: pytest.CaptureFixture[str]) -> None:
    """store-info prints the revision and key count of a datastore."""
    assert main(["store-info", "--datastore", "memory://"]) == 0
    assert capsys.readouterr().out.splitlines() == ["revision=1", "compacted=0", "keys=0"]


def test_dns_refuses_a_bad_upstream(capsys: pytest.CaptureFixture[str]) -> None:
    """A malformed --upstream is a usage error, before anything connects."""
    with pytest.raises(SystemExit) as exit_info:
        main(["dns", "--upstream", "nonsense:53"])
    assert exit_info.value.code == 2
    assert "not an ADDRESS[:PORT]: 'nonsense:53'" in capsys.readouterr().err
