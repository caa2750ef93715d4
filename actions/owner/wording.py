"""How amounts, times and case states are worded for the owner, inside the responses'
placeholders (the sentences themselves live in domain.yml)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from actions.owner.profile import OwnerProfile


def money(amount: float) -> str:
    return f"{amount:,.2f}"


def local_time(moment: datetime | None, profile: OwnerProfile) -> str:
    """`moment` on the owner's clock ("Tue 24 Nov, 11:00"); UTC when their zone is unknown."""
    if moment is None:
        return "?"
    try:
        zone = ZoneInfo(profile.owner.timezone)
    except Exception:
        zone = ZoneInfo("UTC")
    return moment.astimezone(zone).strftime("%a %d %b, %H:%M")


def status_words(status: str | None) -> str:
    return (status or "").replace("_", " ")
