"""Judging device signals against the diagnosis table, and meter readings against sense.

Pure functions over samples: no store, no clock of our own. Every time is the device's (the
event's `at`), so a replayed or simulated stream is judged exactly like a live one.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from actions.core.samples import Sample
from actions.devices.config import MeterSchedule, Problem, Signal

# A silence longer than this breaks a "for N minutes" streak: an offline device proves nothing.
MAX_GAP = timedelta(minutes=15)


def _hhmm(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def within_hours(signal: Signal, at: datetime, tz: str) -> bool:
    """Whether `at` falls in the signal's local hours (always, without `between`)."""
    if signal.between is None:
        return True
    start, end = (_hhmm(v) for v in signal.between)
    local = at.astimezone(ZoneInfo(tz)).time()
    if start <= end:
        return start <= local < end
    return local >= start or local < end


def code_matches(problem: Problem, code: str) -> bool:
    return problem.signal.code is not None and problem.signal.code.upper() == code.upper()


def threshold_held(signal: Signal, newest_first: Iterable[Sample], tz: str) -> bool:
    """Whether the metric has breached the threshold, within its hours, without a break for at
    least `for_minutes`, ending at the newest sample.

    `newest_first` must reach back past the streak's start (or to the first sample): the
    streak starts at the oldest breaching sample after the newest one that did not breach."""
    newest: Sample | None = None
    start: Sample | None = None
    for sample in newest_first:
        if newest is None:
            newest = sample
        breached = signal.breached(sample.value) and within_hours(signal, sample.at, tz)
        if not breached or (start is not None and start.at - sample.at > MAX_GAP):
            break
        start = sample
    if newest is None or start is None:
        return False
    return newest.at - start.at >= timedelta(minutes=signal.for_minutes)


def window(signal: Signal) -> timedelta:
    """How far back the samples must reach to judge `signal`."""
    return timedelta(minutes=signal.for_minutes) + 2 * MAX_GAP


# --- meter readings ---------------------------------------------------------------------------

WENT_BACKWARDS, IMPLAUSIBLE_JUMP, OUT_OF_ORDER = (
    "went_backwards",
    "implausible_jump",
    "out_of_order",
)


def implausible(
    value: float, at: datetime, last: Sample | None, max_per_hour: float | None
) -> str | None:
    """Why a reading must be held back (None: it is plausible), against the last accepted one."""
    if last is None:
        return None
    if at <= last.at:
        return OUT_OF_ORDER  # older than what we have: it can only confuse the bill
    if value < last.value:
        return WENT_BACKWARDS
    if max_per_hour is not None:
        hours = max((at - last.at).total_seconds() / 3600, 1 / 60)
        if value - last.value > max_per_hour * hours:
            return IMPLAUSIBLE_JUMP
    return None


def period_of(at: datetime, schedule: MeterSchedule, tz: str) -> str:
    """The billing period a reading taken at `at` is due for: the month of the latest due day
    (`schedule.day`, local) at or before it, as "YYYY-MM"."""
    local = at.astimezone(ZoneInfo(tz))
    year, month = local.year, local.month
    if local.day < schedule.day:
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return f"{year:04d}-{month:02d}"
