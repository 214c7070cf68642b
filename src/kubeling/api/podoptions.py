"""The query options of a pod's ``log``, ``exec``, ``attach`` and ``portforward`` requests.

The API server reads ``PodLogOptions``, ``PodExecOptions``, ``PodAttachOptions`` and
``PodPortForwardOptions`` from the query string with apimachinery's parameter codec, and the
kubelet reads the same log options again from the query the API server forwards. Both use this
module, so that the two agree.

Query conversion is apimachinery's (``runtime/conversion.go``):

- a boolean is false only when absent, ``false`` or ``0`` (any case); anything else, even an
  empty value, is true;
- an integer goes through ``strconv.ParseInt``, whose error text becomes a 400 BadRequest;
- ``sinceTime`` is RFC 3339.

:func:`validate_log_options` is ``ValidatePodLogOptions``; the API server reports its errors as
``422 PodLogOptions "<pod>" is invalid``.

>>> options = parse_log_options({"tailLines": ["2"], "follow": ["true"]})
>>> options.tail_lines, options.follow, options.timestamps
(2, True, False)
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kubeling.api import errors
from kubeling.api.field import FieldError, forbidden, invalid
from kubeling.api.goformat import go_quote

__all__ = [
    "LogOptions",
    "PortForwardOptions",
    "StreamOptions",
    "format_rfc3339",
    "parse_log_options",
    "parse_port_forward_options",
    "parse_stream_options",
    "validate_log_options",
]

#: A query string as lists of values per name (``MultiDict.getall``-like).
Query = Mapping[str, Sequence[str]]

_RFC3339 = re.compile(
    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$", re.IGNORECASE
)


@dataclass(frozen=True, slots=True)
class LogOptions:
    """``PodLogOptions`` (``stream`` and ``insecureSkipTLSVerifyBackend`` are not served)."""

    container: str = ""
    follow: bool = False
    previous: bool = False
    since_seconds: int | None = None
    since_time: datetime.datetime | None = None
    timestamps: bool = False
    tail_lines: int | None = None
    limit_bytes: int | None = None

    def kubelet_query(self) -> list[tuple[str, str]]:
        """The query the API server sends the kubelet (``LogLocation``'s, in its order)."""
        query: list[tuple[str, str]] = []
        if self.follow:
            query.append(("follow", "true"))
        if self.previous:
            query.append(("previous", "true"))
        if self.timestamps:
            query.append(("timestamps", "true"))
        if self.since_seconds is not None:
            query.append(("sinceSeconds", str(self.since_seconds)))
        if self.since_time is not None:
            query.append(("sinceTime", format_rfc3339(self.since_time)))
        if self.tail_lines is not None:
            query.append(("tailLines", str(self.tail_lines)))
        if self.limit_bytes is not None:
            query.append(("limitBytes", str(self.limit_bytes)))
        return query


@dataclass(frozen=True, slots=True)
class StreamOptions:
    """``PodExecOptions`` / ``PodAttachOptions``: streams, TTY, container, command."""

    stdin: bool = False
    stdout: bool = False
    stderr: bool = False
    tty: bool = False
    container: str = ""
    command: tuple[str, ...] = ()

    def to_api(self, *, with_command: bool) -> dict[str, Any]:
        """The options as a ``v1 PodExecOptions`` (with the command) or
        ``PodAttachOptions`` object, as admission sees a CONNECT.

        >>> StreamOptions(stdout=True, command=("ls",)).to_api(with_command=True)["command"]
        ['ls']
        """
        out: dict[str, Any] = {
            "kind": "PodExecOptions" if with_command else "PodAttachOptions",
            "apiVersion": "v1",
            "stdin": self.stdin,
            "stdout": self.stdout,
            "stderr": self.stderr,
            "tty": self.tty,
        }
        if self.container:
            out["container"] = self.container
        if with_command:
            out["command"] = list(self.command)
        return out

    def kubelet_query(self, *, with_command: bool) -> list[tuple[str, str]]:
        """The kubelet's query: ``input``/``output``/``error``/``tty`` as ``1``, ``command``."""
        query = [
            (name, "1")
            for name, wanted in (
                ("input", self.stdin),
                ("output", self.stdout),
                ("error", self.stderr),
                ("tty", self.tty),
            )
            if wanted
        ]
        if with_command:
            query += [("command", part) for part in self.command]
        return query


@dataclass(frozen=True, slots=True)
class PortForwardOptions:
    """``PodPortForwardOptions``: the ports of the (pre-tunneling) WebSocket protocol."""

    ports: tuple[int, ...] = ()

    def to_api(self) -> dict[str, Any]:
        """The options as a ``v1 PodPortForwardOptions`` object (admission's CONNECT)."""
        out: dict[str, Any] = {"kind": "PodPortForwardOptions", "apiVersion": "v1"}
        if self.ports:
            out["ports"] = list(self.ports)
        return out

    def kubelet_query(self) -> list[tuple[str, str]]:
        """``port=<p1,p2>`` when ports were given (``streamParams``)."""
        return [("port", ",".join(str(p) for p in self.ports))] if self.ports else []


def parse_log_options(query: Query) -> LogOptions:
    """The log options of a query; 400 BadRequest for a value that does not convert."""
    return LogOptions(
        container=_string(query, "container"),
        follow=_bool(query, "follow"),
        previous=_bool(query, "previous"),
        since_seconds=_int(query, "sinceSeconds"),
        since_time=_time(query, "sinceTime"),
        timestamps=_bool(query, "timestamps"),
        tail_lines=_int(query, "tailLines"),
        limit_bytes=_int(query, "limitBytes"),
    )


def validate_log_options(options: LogOptions) -> list[FieldError]:
    """``ValidatePodLogOptions``: every rule broken, as field errors."""
    errs: list[FieldError] = []
    if options.tail_lines is not None and options.tail_lines < 0:
        errs.append(invalid("tailLines", options.tail_lines, "must be greater than or equal to 0"))
    if options.limit_bytes is not None and options.limit_bytes < 1:
        errs.append(invalid("limitBytes", options.limit_bytes, "must be greater than 0"))
    if options.since_seconds is not None and options.since_time is not None:
        errs.append(forbidden("", "at most one of `sinceTime` or `sinceSeconds` may be specified"))
    elif options.since_seconds is not None and options.since_seconds < 1:
        errs.append(invalid("sinceSeconds", options.since_seconds, "must be greater than 0"))
    return errs


def parse_stream_options(query: Query, *, with_command: bool) -> StreamOptions:
    """Exec (``with_command``) or attach options of a query."""
    return StreamOptions(
        stdin=_bool(query, "stdin"),
        stdout=_bool(query, "stdout"),
        stderr=_bool(query, "stderr"),
        tty=_bool(query, "tty"),
        container=_string(query, "container"),
        command=tuple(query.get("command") or ()) if with_command else (),
    )


def parse_port_forward_options(query: Query) -> PortForwardOptions:
    """The ``ports`` of a port-forward query (each an int32)."""
    ports = []
    for raw in query.get("ports") or ():
        ports.append(_parse_int(raw, bits=32))
    return PortForwardOptions(tuple(ports))


def format_rfc3339(moment: datetime.datetime) -> str:
    """Go's ``time.RFC3339`` rendering, in UTC (seconds precision).

    >>> format_rfc3339(datetime.datetime(2025, 1, 2, 3, 4, 5, 600, tzinfo=datetime.UTC))
    '2025-01-02T03:04:05Z'
    """
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# -- query conversion (apimachinery's url.Values converters) -----------------------------------


def _first(query: Query, name: str) -> str | None:
    values = query.get(name)
    return values[0] if values else None


def _string(query: Query, name: str) -> str:
    return _first(query, name) or ""


def _bool(query: Query, name: str) -> bool:
    raw = _first(query, name)
    return raw is not None and raw.lower() not in ("false", "0")


def _int(query: Query, name: str) -> int | None:
    raw = _first(query, name)
    return None if raw is None else _parse_int(raw, bits=64)


def _parse_int(raw: str, *, bits: int) -> int:
    """``strconv.ParseInt(raw, 10, bits)``, its errors as 400 BadRequest."""
    if not re.fullmatch(r"[+-]?\d+", raw):
        raise errors.bad_request(f"strconv.ParseInt: parsing {go_quote(raw)}: invalid syntax")
    value = int(raw)
    if not -(1 << (bits - 1)) <= value < (1 << (bits - 1)):
        raise errors.bad_request(f"strconv.ParseInt: parsing {go_quote(raw)}: value out of range")
    return value


def _time(query: Query, name: str) -> datetime.datetime | None:
    raw = _first(query, name)
    if raw is None or raw == "":
        return None
    if not _RFC3339.match(raw):
        raise errors.bad_request(
            f'parsing time {go_quote(raw)} as "2006-01-02T15:04:05Z07:00": cannot parse '
            f"{go_quote(raw)} as RFC 3339"
        )
    try:
        return datetime.datetime.fromisoformat(raw.upper().replace("Z", "+00:00"))
    except ValueError as err:
        raise errors.bad_request(f"parsing time {go_quote(raw)}: {err}") from err
