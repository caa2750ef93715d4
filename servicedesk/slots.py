"""Appointment slots, computed from the simulated clock rather than stored.

A slot is a location and a start time: business days, 2-hour slots from 09:00 to 17:00 local
time. The id encodes provider, location and UTC start so a booking can be checked without state.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from .clock import to_iso
from .seed import PROVIDERS, SLOT_HOURS_LOCAL, SLOT_LENGTH_S, locations

SLOT_RE = re.compile(r"^SLOT-(?P<rest>.+)-(?P<start>\d{12})$")


class SlotError(ValueError):
    """Why a slot id is not bookable; `reason` is a short machine word."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def make_slot_id(provider_id: str, location_id: str, start: float) -> str:
    stamp = datetime.fromtimestamp(start, timezone.utc).strftime("%Y%m%d%H%M")
    return f"SLOT-{provider_id}-{location_id}-{stamp}"


def public_location(loc: dict[str, Any]) -> dict[str, Any]:
    return {k: loc.get(k) for k in ("id", "name", "city", "address", "timezone")}


def slot_view(provider_id: str, loc: dict[str, Any], start: float, service: str) -> dict[str, Any]:
    return {
        "slot_id": make_slot_id(provider_id, loc["id"], start),
        "start": to_iso(start),
        "end": to_iso(start + SLOT_LENGTH_S),
        "location": public_location(loc),
        "service": service,
        "provider": provider_id,
    }


def _is_slot_start(loc: dict[str, Any], start: float) -> bool:
    local = datetime.fromtimestamp(start, ZoneInfo(loc["timezone"]))
    return local.weekday() < 5 and local.hour in SLOT_HOURS_LOCAL and local.minute == 0


def parse_slot_id(slot_id: str) -> tuple[str, dict[str, Any], float]:
    """(provider id, location, start) of a well-formed slot id, else SlotError."""
    match = SLOT_RE.match(slot_id)
    if not match:
        raise SlotError(
            "malformed", "is not a slot id (expected SLOT-<provider>-<location>-<time>)"
        )
    rest = match["rest"]
    for provider_id, provider in PROVIDERS.items():
        if rest.startswith(provider_id + "-"):
            loc_id = rest[len(provider_id) + 1 :]
            loc = next((x for x in locations(provider) if x["id"] == loc_id), None)
            if loc is None:
                raise SlotError("unknown_location", f"names an unknown location {loc_id!r}")
            try:
                start = datetime.strptime(match["start"], "%Y%m%d%H%M")
            except ValueError:
                raise SlotError("malformed", "has an invalid start time") from None
            ts = start.replace(tzinfo=timezone.utc).timestamp()
            if not _is_slot_start(loc, ts):
                raise SlotError("not_a_slot", "is not a slot the provider offers")
            return provider_id, loc, ts
    raise SlotError("unknown_provider", "names an unknown provider")


def generate(
    provider_id: str, start: float, end: float, location_id: str | None = None
) -> list[tuple[dict[str, Any], float]]:
    """All slot starts in [start, end), by time then location."""
    out: list[tuple[dict[str, Any], float]] = []
    for loc in locations(PROVIDERS[provider_id]):
        if location_id and loc["id"] != location_id:
            continue
        tz = ZoneInfo(loc["timezone"])
        day: date = datetime.fromtimestamp(start, tz).date()
        last: date = datetime.fromtimestamp(end, tz).date()
        while day <= last:
            if day.weekday() < 5:
                for hour in SLOT_HOURS_LOCAL:
                    ts = datetime.combine(day, time(hour), tz).timestamp()
                    if start <= ts < end:
                        out.append((loc, ts))
            day += timedelta(days=1)
    out.sort(key=lambda item: (item[1], item[0]["id"]))
    return out
