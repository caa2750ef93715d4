"""Whose words a turn carries, and what they were."""

from __future__ import annotations

from rasa_sdk import Tracker

from actions.owner.messages import latest_intent, latest_text, owner_said_it
from tests.actions.conftest import make_tracker


def test_the_latest_intent_and_words_are_read_from_the_latest_message(domain) -> None:
    tracker = make_tracker(domain, text="order a filter", intent="order_part")
    assert latest_intent(tracker) == "order_part"
    assert latest_text(tracker) == "order a filter"
    assert owner_said_it(tracker)


def test_a_turn_with_no_message_has_no_intent_and_no_words() -> None:
    tracker = Tracker("t", {}, {}, [], False, None, {}, "action_listen")
    assert latest_intent(tracker) is None
    assert latest_text(tracker) == ""


def test_an_external_event_is_not_the_owner_speaking(domain) -> None:
    tracker = make_tracker(domain, text="EXTERNAL: notice", intent="EXTERNAL_notice")
    assert latest_intent(tracker) == "EXTERNAL_notice"
    assert not owner_said_it(tracker)
