"""How appointments and free slots are shown to the owner: times on the owner's clock, places
by name and city, numbered lists (the sentences around them live in domain.yml)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from actions.providers.desk_models import Appointment
from actions.runtime import Services


def owner_zone(svc: Services) -> ZoneInfo:
    """The owner's time zone (UTC when the profile's is unknown)."""
    try:
        return ZoneInfo(svc.profile.owner.timezone)
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


def _local(value: str | datetime, tz: ZoneInfo) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return value.astimezone(tz)


def when(start: str | datetime, end: str | datetime, tz: ZoneInfo) -> str:
    """The slot time in the owner's time zone, such as "Tue 24 Nov, 11:00-13:00"."""
    begin, finish = _local(start, tz), _local(end, tz)
    return f"{begin:%a %d %b}, {begin:%H:%M}-{finish:%H:%M}"


def place(entry: dict[str, Any]) -> str:
    """Where it is: "Voltra Service Lisbon" (with the city when the name lacks it)."""
    city = entry.get("city")
    location = str(entry.get("location") or "")
    return f"{location} ({city})" if city and city not in location else location


def slot_lines(offered: list[dict[str, Any]], tz: ZoneInfo) -> str:
    return "\n".join(
        f"{i}. {when(s['start'], s['end'], tz)} · {place(s)}" for i, s in enumerate(offered, 1)
    )


def appointment_entry(appt: Appointment) -> dict[str, Any]:
    """What is kept of a booked appointment between turns (JSON-safe, for the tracker)."""
    return {
        "id": appt.id,
        "provider": appt.provider,
        "service": appt.service,
        "start": appt.start.isoformat(),
        "end": appt.end.isoformat(),
        "location": appt.location.name or appt.location.id,
        "city": appt.location.city,
        "status": appt.status,
    }


def appointment_lines(entries: list[dict[str, Any]], tz: ZoneInfo) -> str:
    return "\n".join(
        f"{i}. {e['id']}: {e['provider']} {str(e.get('service') or '').replace('_', ' ')}, "
        f"{when(e['start'], e['end'], tz)} · {place(e)}"
        for i, e in enumerate(entries, 1)
    )
