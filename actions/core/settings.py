"""Every environment variable the action server reads, with its documented default.

Read once, validated, and passed around; nothing else in `actions/` touches `os.environ`
except the owner profile, which reads the API keys it names.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlparse

from sqlalchemy.engine import make_url

from actions.core.errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parents[2]  # actions/core/settings.py
SOFTWARE_NAME = "Stand-in"


@dataclass(frozen=True)
class Settings:
    service_desk_url: str
    owner_profile_path: Path
    desk_timeout_s: float
    desk_attempts: int
    desk_backoff_s: float
    directory_ttl_s: float
    # Stand-in's own store (cases, audit log, webhook events): any SQLAlchemy URL.
    db_url: str = field(repr=False)  # may carry a database password
    # Provider webhooks: the secret the desk signs deliveries with (None: webhooks are off),
    # and the public base URL the desk posts to (`<base>/<provider id>`).
    webhook_secret: str | None = field(repr=False)
    webhook_url: str
    # How long the owner's yes to a payment stays usable (STANDIN_CONSENT_TTL_S).
    consent_ttl_s: float = 900.0
    # Notices the owner did not ask for go through Rasa's external events (trigger_intent).
    rasa_url: str = "http://127.0.0.1:5005"
    rasa_token: str | None = field(default=None, repr=False)
    notify_channel: str = "callback"
    # Phone calls: how long the owner has to answer "take the call?" (None: the handoff
    # catalogue's wait), and how long a held call may go unheard (no webhook) before its
    # status is polled.
    answer_timeout_s: float | None = None
    call_poll_s: float = 30.0
    # What Rasa must show to run an action (STANDIN_ACTION_TOKEN); the server refuses to
    # start without it.
    action_token: str | None = field(default=None, repr=False)
    # Handoff waits that override handoff.yml, by point (STANDIN_HANDOFF_WAITS).
    handoff_waits: dict[str, float] = field(default_factory=dict)
    # How often the webhook subscriptions are checked and restored if the provider lost them.
    webhook_recheck_s: float = 300.0
    # The owner's conversation, where what devices report is told (STANDIN_OWNER_CONVERSATION;
    # None: the owner's phone number from the profile, the sender id messaging channels use).
    owner_conversation: str | None = None
    # The owner's token (STANDIN_OWNER_TOKEN), which Rasa's rest and callback channels require:
    # the action server checks with it that a yes to a cost came through them (None: no yes
    # can be recorded at all).
    owner_token: str | None = field(default=None, repr=False)


def _float(name: str, default: str, minimum: float, maximum: float) -> float:
    raw = os.environ.get(name, default)
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a number") from None
    if not minimum <= value <= maximum:
        raise ConfigError(f"{name}={raw!r} must be between {minimum} and {maximum}")
    return value


def _db_url() -> str:
    """STANDIN_DB_URL, or the SQLite file var/standin.sqlite3 under the project root.

    A relative SQLite path is taken from the project root, like the default, so the store is
    the same file whichever directory the server was started from.
    """
    raw = os.environ.get("STANDIN_DB_URL", "").strip() or "sqlite:///var/standin.sqlite3"
    try:
        url = make_url(raw)
    except Exception:
        raise ConfigError("STANDIN_DB_URL is not a database URL (sqlite:///var/x.db)") from None
    if url.get_backend_name() not in ("sqlite", "postgresql"):
        raise ConfigError("STANDIN_DB_URL must be a sqlite:// or postgresql:// URL")
    if url.get_backend_name() == "sqlite":
        path = url.database or ""
        if not path or path == ":memory:":
            # Each connection would see its own empty database: the store needs one file.
            raise ConfigError("STANDIN_DB_URL must name a SQLite file, not an in-memory database")
        if not Path(path).is_absolute():
            url = url.set(database=str(PROJECT_ROOT / path))
    return url.render_as_string(hide_password=False)


def _webhook_secret() -> str | None:
    raw = os.environ.get("STANDIN_WEBHOOK_SECRET", "")
    if not raw:
        return None
    if not 16 <= len(raw) <= 256:
        # The desk's own limits for a subscription secret (never echo the value).
        raise ConfigError("STANDIN_WEBHOOK_SECRET must be 16 to 256 characters long")
    return raw


def _webhook_url() -> str:
    port = os.environ.get("ACTION_SERVER_PORT", "5055")
    url = os.environ.get("STANDIN_WEBHOOK_URL", "").strip() or (
        f"http://127.0.0.1:{port}/webhooks/servicedesk"
    )
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc or parsed.query:
        raise ConfigError(f"STANDIN_WEBHOOK_URL={url!r} is not an http(s) URL without a query")
    return url.rstrip("/")


PUSH_CHANNELS = ("callback", "socketio")


def _rasa_url() -> str:
    port = os.environ.get("RASA_PORT", "5005")
    url = os.environ.get("STANDIN_RASA_URL", "").strip() or f"http://127.0.0.1:{port}"
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ConfigError(f"STANDIN_RASA_URL={url!r} is not an http(s) URL")
    return url.rstrip("/")


def _notify_channel() -> str:
    channel = os.environ.get("STANDIN_NOTIFY_CHANNEL", "callback").strip()
    if channel not in PUSH_CHANNELS:
        raise ConfigError(
            f"STANDIN_NOTIFY_CHANNEL={channel!r} must be one of {', '.join(PUSH_CHANNELS)}"
            " (a channel that can push; rest cannot)"
        )
    return channel


def _optional_float(name: str, minimum: float, maximum: float) -> float | None:
    if not os.environ.get(name, "").strip():
        return None
    return _float(name, "", minimum, maximum)


def _handoff_waits() -> dict[str, float]:
    """`STANDIN_HANDOFF_WAITS="choose_slot=600,approve_cost=300"`: seconds per handoff point."""
    raw = os.environ.get("STANDIN_HANDOFF_WAITS", "").strip()
    waits: dict[str, float] = {}
    for item in filter(None, (part.strip() for part in raw.split(","))):
        point, sep, value = item.partition("=")
        if not sep or not point.strip().isidentifier():
            raise ConfigError(f"STANDIN_HANDOFF_WAITS: {item!r} is not point=seconds")
        try:
            seconds = float(value)
        except ValueError:
            raise ConfigError(f"STANDIN_HANDOFF_WAITS: {item!r} is not point=seconds") from None
        if not 0 <= seconds <= 30 * 86400:
            raise ConfigError(f"STANDIN_HANDOFF_WAITS: {item!r} must be 0 to 2592000 seconds")
        waits[point.strip()] = seconds
    return waits


def _action_token() -> str | None:
    raw = os.environ.get("STANDIN_ACTION_TOKEN", "").strip()
    if raw and len(raw) < 16:
        raise ConfigError("STANDIN_ACTION_TOKEN must be 16 characters or more")
    return raw or None


def _owner_token() -> str | None:
    raw = os.environ.get("STANDIN_OWNER_TOKEN", "").strip()
    if raw and len(raw) < 16:
        raise ConfigError("STANDIN_OWNER_TOKEN must be 16 characters or more")
    return raw or None


def _owner_conversation() -> str | None:
    raw = os.environ.get("STANDIN_OWNER_CONVERSATION", "").strip()
    if len(raw) > 255:
        raise ConfigError("STANDIN_OWNER_CONVERSATION must be 255 characters or fewer")
    return raw or None


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
        db_url=_db_url(),
        webhook_secret=_webhook_secret(),
        webhook_url=_webhook_url(),
        consent_ttl_s=_float("STANDIN_CONSENT_TTL_S", "900", 1, 86400),
        rasa_url=_rasa_url(),
        rasa_token=os.environ.get("RASA_AUTH_TOKEN", "").strip() or None,
        notify_channel=_notify_channel(),
        answer_timeout_s=_optional_float("STANDIN_ANSWER_TIMEOUT_S", 1, 3600),
        call_poll_s=_float("STANDIN_CALL_POLL_S", "30", 0.5, 3600),
        webhook_recheck_s=_float("STANDIN_WEBHOOK_RECHECK_S", "300", 0.5, 86400),
        handoff_waits=_handoff_waits(),
        action_token=_action_token(),
        owner_conversation=_owner_conversation(),
        owner_token=_owner_token(),
    )


@lru_cache(maxsize=1)
def settings() -> Settings:
    return load_settings()
