"""The Rasa speed-ups change no outcome: the same answers pass and fail the action server
check, and every event type resolves to the same class as before."""

from __future__ import annotations

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.shared.core import events
from rasa.shared.utils.common import all_subclasses

from rasa_addons import speedups


@pytest.fixture(scope="module", autouse=True)
def applied() -> None:
    speedups.apply()


def test_action_answers_are_checked_as_before() -> None:
    action = RemoteAction("action_x", None)
    good = {"events": [{"event": "slot", "name": "a", "value": 1}], "responses": [{"text": "hi"}]}
    assert action._validate_action_result(good) is True
    for bad in ({"events": "not a list"}, {"events": [{"no_event_key": 1}]}):
        with pytest.raises(ValidationError, match="Failed to validate Action server response"):
            action._validate_action_result(bad)


def test_every_event_type_resolves_to_its_own_class() -> None:
    for cls in all_subclasses(events.Event):
        if getattr(cls, "type_name", None) and not cls.__abstractmethods__:
            assert events.Event.resolve_by_type(cls.type_name) is cls
    assert events.Event.resolve_by_type("nonsense", events.SlotSet) is events.SlotSet
    with pytest.raises(ValueError, match="Unknown event name"):
        events.Event.resolve_by_type("nonsense")
