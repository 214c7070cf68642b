"""--token-auth-file: Kubernetes' CSV records, read as Go's encoding/csv reads them."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from kubeling.api.authentication.user import UserInfo
from kubeling.apiserver.authn.token_file import (
    StaticTokens,
    TokenFileError,
    load_token_file,
    parse_token_file,
)


def _parse(data: bytes) -> dict[str, UserInfo]:
    return parse_token_file(data, path="tokens.csv")


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"t1,alice,1001\n", {"t1": UserInfo("alice", uid="1001")}),
        (
            b't1,alice,1001,"dev,ops"\n',
            {"t1": UserInfo("alice", uid="1001", groups=("dev", "ops"))},
        ),
        # a fourth column without quotes holds one group; the fifth is ignored
        (b"t1,alice,1001,dev,ops\n", {"t1": UserInfo("alice", uid="1001", groups=("dev",))}),
        # Go's strings.Split: an empty group column is one empty group
        (b"t1,alice,1001,\n", {"t1": UserInfo("alice", uid="1001", groups=("",))}),
        # blank lines, CRLF, no final newline, several records
        (
            b"\n t1,alice,1\r\n\r\nt2,bob,2",
            {" t1": UserInfo("alice", uid="1"), "t2": UserInfo("bob", uid="2")},
        ),
        # quoted fields: "" is a quote, line breaks are kept
        (b'"t""1","a\nb",3\n', {'t"1': UserInfo("a\nb", uid="3")}),
        # an empty token is skipped, a repeated one replaces the first
        (
            b",nobody,0\nt1,alice,1\nt1,bob,2\n",
            {"t1": UserInfo("bob", uid="2")},
        ),
        # empty user and uid are allowed
        (b"t1,,\n", {"t1": UserInfo("")}),
        (b"", {}),
    ],
)
def test_records(data: bytes, expected: dict[str, UserInfo]) -> None:
    """Each record is a token and its user; Go's CSV rules for quotes and lines."""
    assert _parse(data) == expected


def test_empty_and_repeated_tokens_are_logged(caplog: pytest.LogCaptureFixture) -> None:
    """Kubernetes warns about both, naming the file and the record number."""
    with caplog.at_level(logging.WARNING):
        _parse(b",nobody,0\nt1,a,1\nt1,b,2\n")
    assert [record.getMessage() for record in caplog.records] == [
        "empty token has been found in token file 'tokens.csv', record number '1'",
        "duplicate token has been found in token file 'tokens.csv', record number '3'",
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            b"t1,alice\n",
            "token file 'tokens.csv' must have at least 3 columns (token, user name, user uid), "
            "found 2",
        ),
        (
            b"t1,alice,1\njust-a-token\n",
            "token file 'tokens.csv' must have at least 3 columns (token, user name, user uid), "
            "found 1",
        ),
        (b'to"ken,alice,1\n', 'parse error on line 1, column 3: bare " in non-quoted-field'),
        (b't1,a,1\nt2,b"ob,2\n', 'parse error on line 2, column 5: bare " in non-quoted-field'),
        (
            b'"t1"x,alice,1\n',
            'parse error on line 1, column 4: extraneous or missing " in quoted-field',
        ),
        (
            b'"t1,alice,1\nmore\n',
            'record on line 1; parse error on line 2, column 6: extraneous or missing " in '
            "quoted-field",
        ),
    ],
)
def test_invalid_files(data: bytes, message: str) -> None:
    """Too few columns or broken quoting: the whole file is refused with Go's message."""
    with pytest.raises(TokenFileError) as info:
        _parse(data)
    assert str(info.value) == message


def test_load_reads_the_file(tmp_path: Path) -> None:
    """load_token_file reads a file into the static token authenticator."""
    path = tmp_path / "tokens.csv"
    path.write_text('secret-1,alice,1001,"dev"\n')
    tokens = load_token_file(path)
    assert isinstance(tokens, StaticTokens)
    assert len(tokens) == 1


def test_load_a_missing_file(tmp_path: Path) -> None:
    """A file that cannot be opened: Go's open error, not a traceback."""
    path = tmp_path / "missing.csv"
    with pytest.raises(TokenFileError) as info:
        load_token_file(path)
    assert str(info.value) == f"open {path}: No such file or directory"


async def test_static_tokens_verify() -> None:
    """A listed token is its user, any other token is not theirs (None, never an error)."""
    tokens = StaticTokens({"secret-1": UserInfo("alice", uid="1")})
    found = await tokens.verify("secret-1", audiences=["api"])
    assert found is not None
    assert found.user == UserInfo("alice", uid="1")
    assert await tokens.verify("secret-2", audiences=["api"]) is None
    assert await tokens.verify("", audiences=["api"]) is None
