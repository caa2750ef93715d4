"""Sending simulated telemetry: device tokens, the POST to Stand-in, and the desk's clock.

Stdlib HTTP only (launcher.conversation.http_json). A device's token comes from the variable
the owner profile names for it, else from launcher/demo.env. The reference service desk runs on
a simulated clock, and Stand-in must not forward a meter reading from the desk's future, so
`play` can move the desk's clock up to each event before sending it.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from actions.owner.profile import load_profile
from devicesim.scenarios import Event
from launcher.conversation import http_json
from launcher.processes import PROJECT_ROOT
from launcher.stack import demo_keys

# The desk refuses a larger single step (servicedesk.models.MAX_ADVANCE_S).
MAX_ADVANCE_S = 30 * 24 * 3600


class DeskError(RuntimeError):
    """The service desk did not answer as expected (down, or sim control off)."""


def _profile_path(profile_path: Path | None) -> Path:
    if profile_path is not None:
        return profile_path
    # The same profile the action server reads.
    return Path(os.environ.get("STANDIN_OWNER_PROFILE", str(PROJECT_ROOT / "owner.yml")))


def token_for(device_id: str, profile_path: Path | None = None) -> str:
    """The telemetry token of `device_id`: its environment variable, else launcher/demo.env.

    Raises ValueError when the owner has no such device or meter, or no token is found."""
    found = load_profile(_profile_path(profile_path)).reporter(device_id)
    if found is None:
        raise ValueError(f"{device_id!r} is not a device or meter in the owner profile")
    variable = found[1].token_variable()
    token = os.environ.get(variable, "").strip() or demo_keys().get(variable, "")
    if not token:
        raise ValueError(f"no telemetry token for {device_id}: set {variable}")
    return token


def send(
    url: str, event: Event, token: str | None = None, timeout_s: float = 30
) -> tuple[int, Any]:
    """POST one event to `{url}/telemetry/{device_id}`; (status, answer), 4xx included.

    Raises urllib.error.URLError (an OSError) when the action server cannot be reached."""
    token = token or token_for(event.device_id)
    return http_json(
        "POST",
        f"{url.rstrip('/')}/telemetry/{event.device_id}",
        event.body,
        headers={"Authorization": f"Bearer {token}"},
        timeout_s=timeout_s,
    )


def _parse_iso(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(timezone.utc)


def desk_now(desk_url: str) -> datetime:
    """The desk's simulated time (aware UTC), from GET /health."""
    status, body = http_json("GET", f"{desk_url.rstrip('/')}/health", timeout_s=10)
    if status != 200 or not isinstance(body, dict) or "now" not in body:
        raise DeskError(f"the service desk's /health answered {status}: {body}")
    return _parse_iso(body["now"])


def advance_desk_to(desk_url: str, at: datetime) -> None:
    """Move the desk's clock forward to `at` (whole seconds, rounded up); never backwards."""
    remaining = math.ceil((at - desk_now(desk_url)).total_seconds())
    while remaining > 0:
        step = min(remaining, MAX_ADVANCE_S)
        status, body = http_json(
            "POST",
            f"{desk_url.rstrip('/')}/_sim/advance",
            {"seconds": step},
            timeout_s=120,  # the desk runs everything due on the way
        )
        if status != 200:
            hint = " (is SERVICE_DESK_SIM_CONTROL=1 set?)" if status == 404 else ""
            raise DeskError(f"the service desk's /_sim/advance answered {status}{hint}: {body}")
        remaining -= step


def play(
    url: str,
    events: list[Event],
    desk_url: str | None = None,
    speed: float = 0.0,
    on_sent: Callable[[Event, int, Any], None] | None = None,
) -> list[tuple[Event, int, Any]]:
    """Send `events` in order; (event, status, answer) for each. 4xx answers do not raise.

    With `desk_url`, the desk's clock is first moved up to each event's time. `speed` > 0 paces
    the stream at that many simulated seconds per real second; 0 sends as fast as possible."""
    tokens: dict[str, str] = {}
    results: list[tuple[Event, int, Any]] = []
    previous: datetime | None = None
    for event in events:
        at = event.at
        if speed > 0 and previous is not None and at > previous:
            time.sleep((at - previous).total_seconds() / speed)
        previous = at
        if desk_url:
            advance_desk_to(desk_url, at)
        if event.device_id not in tokens:
            tokens[event.device_id] = token_for(event.device_id)
        status, body = send(url, event, tokens[event.device_id])
        results.append((event, status, body))
        if on_sent is not None:
            on_sent(event, status, body)
    return results
