"""The owner's words -> one of the shown slots, or None (asked again, never guessed)."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from actions.core.slot_choice import resolve_choice

LISBON = ZoneInfo("Europe/Lisbon")
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)  # Monday; Lisbon is UTC+0 in November


def slot(start: str, location: str = "Lisbon service centre", city: str = "Lisbon") -> dict:
    return {
        "slot_id": f"SLOT-{start}-{location}",
        "start": start,
        "location": location,
        "city": city,
    }


SHOWN = [
    slot("2026-11-23T13:00:00Z"),  # Mon 13:00
    slot("2026-11-24T09:00:00Z"),  # Tue 09:00
    slot("2026-11-24T15:00:00Z"),  # Tue 15:00
    slot("2026-11-25T10:00:00Z", "Berlin service centre", "Berlin"),  # Wed 10:00
    slot("2026-11-26T11:00:00Z"),  # Thu 11:00
]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("the second", 1),
        ("2", 1),
        ("number 3", 2),
        ("option 4 please", 3),
        ("the first one", 0),
        ("1st", 0),
        ("the last one", 4),
        ("the earliest one", 0),
        ("soonest you have", 0),
        ("the latest one you have", 4),
        ("five", 4),
        ("the 2nd", 1),
        ("tomorrow afternoon", 2),
        ("tmrw morning", 1),
        ("tomorow at 9", 1),
        ("Wednesday at 10", 3),
        ("wed 10am", 3),
        ("wednesday 10:00", 3),
        ("the wednesday one", 3),
        ("thursday", 4),
        ("thurs", 4),
        ("the Thursday one please", 4),
        ("today", 0),
        ("this afternoon", 0),
        ("today at 1pm", 0),
        ("at 1 pm", 0),
        ("the berlin one", 3),
        ("Berlin", 3),
        ("the 26th", 4),
        ("26 november", 4),
        ("nov 25", 3),
        ("the day after tomorrow", 3),
        ("tuesday at 3", 2),
        ("tuesday 3pm", 2),
        ("the second tuesday one", 2),
        ("the first on tuesday", 1),
        ("next thursday", 4),
        ("Tuesday, 15:00!", 2),
        ("TOMORROW AFTERNOON", 2),
    ],
)
def test_one_slot_is_named(text, expected):
    assert resolve_choice(text, SHOWN, NOW, LISBON) == expected


@pytest.mark.parametrize(
    "text",
    [
        "tuesday",  # two on Tuesday
        "tomorrow",  # the same two
        "the morning one",  # Tuesday 09:00 and Wednesday 10:00 and Thursday 11:00
        "friday",  # none shown on Friday
        "the 6th",
        "9",  # not a shown position, and no day to make it an hour
        "at 4",  # 16:00: none
        "none of them",
        "another day",
        "whatever",
        "",
        "lisbon",  # four in Lisbon
        "the seventh",
    ],
)
def test_no_or_several_matches_give_none(text):
    assert resolve_choice(text, SHOWN, NOW, LISBON) is None


def test_relative_days_follow_the_desks_clock_not_the_wall_clock():
    later = datetime(2026, 11, 24, 8, 0, tzinfo=timezone.utc)  # the desk says it is Tuesday
    assert resolve_choice("tomorrow", SHOWN, later, LISBON) == 3
    assert resolve_choice("today at 3pm", SHOWN, later, LISBON) == 2
    assert resolve_choice("tomorrow", SHOWN, None, LISBON) is None  # no clock: ask again


def test_times_are_read_in_the_owners_time_zone():
    istanbul = ZoneInfo("Europe/Istanbul")  # UTC+3
    assert resolve_choice("wednesday at 1pm", SHOWN, NOW, istanbul) == 3
    assert resolve_choice("wednesday at 10", SHOWN, NOW, istanbul) is None


def test_nothing_shown_means_nothing_chosen():
    assert resolve_choice("the first", [], NOW, LISBON) is None
