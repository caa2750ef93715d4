"""Which output channel a notice for the owner goes out on."""

from __future__ import annotations

from typing import Any

from actions.core.settings import PUSH_CHANNELS, Settings


def push_channel(settings: Settings, tracker: Any) -> str:
    """Where the owner's notices go: the channel they use when it can push, else the default."""
    latest = tracker.get_latest_input_channel()
    return latest if latest in PUSH_CHANNELS else settings.notify_channel
