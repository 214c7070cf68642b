"""PodLogOptions, PodExecOptions, PodAttachOptions and PodPortForwardOptions from the query."""

from __future__ import annotations

import datetime

import pytest

from kubeling.api import errors
from kubeling.api.podoptions import (
    LogOptions,
    StreamOptions,
    parse_log_options,
    parse_port_forward_options,
    parse_stream_options,
    validate_log_options,
)

UTC = datetime.UTC


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, LogOptions()),
        (
            {"container": ["c"], "follow": ["true"], "previous": ["1"], "timestamps": ["True"]},
            LogOptions(container="c", follow=True, previous=True, timestamps=True),
        ),
        # apimachinery: only absent, "false" and "0" are false; even an empty value is true
        ({"follow": ["false"], "previous": ["0"], "timestamps": [""]}, LogOptions(timestamps=True)),
        ({"follow": ["FALSE"], "previous": ["yes"]}, LogOptions(previous=True)),
        (
            {"tailLines": ["10"], "limitBytes": ["+5"], "sinceSeconds": ["-3"]},
            LogOptions(tail_lines=10, limit_bytes=5, since_seconds=-3),
        ),
        (
            {"sinceTime": ["2024-01-02T03:04:05Z"]},
            LogOptions(since_time=datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)),
        ),
        (
            {"sinceTime": ["2024-01-02T05:04:05.5+02:00"]},
            LogOptions(
                since_time=datetime.datetime(
                    2024,
                    1,
                    2,
                    5,
                    4,
                    5,
                    500000,
                    tzinfo=datetime.timezone(datetime.timedelta(hours=2)),
                )
            ),
        ),
        ({"tailLines": ["1", "2"]}, LogOptions(tail_lines=1)),  # the first value counts
    ],
)
def test_log_options(query: dict[str, list[str]], expected: LogOptions) -> None:
    """Query values convert as the API server's parameter codec converts them."""
    assert parse_log_options(query) == expected


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"tailLines": ["abc"]}, 'strconv.ParseInt: parsing "abc": invalid syntax'),
        ({"limitBytes": ["1.5"]}, 'strconv.ParseInt: parsing "1.5": invalid syntax'),
        (
            {"sinceSeconds": ["9223372036854775808"]},
            'strconv.ParseInt: parsing "9223372036854775808": value out of range',
        ),
        ({"sinceTime": ["yesterday"]}, 'parsing time "yesterday"'),
        ({"sinceTime": ["2024-13-01T00:00:00Z"]}, 'parsing time "2024-13-01T00:00:00Z"'),
    ],
)
def test_values_that_do_not_convert_are_bad_requests(
    query: dict[str, list[str]], message: str
) -> None:
    """400 BadRequest with strconv's words."""
    with pytest.raises(errors.StatusError) as caught:
        parse_log_options(query)
    assert caught.value.code == 400
    assert message in caught.value.to_status()["message"]


@pytest.mark.parametrize(
    ("options", "problems"),
    [
        (LogOptions(tail_lines=0, limit_bytes=1, since_seconds=1), []),
        (
            LogOptions(tail_lines=-1),
            ["tailLines: Invalid value: -1: must be greater than or equal to 0"],
        ),
        (LogOptions(limit_bytes=0), ["limitBytes: Invalid value: 0: must be greater than 0"]),
        (LogOptions(since_seconds=0), ["sinceSeconds: Invalid value: 0: must be greater than 0"]),
        (
            LogOptions(since_seconds=5, since_time=datetime.datetime(2024, 1, 1, tzinfo=UTC)),
            [": Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified"],
        ),
        (
            LogOptions(tail_lines=-2, limit_bytes=-1),
            [
                "tailLines: Invalid value: -2: must be greater than or equal to 0",
                "limitBytes: Invalid value: -1: must be greater than 0",
            ],
        ),
    ],
)
def test_log_option_validation(options: LogOptions, problems: list[str]) -> None:
    """ValidatePodLogOptions: every broken rule, in upstream's order and words."""
    assert [str(problem) for problem in validate_log_options(options)] == problems


def test_kubelet_log_query() -> None:
    """The query forwarded to the kubelet, in LogLocation's order; sinceTime in RFC 3339 UTC."""
    options = LogOptions(
        container="c",
        follow=True,
        previous=True,
        timestamps=True,
        since_time=datetime.datetime(
            2024, 1, 2, 5, 4, 5, 7, tzinfo=datetime.timezone(datetime.timedelta(hours=2))
        ),
        tail_lines=3,
        limit_bytes=10,
    )
    assert options.kubelet_query() == [
        ("follow", "true"),
        ("previous", "true"),
        ("timestamps", "true"),
        ("sinceTime", "2024-01-02T03:04:05Z"),
        ("tailLines", "3"),
        ("limitBytes", "10"),
    ]
    assert LogOptions(since_seconds=5).kubelet_query() == [("sinceSeconds", "5")]


def test_exec_and_attach_options() -> None:
    """Streams, TTY, container and the command (repeated), and the kubelet's query names."""
    query = {
        "command": ["sh", "-c", "echo hi"],
        "stdin": ["true"],
        "stdout": ["true"],
        "stderr": ["false"],
        "tty": ["1"],
        "container": ["app"],
    }
    exec_options = parse_stream_options(query, with_command=True)
    assert exec_options == StreamOptions(
        stdin=True, stdout=True, tty=True, container="app", command=("sh", "-c", "echo hi")
    )
    assert exec_options.kubelet_query(with_command=True) == [
        ("input", "1"),
        ("output", "1"),
        ("tty", "1"),
        ("command", "sh"),
        ("command", "-c"),
        ("command", "echo hi"),
    ]
    attach = parse_stream_options(query, with_command=False)
    assert attach.command == ()
    assert attach.kubelet_query(with_command=False) == [
        ("input", "1"),
        ("output", "1"),
        ("tty", "1"),
    ]


def test_port_forward_options() -> None:
    """Ports are int32s; the kubelet gets them joined (the old WebSocket protocol uses them)."""
    options = parse_port_forward_options({"ports": ["80", "8080"]})
    assert options.ports == (80, 8080)
    assert options.kubelet_query() == [("port", "80,8080")]
    assert parse_port_forward_options({}).kubelet_query() == []
    with pytest.raises(errors.StatusError) as caught:
        parse_port_forward_options({"ports": ["2147483648"]})
    assert caught.value.code == 400
