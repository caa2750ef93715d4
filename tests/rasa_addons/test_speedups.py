"""The Rasa speed-ups change no outcome: the same answers pass and fail the action server
check, and every event type resolves to the same class as before."""

from __future__ import annotations

import asyncio
import json
import random
import tarfile

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.shared.core import events
from rasa.shared.utils.common import all_subclasses

from launcher.stack import latest_model
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


def _answers() -> list:
    """Valid answers with every kind of event, and each made invalid in several ways."""
    good_events = [
        {"event": "user", "text": "hi", "parse_data": {"intent": {"name": "greet"}}},
        {"event": "action", "name": "action_listen", "policy": None, "confidence": 1.0},
        {"event": "slot", "name": "a", "value": [1, 2]},
        {"event": "bot", "text": "hello", "data": {"buttons": []}},
        {"event": "active_loop", "name": "appointment_form"},
        {"event": "active_loop", "name": None},
        {"event": "followup", "name": "action_x"},
        {"event": "reminder", "intent": "EXTERNAL_x", "date_time": "2026-12-02T10:00:00"},
        {"event": "restart"},
        {"event": "rewind"},
        {"event": "session_started", "timestamp": 1.5},
    ]
    answers: list = [{"events": good_events, "responses": [{"text": "x"}]}, {}, {"events": []}]
    breakers = (
        lambda e: {**e, "timestamp": "yesterday"},
        lambda e: {**e, "event": "no_such_event"},
        lambda e: {k: v for k, v in e.items() if k != "event"},
        lambda e: {**e, "name": 5},
        lambda e: {**e, "text": ["a"]},
        lambda e: {**e, "metadata": "m"},
        lambda e: "not an object",
    )
    for event in good_events:
        answers.append({"events": [event]})
        answers += [{"events": [event, breaker(event)]} for breaker in breakers]
    answers += [{"events": None}, {"events": "x"}, {"responses": "x"}, [], "answer"]
    return answers


def test_action_answers_pass_and_fail_exactly_as_with_rasas_check() -> None:
    action = RemoteAction("action_x", None)
    rasa_check = speedups.ORIGINALS["RemoteAction._validate_action_result"]
    outcomes = set()
    for answer in _answers():
        try:
            expected = rasa_check(action, answer)
        except ValidationError as err:
            expected = err.message
        try:
            got = action._validate_action_result(answer)
        except ValidationError as err:
            got = err.message
        assert got == expected, answer
        outcomes.add(expected is True)
    assert outcomes == {True, False}


def test_every_event_type_resolves_to_the_class_rasa_resolves() -> None:
    rasa_resolve = speedups.ORIGINALS["Event.resolve_by_type"]
    for cls in all_subclasses(events.Event):
        if getattr(cls, "type_name", None) and not cls.__abstractmethods__:
            assert events.Event.resolve_by_type(cls.type_name) is rasa_resolve(cls.type_name)
    assert events.Event.resolve_by_type("nonsense", events.SlotSet) is events.SlotSet
    with pytest.raises(ValueError, match="Unknown event name"):
        events.Event.resolve_by_type("nonsense")


TABLES = ("rules", "rules_for_loop_unhappy_path")


def _trained_rule_lookup() -> dict[str, dict[str, str]]:
    with tarfile.open(latest_model()) as model:
        for member in model.getmembers():
            if member.name.endswith("rule_policy.json"):
                return json.load(model.extractfile(member))["lookup"]
    raise AssertionError("the trained model has no RulePolicy lookup")


def _conversations(lookup: dict[str, dict[str, str]], count: int) -> list[list[dict]]:
    """State sequences like a conversation's: each rule's own states (which it must match),
    after a stretch of other rules' states, and the same with one state's previous action or
    intent swapped for another rule's (which mostly must not)."""
    rng = random.Random(7)
    keys = sorted(key for table in TABLES for key in lookup[table])
    rules = [json.loads(key) for key in keys]
    states = [state for rule in rules for state in rule if state.get("prev_action")]
    out = []
    for _ in range(count):
        history = [rng.choice(states) for _ in range(rng.randint(0, 12))]
        rule = [dict(state) for state in rng.choice(rules)]
        if rng.random() < 0.5:
            index = rng.randrange(len(rule))
            donor = rng.choice(states)
            for part in ("prev_action", "user"):
                if part in donor and rng.random() < 0.5:
                    rule[index] = {**rule[index], part: donor[part]}
        out.append(history + rule)
    return out


def test_rule_matching_finds_exactly_the_rules_rasa_finds() -> None:
    from rasa.core.policies.rule_policy import RulePolicy

    lookup = _trained_rule_lookup()
    policy = RulePolicy.__new__(RulePolicy)  # the two methods read only their arguments
    rasa_keys = speedups.ORIGINALS["RulePolicy._get_possible_keys"]
    matched = 0
    for table in TABLES:
        for states in _conversations(lookup, 400):
            expected = rasa_keys(policy, lookup[table], states)
            assert policy._get_possible_keys(lookup[table], states) == expected
            matched += bool(expected)
    assert matched > 50  # the comparison covered matches, not only misses


def test_the_action_server_gets_the_same_request_body_byte_for_byte() -> None:
    import json

    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker
    from rasa.utils.endpoints import EndpointConfig

    from tests.conftest import PROJECT_ROOT

    domain = Domain.load(str(PROJECT_ROOT / "domain.yml"))
    tracker = DialogueStateTracker.from_events(
        "owner",
        [
            ActionExecuted("action_listen"),
            UserUttered("my meter says 12", {"name": "submit_meter_reading", "confidence": 1}),
            SlotSet("reading_value", "12"),
        ],
        domain.slots,
    )
    action = RemoteAction("action_submit_meter_reading", EndpointConfig("http://127.0.0.1:1"))
    rasas = speedups.ORIGINALS["RemoteAction._action_call_format"](action, tracker, domain)
    for _ in range(2):  # made once, then reused
        ours = action._action_call_format(tracker, domain)
        assert speedups.serialise(ours) == json.dumps(rasas)
    assert speedups.serialise({"other": [1, "x"]}) == json.dumps({"other": [1, "x"]})

    async def serialiser() -> object:
        async with EndpointConfig("http://127.0.0.1:1").session() as session:
            return session._json_serialize

    assert asyncio.run(serialiser()) is speedups.serialise
