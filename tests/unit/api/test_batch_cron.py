"""CronJob schedules: parsing (robfig/cron v3 ParseStandard) and next activation times (Next)."""

from __future__ import annotations

import datetime

import pytest

from kubeling.api.batch.cron import CronParseError, parse_standard

UTC = datetime.UTC


@pytest.mark.parametrize(
    ("schedule", "error"),
    [
        ("x", "expected exactly 5 fields, found 1: [x]"),
        ("* * * *", "expected exactly 5 fields, found 4: [* * * *]"),
        ("60 * * * *", "end of range (60) above maximum (59): 60"),
        ("* 24 * * *", "end of range (24) above maximum (23): 24"),
        ("* * 0 * *", "beginning of range (0) below minimum (1): 0"),
        ("* * * 13 *", "end of range (13) above maximum (12): 13"),
        ("* * * * 7", "end of range (7) above maximum (6): 7"),
        ("5-1 * * * *", "beginning of range (5) beyond end of range (1): 5-1"),
        ("*/0 * * * *", "step of range should be a positive number: */0"),
        ("1-2-3 * * * *", "too many hyphens: 1-2-3"),
        ("*/2/3 * * * *", "too many slashes: */2/3"),
        ("a * * * *", 'failed to parse int from a: strconv.Atoi: parsing "a": invalid syntax'),
        ("@fortnightly", "unrecognized descriptor: @fortnightly"),
        ("@every 5", 'failed to parse duration @every 5: time: missing unit in duration "5"'),
        ("@every x", 'failed to parse duration @every x: time: invalid duration "x"'),
        ("*/15 * * * *", None),
        ("0 9-17/2 * * mon-fri", None),
        ("0 0 1 JAN,jul SUN", None),
        ("? * * * *", None),
        ("@hourly", None),
        ("@midnight", None),
        ("@annually", None),
        ("@every 1h30m", None),
    ],
)
def test_cron_parsing(schedule: str, error: str | None) -> None:
    """Schedules parse (or fail) exactly as robfig/cron v3 ParseStandard does."""
    if error is None:
        parse_standard(schedule)
        return
    with pytest.raises(CronParseError) as caught:
        parse_standard(schedule)
    assert str(caught.value) == error


def test_cron_step_bits() -> None:
    """``N/step`` runs from N to the field's maximum."""
    assert parse_standard("50/5 * * * *").minute == (1 << 50) | (1 << 55)


def _at(text: str) -> datetime.datetime:
    """``2012-03-11T00:00:00-0500`` (the library's test format) as an aware datetime."""
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S%z")


