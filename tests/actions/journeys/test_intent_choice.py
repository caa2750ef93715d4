"""Which did the owner mean: asked when a reading that would act at a company is doubtful, and
the original message taken again with the intent the owner picked."""

from __future__ import annotations

import pytest

from actions.handoff.misunderstanding import ActionHandleMisunderstanding
from actions.journeys.intent_choice import (
    ActionApplyIntentChoice,
    ActionAskChosenIntent,
    ValidateIntentChoiceForm,
)
from tests.actions.conftest import make_tracker, responses, run_action, slot_events

SAID = "nimbus broadband is really slow, please log a fault"
NIMBUS = {"entity": "provider", "value": "nimbus", "start": 0, "end": 6}


def doubtful_message(domain, ranking, active_loop=None):
    tracker = make_tracker(
        domain, SAID, intent="nlu_fallback", entities=[NIMBUS], active_loop=active_loop
    )
    tracker.latest_message["intent_ranking"] = [
        {"name": "nlu_fallback", "confidence": 0.35},
        *({"name": n, "confidence": c} for n, c in ranking),
    ]
    return tracker


def kept(domain, options=("place_call", "report_problem")):
    tracker = doubtful_message(domain, [(o, 0.4) for o in options])
    return {
        "text": SAID,
        "entities": [NIMBUS],
        "message_id": tracker.latest_message["message_id"],
        "metadata": tracker.latest_message["metadata"],
        "options": list(options),
    }


def test_a_doubtful_call_or_report_starts_the_question_naming_both(standin_env, domain):
    tracker = doubtful_message(domain, [("place_call", 0.47), ("report_problem", 0.35)])
    messages, events = run_action(ActionHandleMisunderstanding(), tracker, domain)
    assert messages == []
    assert slot_events(events)["intent_choice"]["options"] == ["place_call", "report_problem"]
    assert {"event": "followup", "name": "intent_choice_form"} in [
        {"event": e["event"], "name": e.get("name")} for e in events
    ]


def test_a_plain_misunderstanding_or_one_inside_a_form_is_not_a_choice(standin_env, domain):
    chat = doubtful_message(domain, [("greet", 0.3), ("goodbye", 0.25)])
    messages, events = run_action(ActionHandleMisunderstanding(), chat, domain)
    assert responses(messages) == ["utter_default"]
    in_form = doubtful_message(
        domain, [("place_call", 0.47), ("report_problem", 0.35)], "part_order_form"
    )
    messages, _ = run_action(ActionHandleMisunderstanding(), in_form, domain)
    assert responses(messages) == ["utter_default"]


def test_the_question_names_the_company_and_what_each_would_do(standin_env, domain):
    tracker = make_tracker(domain, SAID, slots={"intent_choice": kept(domain)})
    messages, _ = run_action(ActionAskChosenIntent(), tracker, domain)
    assert responses(messages) == ["utter_ask_chosen_intent"]
    assert messages[0]["choices"] == (
        "phone Nimbus Telecom or report the problem to Nimbus Telecom"
    )
    assert [b["payload"] for b in messages[0]["buttons"]] == ["/place_call", "/report_problem"]


@pytest.mark.parametrize(
    ("answer", "intent", "picked"),
    [
        ("report it", "stop", "report_problem"),  # the words pick, whatever Rasa read
        ("/report_problem", "report_problem", "report_problem"),
        ("just ring them", "inform", "place_call"),
        ("the second one", "inform", "report_problem"),
        ("1", "inform", "place_call"),
        ("speeds under 2 mbps all day", "set_callback_preference", None),
        ("yes", "affirm", None),  # two options: a yes picks neither
    ],
)
def test_the_answer_picks_one_or_none(standin_env, domain, answer, intent, picked):
    tracker = make_tracker(
        domain,
        answer,
        intent=intent,
        slots={"intent_choice": kept(domain), "requested_slot": "chosen_intent"},
        active_loop="intent_choice_form",
    )
    _, events = run_action(ValidateIntentChoiceForm(), tracker, domain)
    assert slot_events(events).get("chosen_intent") == picked


def test_the_pick_takes_the_owners_own_message_again_with_that_intent(standin_env, domain):
    choice = kept(domain)
    tracker = make_tracker(
        domain, "report it", slots={"intent_choice": choice, "chosen_intent": "report_problem"}
    )
    messages, events = run_action(ActionApplyIntentChoice(), tracker, domain)
    assert messages == []
    listen, again = events[-2:]
    assert listen["event"] == "action" and listen["name"] == "action_listen"
    assert again["event"] == "user" and again["text"] == SAID
    assert again["parse_data"]["intent"]["name"] == "report_problem"
    assert again["parse_data"]["entities"] == [NIMBUS]
    assert again["message_id"] == choice["message_id"]
    assert again["metadata"] == choice["metadata"]  # the owner's stamp, unchanged
    assert slot_events(events) == {"intent_choice": None, "chosen_intent": None}


def test_nothing_is_taken_again_when_the_question_was_stopped(standin_env, domain):
    tracker = make_tracker(domain, "no", intent="deny")
    messages, events = run_action(ActionApplyIntentChoice(), tracker, domain)
    assert messages == []
    assert all(e["event"] == "slot" for e in events)
