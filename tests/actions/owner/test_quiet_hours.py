"""The owner's quiet hours, read in the owner's time zone, including windows across midnight."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from actions.owner.profile import Preferences
from actions.owner.quiet_hours import in_quiet_hours, quiet_window

LISBON = "Europe/Lisbon"
NIGHT = Preferences(quiet_hours_start="22:00", quiet_hours_end="07:00")  # as in owner.yml
NONE = Preferences()


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


def lisbon(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(LISBON))


# In November Lisbon keeps winter time, UTC+0: local time equals UTC.
@pytest.mark.parametrize(
    "at, quiet",
    [
        ("2026-11-23T09:00:00", False),  # the desk's start time
        ("2026-11-23T21:59:59", False),
        ("2026-11-23T22:00:00", True),
        ("2026-11-23T23:30:00", True),
        ("2026-11-24T00:00:00", True),
        ("2026-11-24T03:15:00", True),
        ("2026-11-24T06:59:59", True),
        ("2026-11-24T07:00:00", False),
        ("2026-11-24T12:00:00", False),
    ],
)
def test_quiet_hours_across_midnight_in_november(at, quiet):
    assert in_quiet_hours(NIGHT, LISBON, utc(at)) is quiet


@pytest.mark.parametrize(
    "at, quiet",
    [
        # July: Lisbon is UTC+1, so the window is 21:00-06:00 UTC.
        ("2026-07-01T20:59:00", False),
        ("2026-07-01T21:00:00", True),
        ("2026-07-01T21:30:00", True),
        ("2026-07-02T05:59:00", True),
        ("2026-07-02T06:00:00", False),
    ],
)
def test_quiet_hours_follow_the_owners_time_zone_in_summer(at, quiet):
    assert in_quiet_hours(NIGHT, LISBON, utc(at)) is quiet


def test_the_moment_is_read_in_the_owners_zone_whatever_zone_it_comes_in():
    # 23:30 in New York is 04:30 in Lisbon (November): quiet.
    new_york = datetime(2026, 11, 23, 23, 30, tzinfo=ZoneInfo("America/New_York"))
    assert in_quiet_hours(NIGHT, LISBON, new_york)
    # 22:30 in Lisbon, but only 17:30 in New York: quiet for a Lisbon owner, not a New York one.
    assert in_quiet_hours(NIGHT, LISBON, utc("2026-11-23T22:30:00"))
    assert not in_quiet_hours(NIGHT, "America/New_York", utc("2026-11-23T22:30:00"))


def test_a_window_within_one_day():
    lunch = Preferences(quiet_hours_start="13:00", quiet_hours_end="14:00")
    assert not in_quiet_hours(lunch, LISBON, utc("2026-11-23T12:59:00"))
    assert in_quiet_hours(lunch, LISBON, utc("2026-11-23T13:00:00"))
    assert in_quiet_hours(lunch, LISBON, utc("2026-11-23T13:59:00"))
    assert not in_quiet_hours(lunch, LISBON, utc("2026-11-23T14:00:00"))
    assert not in_quiet_hours(lunch, LISBON, utc("2026-11-23T23:00:00"))


def test_no_quiet_hours_or_an_empty_window_is_never_quiet():
    for hour in range(24):
        at = utc("2026-11-23T00:00:00") + timedelta(hours=hour)
        assert not in_quiet_hours(NONE, LISBON, at)
        same = Preferences(quiet_hours_start="22:00", quiet_hours_end="22:00")
        assert not in_quiet_hours(same, LISBON, at)


def test_inside_quiet_hours_the_window_opens_at_their_end():
    earliest, quiet_again = quiet_window(NIGHT, LISBON, utc("2026-11-23T23:30:00"))
    assert earliest == utc("2026-11-24T07:00:00")
    assert quiet_again == utc("2026-11-24T22:00:00")
    # After midnight, the same morning.
    earliest, quiet_again = quiet_window(NIGHT, LISBON, utc("2026-11-24T03:00:00"))
    assert earliest == utc("2026-11-24T07:00:00")
    assert quiet_again == utc("2026-11-24T22:00:00")


def test_outside_quiet_hours_the_window_is_open_until_the_next_start():
    at = utc("2026-11-23T09:00:00")
    assert quiet_window(NIGHT, LISBON, at) == (at, utc("2026-11-23T22:00:00"))
    # At the very end of quiet hours it is open already.
    at = utc("2026-11-24T07:00:00")
    assert quiet_window(NIGHT, LISBON, at) == (at, utc("2026-11-24T22:00:00"))
    # At the very start it is quiet.
    assert quiet_window(NIGHT, LISBON, utc("2026-11-23T22:00:00")) == (
        utc("2026-11-24T07:00:00"),
        utc("2026-11-24T22:00:00"),
    )


def test_quiet_window_in_summer_and_across_the_autumn_clock_change():
    # July, UTC+1: 23:30 local is 22:30 UTC; quiet ends 07:00 local = 06:00 UTC.
    earliest, quiet_again = quiet_window(NIGHT, LISBON, utc("2026-07-01T22:30:00"))
    assert earliest == lisbon("2026-07-02T07:00:00") == utc("2026-07-02T06:00:00")
    assert quiet_again == utc("2026-07-02T21:00:00")
    # The night of 24-25 October 2026 the clocks go back: quiet starts in summer time and
    # ends in winter time.
    earliest, quiet_again = quiet_window(NIGHT, LISBON, utc("2026-10-24T21:30:00"))
    assert earliest == utc("2026-10-25T07:00:00")
    assert quiet_again == utc("2026-10-25T22:00:00")


def test_the_window_keeps_the_callers_zone():
    at = utc("2026-11-23T23:30:00")
    earliest, quiet_again = quiet_window(NIGHT, LISBON, at)
    assert earliest.utcoffset() == timedelta(0) and quiet_again.utcoffset() == timedelta(0)


def test_no_quiet_hours_means_now_and_no_end():
    at = utc("2026-11-23T23:30:00")
    assert quiet_window(NONE, LISBON, at) == (at, None)
