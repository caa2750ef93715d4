"""Every environment variable the desk reads, in one place, with its default and its check.

A bad value stops the desk at startup with one line naming the variable (no traceback), so a
misconfigured demo fails loudly and obviously.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TypeVar

T = TypeVar("T")


class ConfigError(ValueError):
    """A configuration value is unusable; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8090
    # Relative to the working directory; ":memory:" keeps everything in RAM.
    db_path: str = "var/servicedesk.sqlite3"
    # Simulated seconds per real second.
    time_scale: float = 1.0
    # Serve /_sim/* only when enabled: it can rewrite time and state.
    sim_control: bool = False
    # Requests per second per API key (burst = rate); 0 disables the limiter.
    rate_limit: float = 200.0
    webhook_max_attempts: int = 8
    webhook_backoff_s: float = 0.5
    webhook_backoff_cap_s: float = 30.0
    # How long an injected timeout stalls before answering 504.
    timeout_fault_s: float = 30.0
    # Simulated time at first boot (None: the real current time).
    start_time: datetime | None = None
    # Real seconds between background passes over what fell due.
    tick_interval_s: float = 0.2
    # For tests: a file to which every answer that does not match /openapi.json (undocumented
    # status, body against the schema) is appended as a JSON line. None: no checking.
    check_responses: str | None = None
    # A YAML file of more companies (providers, owners, accounts, parts) added to the seed at
    # start-up (extra_seed.py). None: the seeded five only.
    extra_seed: str | None = None


def _parse(env: Mapping[str, str], name: str, default: T, convert: Callable[[str], T]) -> T:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return convert(raw.strip())
    except (ValueError, TypeError) as err:
        raise ConfigError(f"{name}={raw!r} is invalid: {err}") from None


def _port(raw: str) -> int:
    value = int(raw)
    if not 1 <= value <= 65535:
        raise ValueError("must be an integer between 1 and 65535")
    return value


def _positive_float(raw: str) -> float:
    value = float(raw)
    if not math.isfinite(value) or value <= 0:
        raise ValueError("must be a number greater than 0")
    return value


def _non_negative_float(raw: str) -> float:
    value = float(raw)
    if not math.isfinite(value) or value < 0:
        raise ValueError("must be a number of at least 0")
    return value


def _positive_int(raw: str) -> int:
    value = int(raw)
    if value < 1:
        raise ValueError("must be an integer of at least 1")
    return value


def _flag(raw: str) -> bool:
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    if raw.lower() in ("0", "false", "no", "off"):
        return False
    raise ValueError("must be 1 or 0")


def _iso(raw: str) -> datetime:
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError("must be an ISO 8601 time such as 2026-11-23T09:00:00Z") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read and validate the SERVICE_DESK_* variables; raise ConfigError on a bad value."""
    env = os.environ if env is None else env
    d = Settings()
    return Settings(
        host=_parse(env, "SERVICE_DESK_HOST", d.host, str),
        port=_parse(env, "SERVICE_DESK_PORT", d.port, _port),
        db_path=_parse(env, "SERVICE_DESK_DB", d.db_path, str),
        time_scale=_parse(env, "SERVICE_DESK_TIME_SCALE", d.time_scale, _positive_float),
        sim_control=_parse(env, "SERVICE_DESK_SIM_CONTROL", d.sim_control, _flag),
        rate_limit=_parse(env, "SERVICE_DESK_RATE_LIMIT", d.rate_limit, _non_negative_float),
        webhook_max_attempts=_parse(
            env, "SERVICE_DESK_WEBHOOK_MAX_ATTEMPTS", d.webhook_max_attempts, _positive_int
        ),
        webhook_backoff_s=_parse(
            env, "SERVICE_DESK_WEBHOOK_BACKOFF_S", d.webhook_backoff_s, _positive_float
        ),
        timeout_fault_s=_parse(
            env, "SERVICE_DESK_TIMEOUT_FAULT_S", d.timeout_fault_s, _non_negative_float
        ),
        start_time=_parse(env, "SERVICE_DESK_START_TIME", d.start_time, _iso),
        check_responses=_parse(env, "SERVICE_DESK_CHECK_RESPONSES", d.check_responses, str),
        extra_seed=_parse(env, "SERVICE_DESK_EXTRA_SEED", d.extra_seed, str),
    )
