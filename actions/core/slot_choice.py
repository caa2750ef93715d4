"""Which of the shown appointment slots the owner means: "the second", "2", "the Tuesday one",
"tomorrow afternoon", "Wednesday at 10", "the Berlin one".

`resolve_choice` returns the index of exactly one shown slot, or None when the words match none
or more than one: then the owner is asked again. It never picks a slot the owner did not name.
Relative days ("today", "tomorrow") are read against `now`, the service desk's own clock, in the
owner's time zone; without `now` they match nothing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

ORDINALS = {
    "first": 1,
    "1st": 1,
    "second": 2,
    "2nd": 2,
    "third": 3,
    "3rd": 3,
    "fourth": 4,
    "4th": 4,
    "fifth": 5,
    "5th": 5,
}
NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5}
WEEKDAYS = {
    "monday": 0,
    "mon": 0,
    "tuesday": 1,
    "tue": 1,
    "tues": 1,
    "tuesdy": 1,
    "teusday": 1,
    "wednesday": 2,
    "wed": 2,
    "weds": 2,
    "wednsday": 2,
    "wensday": 2,
    "wedensday": 2,
    "thursday": 3,
    "thu": 3,
    "thur": 3,
    "thurs": 3,
    "thursdy": 3,
    "friday": 4,
    "fri": 4,
    "fridy": 4,
    "saturday": 5,
    "sat": 5,
    "sunday": 6,
    "sun": 6,
}
MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}
# Parts of the day, as [from, to) hours of the slot's start in the owner's time zone.
PARTS_OF_DAY = {
    "morning": (0, 12),
    "afternoon": (12, 17),
    "arvo": (12, 17),
    "evening": (17, 24),
    "noon": (12, 13),
    "midday": (12, 13),
    "lunchtime": (12, 14),
}
TOMORROW = ("tomorrow", "tomorow", "tommorow", "tommorrow", "tmrw", "tmr", "tomoz")
REFUSALS = ("none", "neither", "nothing", "not any", "no thanks", "other day", "another")

_TIME = re.compile(
    r"\b(?:at\s+)?(\d{1,2})(?::(\d{2})|\s*(am|pm|a\.m\.|p\.m\.|h|o\s?clock))\b"
    r"|\bat\s+(\d{1,2})\b"
)
_DAY_OF_MONTH = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?([a-z]+)\b")
_MONTH_DAY = re.compile(r"\b([a-z]+)\s+(\d{1,2})(?:st|nd|rd|th)?\b")
_NTH = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)\b")
_NUMERIC_DATE = re.compile(r"\b(\d{1,2})[/.](\d{1,2})\b")
_BARE_NUMBER = re.compile(r"(?<![\d:])\b(\d{1,2})\b(?![\d:])")


@dataclass(frozen=True)
class Wanted:
    """What the owner's words ask for; every part left None matches any slot."""

    position: int | None = None  # 1-based, among the slots left after the other filters
    dates: frozenset[date] | None = None
    weekday: int | None = None
    hour: int | None = None
    minute: int = 0
    hours: tuple[int, int] | None = None  # a part of the day
    place: str | None = None

    @property
    def says_anything(self) -> bool:
        return any(
            v is not None
            for v in (
                self.position,
                self.dates,
                self.weekday,
                self.hour,
                self.hours,
                self.place,
            )
        )


def _clean(text: str) -> str:
    text = text.lower().replace("’", "'")
    return re.sub(r"[^a-z0-9:/.' ]+", " ", text).replace("'", "").strip()


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text)


def _hour(value: int, suffix: str | None) -> int | None:
    suffix = (suffix or "").replace(".", "")
    if value > 23:
        return None
    if suffix == "pm" and value < 12:
        return value + 12
    if suffix == "am" and value == 12:
        return 0
    if not suffix or suffix in ("h", "oclock", "o clock"):
        # "at 3" means the afternoon: nobody books a repair at 3 in the night.
        if 1 <= value <= 7:
            return value + 12
    return value


