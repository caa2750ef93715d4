"""Clock times and ranges in the owner's words: "10pm", "22:00", "from 10 pm to 7:30 am"."""

from __future__ import annotations

import re
from datetime import time

_TIME = r"(\d{1,2})(?:[:.h](\d{2})|h)?\s*(am|pm|a\.m\.|p\.m\.)?"
_RANGE = re.compile(
    rf"(?:from\s+|between\s+)?{_TIME}\s*(?:-|–|to|until|till|and)\s*{_TIME}", re.IGNORECASE
)
_WORDS = {"midnight": "0:00", "noon": "12:00", "midday": "12:00"}
_NUMBERS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
}  # fmt: skip
# Spoken times, rewritten as clock times before the range is read: "half seven" (7:30, as
# British speakers mean it), "quarter past/to N", "11 at night", "7 in the morning".
_SPOKEN = (
    (re.compile(r"\bhalf\s+(?:past\s+)?(\d{1,2})\b", re.I), lambda m: f"{m[1]}:30"),
    (re.compile(r"\bquarter\s+past\s+(\d{1,2})\b", re.I), lambda m: f"{m[1]}:15"),
    (
        re.compile(r"\bquarter\s+to\s+(\d{1,2})\b", re.I),
        lambda m: f"{(int(m[1]) - 1) or 12}:45",
    ),
    (re.compile(r"(\d)\s*o'?\s?clock\b", re.I), lambda m: m[1]),
    (
        re.compile(r"(\d)\s+(?:at night|in the evening|in the afternoon|tonight)\b", re.I),
        lambda m: f"{m[1]}pm",
    ),
    (re.compile(r"(\d)\s+in the morning\b", re.I), lambda m: f"{m[1]}am"),
)


def _spoken_to_clock(text: str) -> str:
    text = re.sub(
        rf"\b({'|'.join(_NUMBERS)})\b", lambda m: str(_NUMBERS[m[1].lower()]), text, flags=re.I
    )
    for pattern, clock in _SPOKEN:
        text = pattern.sub(clock, text)
    return text


def _clock(hour: str, minute: str | None, meridiem: str | None) -> time | None:
    h, m = int(hour), int(minute or 0)
    suffix = (meridiem or "").replace(".", "").lower()
    if suffix:
        if not 1 <= h <= 12:
            return None
        h = h % 12 + (12 if suffix == "pm" else 0)
    if not (0 <= h <= 23 and 0 <= m <= 59):
        return None
    return time(h, m)


def parse_time_range(text: str) -> tuple[time, time] | None:
    """The first "A to B" range of clock times in `text`, or None when there is none."""
    for word, value in _WORDS.items():
        text = re.sub(rf"\b{word}\b", value, text, flags=re.IGNORECASE)
    text = _spoken_to_clock(text)
    match = _RANGE.search(text)
    if not match:
        return None
    start = _clock(match.group(1), match.group(2), match.group(3))
    end = _clock(match.group(4), match.group(5), match.group(6))
    if start is None or end is None or start == end:
        return None
    return start, end


def in_range(moment: time, start: time, end: time) -> bool:
    """True when `moment` falls in [start, end), for ranges that may wrap past midnight."""
    if start < end:
        return start <= moment < end
    return moment >= start or moment < end
