"""Where an ordered part goes: one of Voltra's service centres, or the owner's home."""

from __future__ import annotations

VOLTRA_CENTRES = {"SC-LIS-1": "Lisbon", "SC-IST-1": "Istanbul", "SC-BER-1": "Berlin"}


def destination(centre: str | None) -> str:
    """How the owner hears where the part goes."""
    if centre in VOLTRA_CENTRES:
        return f"Voltra {VOLTRA_CENTRES[centre]} ({centre})"
    return "your home"
