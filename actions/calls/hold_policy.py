"""When a hold is worth a message: the owner hears the queue once, then only real change.

Real change is the position halved, the wait estimate moving by more than two minutes, or ten
minutes without news. Times are the desk's (its simulated clock in tests and demos), so the
cadence is the same whatever the time scale.
"""

from __future__ import annotations

from datetime import datetime

from actions.owner.profile import Preferences

WAIT_SHIFT_S = 120
HEARTBEAT_S = 600


def minutes(seconds: int | None) -> int:
    """A wait in whole minutes, never 0 while there is a wait at all."""
    if not seconds:
        return 0
    return max(1, round(seconds / 60))


def queue_news(told: dict, position: int | None, wait_s: int | None, at: datetime) -> bool:
    """True when the queue moved enough since the owner was last told (`told`)."""
    if position is None:
        return False
    if told.get("position") is None:
        return True
    last_position = int(told["position"])
    if position <= last_position / 2 and position < last_position:
        return True
    if wait_s is not None and told.get("wait_s") is not None:
        if abs(wait_s - int(told["wait_s"])) > WAIT_SHIFT_S:
            return True
    told_at = told.get("at")
    if told_at:
        since = (at - datetime.fromisoformat(told_at)).total_seconds()
        if since >= HEARTBEAT_S and position != last_position:
            return True
    return False


def told(position: int | None, wait_s: int | None, at: datetime) -> dict:
    return {"position": position, "wait_s": wait_s, "at": at.isoformat()}


def callback_worth_offering(
    prefs: Preferences, callbacks_offered: bool, already_offered: bool, wait_s: int | None
) -> bool:
    """Offer once: at once if the owner prefers callbacks, else when the wait passes the
    owner's threshold."""
    if not callbacks_offered or already_offered or not prefs.offer_callbacks:
        return False
    if prefs.prefer_callbacks:
        return True
    return wait_s is not None and wait_s > prefs.callback_threshold_min * 60
