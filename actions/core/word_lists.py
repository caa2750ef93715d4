"""Lists said in a sentence ("Lisbon, Istanbul or Berlin"), joined by words that live in the
domain (`utter_list_or`, `utter_list_and`) like every other word the owner sees."""

from __future__ import annotations

from collections.abc import Sequence

from rasa_sdk.types import DomainDict

from actions.core.phrases import response_text


def _joined(domain: DomainDict, items: Sequence[str], response: str) -> str:
    if len(items) < 2:
        return "".join(items)
    pattern = response_text(domain, response) or "{rest}, {last}"
    return pattern.replace("{rest}", ", ".join(items[:-1])).replace("{last}", items[-1])


def one_of(domain: DomainDict, items: Sequence[str]) -> str:
    """ "Lisbon, Istanbul or Berlin"."""
    return _joined(domain, items, "utter_list_or")


def all_of(domain: DomainDict, items: Sequence[str]) -> str:
    """ "Lisbon, Istanbul and Berlin"."""
    return _joined(domain, items, "utter_list_and")
