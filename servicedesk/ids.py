"""Resource ids: a type prefix plus random hex, so ids never repeat across resets."""

from __future__ import annotations

import secrets


def new_id(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(5).upper()}"
