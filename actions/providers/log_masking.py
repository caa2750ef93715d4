"""The action server's log masking: the shared rules (`logmask`) plus every secret and owner
identifier its settings and the owner profile know, whatever their shape.

Installed when the `actions` package is imported, so every way of running the actions
(`python -m actions.server`, `rasa run actions`) masks from its first log line. It lives with
the providers because what it masks reaches that far up: besides the settings' tokens and the
owner profile's identifiers, each provider's webhook secret (`providers.webhooks`).
"""

from __future__ import annotations

import os

from sqlalchemy.engine import make_url

from actions.core.errors import ConfigError
from actions.core.settings import Settings, load_settings
from actions.owner.profile import OwnerProfile, load_profile
from actions.providers.webhooks import provider_secret
from logmask import MASKER, install, mask, remember

__all__ = ["install_log_masking", "mask", "remember", "remember_known_secrets"]


def remember_known_secrets(settings: Settings, profile: OwnerProfile | None) -> None:
    """Mask the tokens and secrets in `settings`, each provider's webhook secret derived from
    them, and the keys, telemetry tokens, account numbers and phone number of `profile` (keys
    and tokens are read from the variables the profile names)."""
    try:
        password = make_url(settings.db_url).password
    except Exception:  # settings validated it; a URL without a password has none to mask
        password = None
    remember(settings.action_token, settings.rasa_token, settings.webhook_secret, password)
    if profile is None:
        return
    MASKER.remember_identifier(profile.owner.phone)
    for account in profile.accounts:
        MASKER.remember_identifier(account.account_id)
        if settings.webhook_secret:
            remember(provider_secret(settings.webhook_secret, account.provider))
        remember(os.environ.get(account.api_key_env))
        for item in [*account.devices, *account.meters]:
            remember(os.environ.get(item.token_variable()))


def install_log_masking() -> None:
    """Mask every log record of this process, with what the settings and profile know.

    A setting or profile that cannot be read is reported by the server's start, not here:
    the environment's secrets and the identifier shapes are masked all the same.
    """
    install()
    try:
        settings = load_settings()
    except ConfigError:
        return
    try:
        profile: OwnerProfile | None = load_profile(settings.owner_profile_path)
    except ConfigError:
        profile = None
    remember_known_secrets(settings, profile)
