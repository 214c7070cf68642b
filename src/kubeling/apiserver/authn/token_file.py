"""Static tokens: ``--token-auth-file``, Kubernetes' CSV of ``token,user,uid,"group1,group2"``.

The file is read once, at start, as kube-apiserver reads it
(``token/tokenfile``): each record is ``token,user name,user uid`` and an
optional fourth column of comma-separated groups (quoted, since it holds
commas); further columns are ignored. A record with fewer than three columns
makes the whole file invalid; a record with an empty token is skipped, and a
repeated token replaces the earlier one, each with a warning in the log.

The CSV is read as Go's ``encoding/csv`` reads it, so that a file kube-apiserver
accepts is accepted here and one it refuses is refused with its message: blank
lines skipped, ``\\r\\n`` and ``\\n`` both ends of line, fields quoted with
``"`` (``""`` inside for a quote, line breaks allowed), a quote inside an
unquoted field an error (``parse error on line 1, column 6: bare " in
non-quoted-field``). No spaces are trimmed and there are no comments.

>>> tokens = parse_token_file(b'31ada4fd,alice,1001,"dev,ops"\\n', path="t.csv")
>>> tokens["31ada4fd"]
UserInfo(name='alice', uid='1001', groups=('dev', 'ops'), extra={})
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from kubeling.api.authentication.user import UserInfo
from kubeling.apiserver.authn.interface import Authenticated

__all__ = ["StaticTokens", "TokenFileError", "load_token_file", "parse_token_file"]

log = logging.getLogger(__name__)

_BARE_QUOTE = 'bare " in non-quoted-field'
_QUOTE = 'extraneous or missing " in quoted-field'
_FOUND = "%s token has been found in token file '%s', record number '%d'"


class TokenFileError(ValueError):
    """The token file cannot be read or is not a valid token file."""


class StaticTokens:
    """The users of a token file, by token (audience-agnostic: see ``authn.audiences``)."""

    def __init__(self, tokens: Mapping[str, UserInfo]) -> None:
        self._tokens = dict(tokens)

    def __len__(self) -> int:
        return len(self._tokens)

    async def verify(self, token: str, *, audiences: Sequence[str]) -> Authenticated | None:
        """The token's user; None for a token not in the file (never an error)."""
        user = self._tokens.get(token)
        return Authenticated(user) if user is not None else None


def load_token_file(path: Path) -> StaticTokens:
    """The tokens of the file at ``path``; :class:`TokenFileError` if it cannot be used."""
    try:
        data = path.read_bytes()
    except OSError as err:
        raise TokenFileError(f"open {path}: {err.strerror or err}") from err
    return StaticTokens(parse_token_file(data, path=str(path)))


def parse_token_file(data: bytes, *, path: str) -> dict[str, UserInfo]:
    """The users of a token file's contents, by token (``path`` names it in messages)."""
    tokens: dict[str, UserInfo] = {}
    number = 0
    for fields in _csv_records(data):
        if len(fields) < 3:
            raise TokenFileError(
                f"token file '{path}' must have at least 3 columns (token, user name, user uid), "
                f"found {len(fields)}"
            )
        number += 1
        token, name, uid = fields[0], fields[1], fields[2]
        if not token:
            log.warning(_FOUND, "empty", path, number)
            continue
        if token in tokens:
            log.warning(_FOUND, "duplicate", path, number)
        # Go's strings.Split: an empty fourth column is one empty group, as upstream.
        groups = tuple(fields[3].split(",")) if len(fields) >= 4 else ()
        tokens[token] = UserInfo(name=name, uid=uid, groups=groups)
    return tokens


# -- Go's encoding/csv ----------------------------------------------------------------


class _Lines:
    """Lines as Go's csv reader reads them: ``\\r\\n`` becomes ``\\n``, a last line may
    end without one (and loses a trailing ``\\r``); ``number`` counts every read."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._at = 0
        self.number = 0

    def read(self) -> bytes | None:
        """The next line, None at the end."""
        self.number += 1
        if self._at >= len(self._data):
            return None
        end = self._data.find(b"\n", self._at)
        if end < 0:
            line = self._data[self._at :]
            self._at = len(self._data)
            if line.endswith(b"\r"):
                line = line[:-1]
        else:
            line = self._data[self._at : end + 1]
            self._at = end + 1
        if line.endswith(b"\r\n"):
            line = line[:-2] + b"\n"
        return line


def _newline_length(line: bytes) -> int:
    return 1 if line.endswith(b"\n") else 0


def _parse_error(start: int, line: int, column: int, error: str) -> TokenFileError:
    if start != line:
        return TokenFileError(
            f"record on line {start}; parse error on line {line}, column {column}: {error}"
        )
    return TokenFileError(f"parse error on line {line}, column {column}: {error}")


def _csv_records(data: bytes) -> Iterator[list[str]]:
    """Every record of ``data``, fields decoded as UTF-8 (undecodable bytes kept as escapes)."""
    lines = _Lines(data)
    while True:
        line = lines.read()
        while line is not None and len(line) == _newline_length(line):
            line = lines.read()  # blank lines are skipped
        if line is None:
            return
        yield [field.decode("utf-8", "surrogateescape") for field in _record(line, lines)]


def _record(line: bytes, lines: _Lines) -> list[bytes]:
    """The fields of the record starting with ``line`` (reading on for quoted line breaks)."""
    start = lines.number
    fields: list[bytes] = []
    row, column = start, 1
    while True:
        if not line.startswith(b'"'):
            comma = line.find(b",")
            field = line[:comma] if comma >= 0 else line[: len(line) - _newline_length(line)]
            quote = field.find(b'"')
            if quote >= 0:
                raise _parse_error(start, lines.number, column + quote, _BARE_QUOTE)
            fields.append(field)
            if comma < 0:
                return fields
            line = line[comma + 1 :]
            column += comma + 1
            continue
        # a quoted field, possibly over several lines
        value = bytearray()
        line = line[1:]
        column += 1
        while True:
            quote = line.find(b'"')
            if quote >= 0:
                value += line[:quote]
                line = line[quote + 1 :]
                column += quote + 1
                if line.startswith(b'"'):  # "" is a quote
                    value += b'"'
                    line = line[1:]
                    column += 1
                elif line.startswith(b","):  # the field ends, the record goes on
                    line = line[1:]
                    column += 1
                    fields.append(bytes(value))
                    break
                elif len(line) == _newline_length(line):  # the record ends
                    fields.append(bytes(value))
                    return fields
                else:
                    raise _parse_error(start, lines.number, column - 1, _QUOTE)
            elif line:
                value += line  # a line break inside the quotes: read on
                column += len(line)
                line = lines.read() or b""
                if line:
                    row, column = row + 1, 1
            else:
                raise _parse_error(start, row, column, _QUOTE)
