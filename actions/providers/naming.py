"""Which of the owner's companies a few words name, from the owner's accounts alone."""

from __future__ import annotations

import re

from actions.owner.profile import OwnerProfile


def _compact(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def named_provider(profile: OwnerProfile, text: str) -> str | None:
    """The owner's provider named in `text` ("home care", "NIMBUS"), by the id's first word."""
    words = _compact(text)
    hits = [a.provider for a in profile.accounts if _compact(a.provider.split("-")[0]) in words]
    return hits[0] if len(hits) == 1 else None
