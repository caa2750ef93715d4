"""Whose words a turn carries: the owner's own, and whether on the owner's own channel.

Two tests, for two kinds of trust:
- `owner_said_it`: the latest message is something the owner typed, not an external event (a
  provider's webhook turned into `trigger_intent`, a notice). Only such a message fills a form
  or answers a question.
- `owner_stamped`: it also came through a channel that checked the owner's token
  (`STANDIN_OWNER_TOKEN`; Rasa's rest and callback channels, rasa_addons/owner_channels.py),
  for this conversation and these words. Only such a message may say yes to spending money,
  to raising the standing spending limit, or to cancelling or changing a contract.
"""

from __future__ import annotations

from typing import Any

from rasa_addons.owner_stamp import stamped_by_owner


def owner_said_it(tracker: object) -> bool:
    """Whether the latest message is the owner's own words in their conversation.

    An external event (a provider's webhook turned into `trigger_intent`, a notice) is never
    the owner speaking, whatever intent it carries: it can never grant anything."""
    latest = getattr(tracker, "latest_message", None) or {}
    metadata = latest.get("metadata") or {}
    text = str(latest.get("text") or "")
    return not metadata.get("is_external") and not text.startswith("EXTERNAL:")


def owner_stamped(owner_token: str | None, tracker: object) -> bool:
    """Whether the latest message came through a channel that checked the owner's token
    (`Settings.owner_token`), in this conversation, with these words (see the module's
    docstring)."""
    latest = getattr(tracker, "latest_message", None) or {}
    return owner_said_it(tracker) and stamped_by_owner(
        owner_token, latest, str(getattr(tracker, "sender_id", ""))
    )


def turn_marker(tracker: Any) -> str:
    """Identifies the owner message a request answers, stable across re-runs of the action."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return f"{event.get('timestamp')}:{event.get('text')}"
    return "no-user-message"


def latest_intent(tracker: Any) -> str | None:
    """The name of the intent Rasa read in the latest message, if any."""
    return (tracker.latest_message.get("intent") or {}).get("name")


def latest_text(tracker: Any) -> str:
    """The latest message's words, or "" when it had none."""
    return tracker.latest_message.get("text") or ""
