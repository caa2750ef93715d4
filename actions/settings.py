"""Every environment variable the action server reads, with its documented default.

Read once, validated, and passed around; nothing else in `actions/` touches `os.environ`
except the owner profile, which reads the API keys it names.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlparse

from actions.errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SOFTWARE_NAME = "Stand-in"


@dataclass(frozen=True)
class Settings:
    service_desk_url: str
    owner_profile_path: Path
    desk_timeout_s: float
    desk_attempts: int
    desk_backoff_s: float
    directory_ttl_s: float


def _float(name: str, default: str, minimum: float, maximum: float) -> float:
    raw = os.environ.get(name, default)
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a number") from None
    if not minimum <= value <= maximum:
        raise ConfigError(f"{name}={raw!r} must be between {minimum} and {maximum}")
    return value


def load_settings() -> Settings:
    """Read and validate the environment. Raises ConfigError naming the bad variable."""
    url = os.environ.get("SERVICE_DESK_URL") or (
        f"http://127.0.0.1:{os.environ.get('SERVICE_DESK_PORT', '8090')}"
    )
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ConfigError(f"SERVICE_DESK_URL={url!r} is not an http(s) URL")
    profile = Path(os.environ.get("STANDIN_OWNER_PROFILE", str(PROJECT_ROOT / "owner.yml")))
    return Settings(
        service_desk_url=url.rstrip("/"),
        owner_profile_path=profile,
        desk_timeout_s=_float("STANDIN_DESK_TIMEOUT_S", "5", 0.1, 120),
        desk_attempts=int(_float("STANDIN_DESK_ATTEMPTS", "3", 1, 10)),
        desk_backoff_s=_float("STANDIN_DESK_BACKOFF_S", "0.3", 0, 10),
        directory_ttl_s=_float("STANDIN_DIRECTORY_TTL_S", "600", 0, 86400),
    )


@lru_cache(maxsize=1)
def settings() -> Settings:
    return load_settings()
