"""Accept, Accept-Encoding and If-None-Match, read as kube-apiserver's Go libraries read them.

``/openapi/v2`` is served by kube-openapi's handler, which picks the media
type with goautoneg and compresses through NYTimes' gziphandler; Go's
``http.ServeContent`` answers conditional requests. Their rules, quirks
included, are reproduced here as pure functions:

- :func:`parse_accept`: clauses split on ``,``, parameters on ``;``; ``*``
  alone means ``*/*``; a clause without a ``/`` is dropped; ``q`` defaults
  to 1 (0 when unparsable); sorted by q, then concrete types before ``*``.
- :func:`negotiate`: the first offer that the first matching clause allows,
  clauses in sorted order (a ``q=0`` clause still matches, as upstream).
- :func:`accepts_gzip`: ``gzip`` listed in Accept-Encoding with q above 0.
- :func:`etag_matches`: If-None-Match holds the ETag (weakly compared) or ``*``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

__all__ = ["MediaRange", "accepts_gzip", "etag_matches", "negotiate", "parse_accept"]

# Go's strconv.ParseFloat syntax, without the hexadecimal and inf/nan forms.
_FLOAT = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


@dataclass(frozen=True, slots=True)
class MediaRange:
    """One clause of an Accept header."""

    type: str
    subtype: str
    q: float
    params: Mapping[str, str]


def _q(text: str) -> float:
    """goautoneg's ``strconv.ParseFloat(v, 32)``: 0 when it is not a number."""
    return float(text) if _FLOAT.fullmatch(text) else 0.0


def parse_accept(header: str) -> list[MediaRange]:
    """The clauses of an Accept header, most preferred first.

    >>> [f"{r.type}/{r.subtype};q={r.q}" for r in parse_accept("*/*;q=0.5, text/*, a/b")]
    ['a/b;q=1.0', 'text/*;q=1.0', '*/*;q=0.5']
    """
    clauses: list[MediaRange] = []
    for part in header.split(","):
        media_range, *parameters = part.strip(" ").split(";")
        pieces = media_range.split("/")
        type = pieces[0].strip(" ")
        if len(pieces) == 1 and type == "*":
            subtype = "*"
        elif len(pieces) == 2:
            subtype = pieces[1].strip(" ")
        else:
            continue
        q = 1.0
        params: dict[str, str] = {}
        for parameter in parameters:
            name, equals, value = parameter.partition("=")
            if not equals:
                continue
            if name.strip(" ") == "q":
                q = _q(value)
            else:
                params[name.strip(" ")] = value.strip(" ")
        clauses.append(MediaRange(type, subtype, q, params))
    # goautoneg sorts with this "less", which is not a strict order; Go's
    # sort runs an insertion sort on short slices, so the same one here
    # orders every realistic header exactly as upstream does.
    for i in range(1, len(clauses)):
        j = i
        while j > 0 and _before(clauses[j], clauses[j - 1]):
            clauses[j], clauses[j - 1] = clauses[j - 1], clauses[j]
            j -= 1
    return clauses


def _before(a: MediaRange, b: MediaRange) -> bool:
    if a.q > b.q:
        return True
    if a.type != "*" and b.type == "*":
        return True
    return a.subtype != "*" and b.subtype == "*"


def negotiate(header: str, offers: Sequence[tuple[str, str]]) -> int | None:
    """The index of the offered ``(type, subtype)`` to serve, or None (406).

    An empty header accepts anything, as ``*/*``.

    >>> offers = [("application", "json"), ("application", "x+protobuf")]
    >>> negotiate("application/x+protobuf", offers), negotiate("", offers)
    (1, 0)
    >>> negotiate("text/html", offers) is None
    True
    """
    for clause in parse_accept(header or "*/*"):
        for index, (type, subtype) in enumerate(offers):
            if clause.type in (type, "*") and clause.subtype in (subtype, "*"):
                return index
    return None


def accepts_gzip(header: str) -> bool:
    """Whether an Accept-Encoding header takes gzip (gziphandler's reading).

    Codings map to their q (the last listing wins); a q is only read as the
    last parameter, since gziphandler restarts at 1 for each one.

    >>> accepts_gzip("gzip"), accepts_gzip("deflate, GZIP;q=0.5"), accepts_gzip("gzip;q=0")
    (True, True, False)
    """
    weights: dict[str, float] = {}
    for coding in header.split(","):
        name, *parameters = (part.strip() for part in coding.split(";"))
        valid = bool(name)
        q = 1.0
        for parameter in parameters:
            q = 1.0
            if parameter.startswith("q="):
                if _FLOAT.fullmatch(parameter[2:]):
                    q = min(max(float(parameter[2:]), 0.0), 1.0)
                else:
                    valid = False
        if valid:
            weights[name.lower()] = q
    return weights.get("gzip", 0.0) > 0


def etag_matches(if_none_match: str, etag: str) -> bool:
    """Whether If-None-Match names ``etag`` (quoted), compared weakly, or is ``*``.

    >>> etag_matches('"A", W/"B"', '"B"'), etag_matches("*", '"C"'), etag_matches('"A"', '"C"')
    (True, True, False)
    """
    for candidate in if_none_match.split(","):
        candidate = candidate.strip()
        if candidate == "*" or candidate.removeprefix("W/") == etag.removeprefix("W/"):
            return True
    return False