def parse(
    text: str,
    now: datetime | None,
    tz: ZoneInfo,
    places: Sequence[str] = (),
) -> Wanted:
    """What `text` asks for. `places` are the shown slots' location words (names, cities)."""
    clean = _clean(text)
    words = _words(clean)
    spaced = f" {' '.join(words)} "
    today = now.astimezone(tz).date() if now is not None else None

    dates: set[date] | None = None
    weekday: int | None = None
    if "day after tomorrow" in spaced:
        dates = {today + timedelta(days=2)} if today else set()
    elif any(f" {w} " in spaced for w in TOMORROW):
        dates = {today + timedelta(days=1)} if today else set()
    elif " today " in spaced or " this afternoon " in spaced or " this morning " in spaced:
        dates = {today} if today else set()
    for i, word in enumerate(words):
        if word in WEEKDAYS:
            weekday = WEEKDAYS[word]
            if i > 0 and words[i - 1] in ("next", "this", "coming") and today is not None:
                ahead = (weekday - today.weekday()) % 7 or 7
                dates = {today + timedelta(days=ahead)}
            break

    day_of_month: int | None = None
    month: int | None = None
    for pattern, day_group, month_group in (
        (_DAY_OF_MONTH, 1, 2),
        (_MONTH_DAY, 2, 1),
    ):
        for match in pattern.finditer(clean):
            if match[month_group] in MONTHS:
                day_of_month, month = int(match[day_group]), MONTHS[match[month_group]]
                break
        if month:
            break
    if month is None:
        numeric = _NUMERIC_DATE.search(clean)
        if numeric and 1 <= int(numeric[2]) <= 12:
            day_of_month, month = int(numeric[1]), int(numeric[2])

    position: int | None = None
    for word in words:
        if word in ORDINALS:
            position = ORDINALS[word]
        elif word in ("last", "latest"):
            position = -1
        elif word in ("earliest", "soonest"):
            position = 1  # slots are shown in time order
    nth = _NTH.search(clean)
    if month is None and nth:
        value = int(nth[1])
        if value > 5:
            day_of_month = value
        elif position is None:
            position = value
    if day_of_month is not None:
        dates = _dates_with_day(today, day_of_month, month) if today else set()

    hour: int | None = None
    minute = 0
    has_day_words = dates is not None or weekday is not None
    timed = _TIME.search(clean)
    if timed:
        value = int(timed[1] or timed[4])
        hour = _hour(value, timed[3])
        minute = int(timed[2]) if timed[2] else 0
        clean_rest = clean[: timed.start()] + " " + clean[timed.end() :]
    else:
        clean_rest = clean
    hours = next((span for name, span in PARTS_OF_DAY.items() if f" {name} " in spaced), None)

    if position is None and hour is None and month is None and not nth:
        for match in _BARE_NUMBER.finditer(clean_rest):
            value = int(match[1])
            if has_day_words or hours is not None:
                hour = _hour(value, None)  # "wednesday 10"
            else:
                position = value
            break
    if position is None:
        for word in words:
            if word in NUMBER_WORDS and f" {word} " in spaced and hour is None:
                # "one" in "the tuesday one" is a filler, not a number.
                if word == "one" and (has_day_words or hours is not None or len(words) > 2):
                    continue
                position = NUMBER_WORDS[word]
                break

    place = next((p for p in places if p and f" {p} " in spaced), None)
    return Wanted(
        position=position,
        dates=frozenset(dates) if dates is not None else None,
        weekday=weekday,
        hour=hour,
        minute=minute,
        hours=hours,
        place=place,
    )


def _dates_with_day(today: date, day: int, month: int | None) -> set[date]:
    """The next date (within a year) with that day of the month, and month if given."""
    found: set[date] = set()
    for ahead in range(0, 366):
        candidate = today + timedelta(days=ahead)
        if candidate.day == day and (month is None or candidate.month == month):
            found.add(candidate)
            break
    return found


def slot_place_words(slot: dict[str, Any]) -> list[str]:
    """The words that name a slot's location: its name and city, lower case."""
    return [
        " ".join(_words(_clean(str(slot.get(k) or ""))))
        for k in ("location", "city")
        if slot.get(k)
    ]


def _start(slot: dict[str, Any], tz: ZoneInfo) -> datetime:
    return datetime.fromisoformat(str(slot["start"]).replace("Z", "+00:00")).astimezone(tz)


def resolve_choice(
    text: str,
    offered: Sequence[dict[str, Any]],
    now: datetime | None,
    tz: ZoneInfo,
) -> int | None:
    """The 0-based index of the one shown slot `text` names, or None (none or several)."""
    if not offered or not text.strip():
        return None
    spaced = f" {' '.join(_words(_clean(text)))} "
    if any(f" {r} " in spaced for r in REFUSALS):
        return None
    places = sorted({w for s in offered for w in slot_place_words(s)}, key=len, reverse=True)
    wanted = parse(text, now, tz, places)
    if not wanted.says_anything:
        return None
    candidates = list(range(len(offered)))
    for index in list(candidates):
        start = _start(offered[index], tz)
        keep = True
        if wanted.dates is not None and start.date() not in wanted.dates:
            keep = False
        if wanted.weekday is not None and start.weekday() != wanted.weekday:
            keep = False
        if wanted.hour is not None and (start.hour, start.minute) != (wanted.hour, wanted.minute):
            keep = False
        if wanted.hours is not None and not wanted.hours[0] <= start.hour < wanted.hours[1]:
            keep = False
        if wanted.place is not None and wanted.place not in slot_place_words(offered[index]):
            keep = False
        if not keep:
            candidates.remove(index)
    if wanted.position is not None:
        if wanted.position == -1:
            return candidates[-1] if candidates else None
        if 1 <= wanted.position <= len(candidates):
            return candidates[wanted.position - 1]
        return None
    return candidates[0] if len(candidates) == 1 else None
