"""A sixth company that no code names: Hearthwise Heating. The desk learns of it only from
desk_seed.yml here (SERVICE_DESK_EXTRA_SEED), Stand-in only from owner.yml here
(STANDIN_OWNER_PROFILE), with its API key in KEY_ENV."""

from __future__ import annotations

from pathlib import Path

SIXTH_DIR = Path(__file__).resolve().parent
DESK_SEED = SIXTH_DIR / "desk_seed.yml"
OWNER_PROFILE = SIXTH_DIR / "owner.yml"
PROVIDER = "hearthwise-heating"
KEY = "sk-hearthwise-demo"
KEY_ENV = "STANDIN_HEARTHWISE_HEATING_API_KEY"
BOILER = "BL-3001"


def stand_in_env() -> dict[str, str]:
    """What points a stack (or the action code) at the sixth company too."""
    return {
        "SERVICE_DESK_EXTRA_SEED": str(DESK_SEED),
        "STANDIN_OWNER_PROFILE": str(OWNER_PROFILE),
        KEY_ENV: KEY,
    }
