"""Every form has a way out: a message that only refuses ends it with one answer and nothing
sent, whatever intent Rasa read in it; a yes/no question's "no" stays that question's answer;
an answer Rasa misread as another intent still answers when its words name a choice."""

from __future__ import annotations

from actions.journeys.form_exit import switches_to
from actions.journeys.meter_readings import ActionSubmitMeterReading, ValidateMeterReadingForm
from actions.journeys.open_ticket import ActionOpenTicket
from actions.journeys.part_form import ValidatePartOrderForm
from actions.journeys.report_problem_form import ValidateReportProblemForm
from tests.actions.conftest import make_tracker, responses, run_action, slot_events
from tests.actions.journeys.part_fixtures import CAR, answer, ask, chosen, tracker_with


def meter_turn(domain, text: str, intent: str):
    tracker = make_tracker(
        domain,
        text,
        intent=intent,
        slots={"requested_slot": "reading_meter"},
        active_loop="meter_reading_form",
    )
    return run_action(ValidateMeterReadingForm(), tracker, domain)


def ended(events) -> bool:
    return any(e["event"] == "active_loop" and e["name"] is None for e in events)


def test_a_refusal_read_as_an_answer_ends_the_form(standin_env, domain):
    messages, events = meter_turn(domain, "no, I'll do it later", "inform")
    assert responses(messages) == ["utter_task_stopped"]
    assert ended(events)
    assert slot_events(events)["reading_meter"] is None


def test_a_no_with_an_answer_in_it_is_that_answer(standin_env, domain):
    messages, events = meter_turn(domain, "no, the gas one", "deny")
    assert messages == []
    assert not ended(events)
    assert slot_events(events)["reading_meter"] == "G-77121"


def test_a_centre_named_under_another_intent_is_the_answer(standin_env, domain):
    slots = {"part_device": CAR, "part_sku": "VM-CPA-3"}
    tracker = tracker_with(domain, "send it to berlin", "try_again", slots, "part_centre")
    messages, events = run_action(ValidatePartOrderForm(), tracker, domain)
    assert messages == []
    assert slot_events(events)["part_centre"] == "SC-BER-1"


def test_a_no_to_the_price_is_the_answer_not_a_way_out(standin_env, domain):
    slots = chosen()
    _, quote = ask(domain, slots)
    assert answer(domain, slots, quote, "no", "deny")["part_order_confirmed"] is False


def test_after_a_stop_the_forms_sending_actions_say_nothing(standin_env, domain):
    # Rasa runs the action that follows a finished form also when the form was stopped.
    for action in (ActionOpenTicket(), ActionSubmitMeterReading()):
        tracker = make_tracker(domain, "no, leave it", intent="deny")
        messages, _ = run_action(action, tracker, domain)
        assert messages == [], action.name()


def test_an_answer_that_asks_for_another_journey_sets_the_form_aside_and_asks(standin_env, domain):
    tracker = make_tracker(
        domain,
        "actually, just ring them for me instead",
        intent="place_call",
        slots={"problem_provider": "voltra-motors", "requested_slot": "problem_category"},
        active_loop="report_problem_form",
    )
    tracker.latest_message["intent"]["confidence"] = 0.9
    messages, events = run_action(ValidateReportProblemForm(), tracker, domain)
    assert responses(messages) == ["utter_task_set_aside"]
    assert ended(events)
    choice = slot_events(events)["intent_choice"]
    assert choice["options"] == ["place_call"]
    # The company the report was about goes with the call.
    assert {"entity": "provider", "value": "voltra-motors"} in choice["entities"]
    assert any(e["event"] == "followup" and e["name"] == "intent_choice_form" for e in events)


def test_free_text_or_an_unsure_reading_is_an_answer_not_a_switch(standin_env, domain):
    note = make_tracker(
        domain,
        "please call me back after 5",
        intent="request_callback",
        slots={"case_ticket": "TCK-1", "requested_slot": "case_note_text"},
        active_loop="case_note_form",
    )
    assert switches_to(note) is None
    unsure = make_tracker(
        domain,
        "ring them",
        intent="place_call",
        slots={"requested_slot": "problem_category"},
        active_loop="report_problem_form",
    )
    unsure.latest_message["intent"]["confidence"] = 0.7
    assert switches_to(unsure) is None


def test_a_free_text_answer_that_changes_its_mind_is_a_switch(standin_env, domain):
    # The description question: "my phone keeps dropping calls" describes; "actually, just
    # ring them instead" asks for a call (it was filed as the description once).
    def at_description(text: str, intent: str):
        tracker = make_tracker(
            domain,
            text,
            intent=intent,
            slots={"problem_provider": "voltra-motors", "requested_slot": "problem_description"},
            active_loop="report_problem_form",
        )
        tracker.latest_message["intent"]["confidence"] = 0.95
        return tracker

    assert switches_to(at_description("actually, just ring them for me instead", "place_call"))
    assert switches_to(at_description("my phone keeps dropping calls", "place_call")) is None
