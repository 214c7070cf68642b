"""``kubeling simulate``'s flags: bad values are refused with a message before anything runs."""

from __future__ import annotations

import pytest

from kubeling.cli.main import main
from kubeling.cli.simulate import parse_fraction


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--nodes", "0"], "--nodes must be between 1 and 32768: 0"),
        (["--nodes", "40000"], "--nodes must be between 1 and 32768"),
        (["--nodes", "5", "--memory", "lots"], "quantities must match"),
        (["--nodes", "5", "--start-delay", "soon"], 'invalid duration "soon"'),
        (["--nodes", "5", "--exit-after=-1s"], "must not be negative"),
        (["--nodes", "5", "--fail-nodes", "200%"], "'200%' is not a fraction"),
        (["--nodes", "5", "--failure-rate", "2"], "failure rate 2.0 is not between 0 and 1"),
        (["--nodes", "5", "--node-labels", "novalue"], "invalid node label 'novalue'"),
        (["--nodes", "5", "--name-prefix", "Sim_"], "invalid --name-prefix 'Sim_'"),
    ],
)
def test_bad_flags_are_refused(
    flags: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # The server is never reached: the flags are checked first.
    argv = ["simulate", "--server", "https://127.0.0.1:1", "--token", "t", *flags]
    assert main(argv) == 1
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(
    ("text", "value"), [("10%", 0.1), ("0%", 0.0), ("100%", 1.0), ("0.25", 0.25), ("1", 1.0)]
)
def test_fractions(text: str, value: float) -> None:
    assert parse_fraction(text) == pytest.approx(value)


@pytest.mark.parametrize("text", ["101%", "-1%", "1.5", "ten"])
def test_bad_fractions(text: str) -> None:
    with pytest.raises(ValueError, match=r"fraction|could not convert"):
        parse_fraction(text)