# Cases of robfig/cron v3's spec_test.go (TestNext), in the five-field standard format.
@pytest.mark.parametrize(
    ("now", "schedule", "expected"),
    [
        # simple cases
        ("2012-07-09T14:45:00+0000", "0/15 * * * *", "2012-07-09T15:00:00+0000"),
        ("2012-07-09T14:59:00+0000", "0/15 * * * *", "2012-07-09T15:00:00+0000"),
        ("2012-07-09T14:59:59+0000", "0/15 * * * *", "2012-07-09T15:00:00+0000"),
        # wrap around hours and days
        ("2012-07-09T15:45:00+0000", "20-35/15 * * * *", "2012-07-09T16:20:00+0000"),
        ("2012-07-09T23:46:00+0000", "*/15 * * * *", "2012-07-10T00:00:00+0000"),
        ("2012-07-09T23:35:00+0000", "20-35/15 1/2 */2 * *", "2012-07-11T01:20:00+0000"),
        ("2012-07-09T23:35:00+0000", "20-35/15 * 9-20 Jul *", "2012-07-10T00:20:00+0000"),
        # wrap around months and years
        ("2012-07-09T23:35:00+0000", "0 0 9 Apr-Oct *", "2012-08-09T00:00:00+0000"),
        ("2012-07-09T23:35:00+0000", "0 0 */5 Apr,Aug,Oct Mon", "2012-08-01T00:00:00+0000"),
        ("2012-07-09T23:35:00+0000", "0 0 */5 Oct Mon", "2012-10-01T00:00:00+0000"),
        ("2012-07-09T23:35:00+0000", "0 0 * Feb Mon", "2013-02-04T00:00:00+0000"),
        ("2012-07-09T23:35:00+0000", "0 0 * Feb Mon/2", "2013-02-01T00:00:00+0000"),
        ("2012-12-31T23:59:45+0000", "* * * * *", "2013-01-01T00:00:00+0000"),
        # leap year
        ("2012-07-09T23:35:00+0000", "0 0 29 Feb *", "2016-02-29T00:00:00+0000"),
        # spring forward in New York, 2am EST -> 3am EDT: 02:30 does not exist that year
        (
            "2012-03-11T00:00:00-0500",
            "TZ=America/New_York 30 2 11 Mar *",
            "2013-03-11T02:30:00-0400",
        ),
        ("2012-03-11T00:00:00-0500", "TZ=America/New_York 0 * * * *", "2012-03-11T01:00:00-0500"),
        ("2012-03-11T01:00:00-0500", "TZ=America/New_York 0 * * * *", "2012-03-11T03:00:00-0400"),
        ("2012-03-11T03:00:00-0400", "TZ=America/New_York 0 * * * *", "2012-03-11T04:00:00-0400"),
        (
            "2012-03-11T00:00:00-0500",
            "CRON_TZ=America/New_York 0 * * * *",
            "2012-03-11T01:00:00-0500",
        ),
        ("2012-03-11T01:00:00-0500", "TZ=America/New_York 0 1 * * *", "2012-03-12T01:00:00-0400"),
        # the 2am nightly job is skipped that night
        ("2012-03-11T00:00:00-0500", "TZ=America/New_York 0 2 * * *", "2012-03-12T02:00:00-0400"),
        # fall back in New York, 2am EDT -> 1am EST: 1am happens twice
        (
            "2012-11-04T00:00:00-0400",
            "TZ=America/New_York 30 2 04 Nov *",
            "2012-11-04T02:30:00-0500",
        ),
        (
            "2012-11-04T01:45:00-0400",
            "TZ=America/New_York 30 1 04 Nov *",
            "2012-11-04T01:30:00-0500",
        ),
        ("2012-11-04T00:00:00-0400", "TZ=America/New_York 0 * * * *", "2012-11-04T01:00:00-0400"),
        ("2012-11-04T01:00:00-0400", "TZ=America/New_York 0 * * * *", "2012-11-04T01:00:00-0500"),
        ("2012-11-04T01:00:00-0500", "TZ=America/New_York 0 * * * *", "2012-11-04T02:00:00-0500"),
        ("2012-11-04T00:00:00-0400", "TZ=America/New_York 0 1 * * *", "2012-11-04T01:00:00-0400"),
        ("2012-11-04T01:00:00-0400", "TZ=America/New_York 0 1 * * *", "2012-11-04T01:00:00-0500"),
        ("2012-11-04T01:00:00-0500", "TZ=America/New_York 0 1 * * *", "2012-11-05T01:00:00-0500"),
        ("2012-11-04T00:00:00-0400", "TZ=America/New_York 0 2 * * *", "2012-11-04T02:00:00-0500"),
        ("2012-11-04T00:00:00-0400", "TZ=America/New_York 0 3 * * *", "2012-11-04T03:00:00-0500"),
        ("2012-11-04T00:00:00-0400", "TZ=America/New_York 0 3 3 * *", "2012-12-03T03:00:00-0500"),
        # midnight does not exist in Sao Paulo on DST days (robfig/cron#157)
        ("2018-10-17T05:00:00-0400", "TZ=America/Sao_Paulo 0 9 10 * *", "2018-11-10T06:00:00-0500"),
        ("2018-02-14T05:00:00-0500", "TZ=America/Sao_Paulo 0 9 22 * *", "2018-02-22T07:00:00-0500"),
        # a schedule in a zone with a half-hour offset
        ("2016-01-03T13:09:03+0530", "TZ=Asia/Kolkata 14 14 * * *", "2016-01-03T14:14:00+0530"),
        # descriptors
        ("2024-03-09T12:00:00+0000", "@hourly", "2024-03-09T13:00:00+0000"),
        ("2024-03-09T12:00:00+0000", "@daily", "2024-03-10T00:00:00+0000"),
        ("2024-03-09T12:00:00+0000", "@weekly", "2024-03-10T00:00:00+0000"),
        ("2024-03-09T12:00:00+0000", "@monthly", "2024-04-01T00:00:00+0000"),
        ("2024-03-09T12:00:00+0000", "@yearly", "2025-01-01T00:00:00+0000"),
        ("2024-03-09T12:00:00+0000", "@every 1h30m", "2024-03-09T13:30:00+0000"),
        ("2024-03-09T12:00:00+0000", "@every 1500ms", "2024-03-09T12:00:01+0000"),
    ],
)
def test_next_activation(now: str, schedule: str, expected: str) -> None:
    """The next time is the library's, daylight-saving changes included."""
    got = parse_standard(schedule).next(_at(now))
    assert got == _at(expected)
    assert got is not None
    assert got.tzinfo is UTC


@pytest.mark.parametrize("schedule", ["0 0 30 Feb *", "0 0 31 Apr *"])
def test_unsatisfiable_schedule_has_no_next_time(schedule: str) -> None:
    """A schedule that never fires within five years has no next time (Go's zero time)."""
    assert parse_standard(schedule).next(_at("2012-07-09T23:35:00+0000")) is None


def test_schedule_without_zone_runs_in_the_local_zone() -> None:
    """Without TZ=, fields are read in the zone the controller passes as local."""
    local = datetime.timezone(datetime.timedelta(hours=2))
    got = parse_standard("0 9 * * *").next(_at("2024-05-01T08:00:00+0000"), local=local)
    assert got == _at("2024-05-02T07:00:00+0000")


def test_every_counts_from_the_whole_second() -> None:
    """@every adds its period to the time truncated to the second (ConstantDelaySchedule)."""
    now = datetime.datetime(2024, 1, 1, 10, 0, 0, 700_000, tzinfo=UTC)
    assert parse_standard("@every 10s").next(now) == datetime.datetime(
        2024, 1, 1, 10, 0, 10, tzinfo=UTC
    )
