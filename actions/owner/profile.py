"""The owner's profile: who Stand-in acts for and their account at each provider.

Loaded from a YAML file (owner.yml by default, STANDIN_OWNER_PROFILE to change it). API keys
stay in the environment; the profile only names the variable for each account.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import yaml
from pydantic import BaseModel, Field, ValidationError, validator

from actions.core.errors import ConfigError

_ENV_NAME = re.compile(r"^[A-Z_][A-Z0-9_]*$")


def default_token_env(device_id: str) -> str:
    """STANDIN_DEVICE_TOKEN_<ID>: the variable holding a device's telemetry token by default."""
    return "STANDIN_DEVICE_TOKEN_" + re.sub(r"[^A-Z0-9]", "_", device_id.upper())


class _Reporting(BaseModel):
    """A device or meter that may send telemetry; its token stays in the environment."""

    token_env: str | None = None

    @validator("token_env")
    def _env_name(cls, value: str | None) -> str | None:
        if value is not None and not _ENV_NAME.match(value):
            raise ValueError("must be an environment variable name such as MY_DEVICE_TOKEN")
        return value

    def token_variable(self) -> str:
        return self.token_env or default_token_env(self.id)  # type: ignore[attr-defined]


class Device(_Reporting):
    id: str = Field(..., min_length=1)
    kind: str = Field(..., min_length=1)
    name: str = ""


class Meter(_Reporting):
    id: str = Field(..., min_length=1)
    kind: str = Field(..., min_length=1)
    unit: str = Field(..., min_length=1)


class Account(BaseModel):
    provider: str = Field(..., min_length=1)
    account_id: str = Field(..., min_length=1)
    api_key_env: str
    devices: list[Device] = []
    meters: list[Meter] = []

    @validator("api_key_env")
    def _env_name(cls, value: str) -> str:
        if not _ENV_NAME.match(value):
            raise ValueError("must be an environment variable name such as MY_PROVIDER_API_KEY")
        return value


class Owner(BaseModel):
    name: str = Field(..., min_length=1)
    phone: str = Field(..., regex=r"^\+[1-9]\d{6,14}$")
    timezone: str = "UTC"
    # Where the owner lives: the service centre in this city counts as the nearest.
    home_city: str | None = None


class Preferences(BaseModel):
    """The owner's standing choices. The profile gives the defaults; changes made in
    conversation are stored in the case memory and win over these."""

    spending_limit: float = Field(0.0, ge=0, le=100_000)  # in `currency`; 0 = always ask
    currency: str = "EUR"
    quiet_hours_start: str | None = Field(None, regex=r"^([01]\d|2[0-3]):[0-5]\d$")
    quiet_hours_end: str | None = Field(None, regex=r"^([01]\d|2[0-3]):[0-5]\d$")
    auto_submit_meter_readings: bool = False
    auto_report_device_faults: bool = False
    # Phone calls: offer a callback once the wait passes this many minutes, or at once when
    # the owner prefers callbacks to holding.
    offer_callbacks: bool = True
    prefer_callbacks: bool = False
    callback_threshold_min: int = Field(10, ge=0, le=240)

    @validator("quiet_hours_end", always=True)
    def _both_or_neither(cls, end: str | None, values: dict) -> str | None:
        if (values.get("quiet_hours_start") is None) != (end is None):
            raise ValueError("quiet_hours_start and quiet_hours_end go together")
        return end


class OwnerProfile(BaseModel):
    owner: Owner
    accounts: list[Account]
    preferences: Preferences = Preferences()

    @validator("accounts")
    def _one_account_per_provider(cls, accounts: list[Account]) -> list[Account]:
        seen = set()
        for account in accounts:
            if account.provider in seen:
                raise ValueError(f"provider {account.provider!r} is listed twice")
            seen.add(account.provider)
        if not accounts:
            raise ValueError("at least one account is needed")
        return accounts

    def account_for(self, provider_id: str) -> Account | None:
        return next((a for a in self.accounts if a.provider == provider_id), None)

    def credentials(self, provider_id: str) -> tuple[Account, str]:
        """The account at `provider_id` and its key. Raises ConfigError when either is missing."""
        account = self.account_for(provider_id)
        if account is None:
            raise ConfigError(f"no account for {provider_id}")
        return account, self.api_key(account)

    def reporter(self, device_id: str) -> tuple[Account, Device | Meter] | None:
        """The account and device (or meter) with this id, if the owner has it."""
        for account in self.accounts:
            for item in [*account.devices, *account.meters]:
                if item.id == device_id:
                    return account, item
        return None

    def api_key(self, account: Account) -> str:
        """The key for `account`, from the environment. Raises ConfigError when it is unset."""
        key = os.environ.get(account.api_key_env, "").strip()
        if not key:
            raise ConfigError(
                f"the API key for {account.provider} is missing: set {account.api_key_env}"
            )
        return key


def load_profile(path: Path) -> OwnerProfile:
    """Read and validate the profile at `path`. Raises ConfigError with the file and field."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise ConfigError(f"cannot read the owner profile {path}: {err.strerror}") from None
    except yaml.YAMLError as err:
        raise ConfigError(f"the owner profile {path} is not valid YAML: {err}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"the owner profile {path} must be a mapping with owner and accounts")
    try:
        return OwnerProfile.parse_obj(raw)
    except ValidationError as err:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in err.errors()
        )
        raise ConfigError(f"the owner profile {path} is invalid: {problems}") from None
