"""The owner's quiet hours, read in the owner's time zone: when non-urgent news must wait."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from actions.owner.profile import Preferences


def _parse(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def in_quiet_hours(prefs: Preferences, tz: str, at: datetime) -> bool:
    """True when `at` (aware) falls in the quiet hours; the window may cross midnight."""
    if not prefs.quiet_hours_start or not prefs.quiet_hours_end:
        return False
    start, end = _parse(prefs.quiet_hours_start), _parse(prefs.quiet_hours_end)
    local = at.astimezone(ZoneInfo(tz)).time()
    if start == end:
        return False
    if start < end:
        return start <= local < end
    return local >= start or local < end


def _next_local(at: datetime, tz: str, when: time) -> datetime:
    """The first moment at or after `at` whose local time in `tz` is `when`."""
    zone = ZoneInfo(tz)
    local = at.astimezone(zone)
    candidate = datetime.combine(local.date(), when, tzinfo=zone)
    if candidate < local:
        candidate = datetime.combine(local.date() + timedelta(days=1), when, tzinfo=zone)
    return candidate.astimezone(at.tzinfo)


def quiet_window(prefs: Preferences, tz: str, at: datetime) -> tuple[datetime, datetime | None]:
    """(earliest moment the owner may be called, the moment quiet hours start again after it).

    Without quiet hours: (at, None)."""
    if not prefs.quiet_hours_start or not prefs.quiet_hours_end:
        return at, None
    start, end = _parse(prefs.quiet_hours_start), _parse(prefs.quiet_hours_end)
    earliest = _next_local(at, tz, end) if in_quiet_hours(prefs, tz, at) else at
    return earliest, _next_local(earliest, tz, start)
