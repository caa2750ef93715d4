"""The report-a-problem form, run on real trackers against the real service desk."""

from __future__ import annotations

from actions.journeys.report_problem_form import (
    ActionAskProblemCategory,
    ActionAskProblemProvider,
    ValidateReportProblemForm,
)
from tests.actions.conftest import make_tracker, responses, run_action, slot_events
from tests.actions.journeys.case_fixtures import (
    REPORT,
    report_form_turn,
)


class TestValidateReportForm:
    def test_provider_alias_in_any_case_is_resolved(self, standin_env, domain):
        for said, expected in [
            ("NIMBUS", "nimbus-telecom"),
            ("aqua flow", "aquaflow-water"),
            ("Bright Grid", "brightgrid-energy"),
            ("homecare appliances", "homecare-appliances"),
        ]:
            _, events = report_form_turn(
                domain, said, {"problem_provider": said}, "problem_provider"
            )
            assert slot_events(events)["problem_provider"] == expected, said

    def test_unknown_provider_gets_a_question_with_the_known_ones(self, standin_env, domain):
        messages, events = report_form_turn(
            domain, "Acme", {"problem_provider": "Acme"}, "problem_provider"
        )
        assert slot_events(events)["problem_provider"] is None
        assert responses(messages) == ["utter_unknown_provider"]
        assert messages[0]["name"] == "Acme"
        tracker = make_tracker(domain, "Acme", slots={"requested_slot": "problem_provider"})
        messages, _ = run_action(ActionAskProblemProvider(), tracker, domain)
        assert responses(messages) == ["utter_ask_problem_provider"]
        for name in ["Nimbus Telecom", "Voltra Motors", "AquaFlow Water", "HomeCare Appliances"]:
            assert name in messages[0]["known_providers"]

    def test_first_message_gives_provider_and_category(self, standin_env, domain):
        _, events = report_form_turn(domain, REPORT, {"problem_description": REPORT})
        slots = slot_events(events)
        assert slots["problem_provider"] == "nimbus-telecom"
        assert slots["problem_description"] == REPORT
        assert slots["problem_category"] == "internet"
        assert slots.get("requested_slot") is None

    def test_only_the_missing_company_is_asked_for(self, standin_env, domain):
        text = "the dishwasher is broken"  # no dishwasher in the profile
        _, events = report_form_turn(domain, text, {"problem_description": text})
        slots = slot_events(events)
        assert slots["problem_description"] == text
        assert slots.get("problem_provider") is None
        assert "problem_category" not in slots

    def test_the_device_says_which_company(self, standin_env, domain):
        text = "the fridge is leaking"
        _, events = report_form_turn(domain, text, {"problem_description": text})
        slots = slot_events(events)
        assert slots["problem_provider"] == "homecare-appliances"
        assert slots["problem_category"] == "repair"

    def test_request_without_a_problem_asks_what_is_wrong(self, standin_env, domain):
        text = "I want to report a problem to Nimbus"
        _, events = report_form_turn(domain, text, {"problem_description": text})
        assert slot_events(events)["problem_description"] is None

    def test_category_answer_matches_by_name_or_number(self, standin_env, domain):
        base = {"problem_provider": "nimbus-telecom", "problem_description": "it is broken"}
        for said, expected in [("billing", "billing"), ("2", "mobile"), ("Internet", "internet")]:
            _, events = report_form_turn(
                domain, said, {**base, "problem_category": said}, "problem_category", "inform"
            )
            assert slot_events(events)["problem_category"] == expected, said

    def test_unmatched_category_is_asked_again(self, standin_env, domain):
        base = {"problem_provider": "nimbus-telecom", "problem_description": "it is broken"}
        messages, events = report_form_turn(
            domain, "pizza", {**base, "problem_category": "pizza"}, "problem_category", "inform"
        )
        assert slot_events(events)["problem_category"] is None
        assert responses(messages) == ["utter_category_not_understood"]

    def test_category_question_lists_the_providers_categories(self, standin_env, domain):
        tracker = make_tracker(domain, "x", slots={"problem_provider": "nimbus-telecom"})
        messages, _ = run_action(ActionAskProblemCategory(), tracker, domain)
        assert responses(messages) == ["utter_ask_problem_category"]
        assert "Internet" in messages[0]["categories"]
        assert len(messages[0]["buttons"]) == 5


VOLTRA_SCREEN = "the car's infotainment screen keeps freezing, report it to voltra"
ASKING_CATEGORY = {"problem_provider": "voltra-motors", "problem_description": VOLTRA_SCREEN}


def category_answer(domain, said, intent="inform", misses=None):
    """The owner's answer to the category question (the mapping has copied it, unless the
    intent is one the mapping refuses)."""
    slots = {**ASKING_CATEGORY, "problem_category_misses": misses}
    answered = {} if intent in ("deny", "greet", "try_again") else {"problem_category": said}
    tracker = make_tracker(
        domain,
        said,
        intent=intent,
        slots={**slots, "requested_slot": "problem_category"},
        active_loop="report_problem_form",
    )
    tracker.events.extend({"event": "slot", "name": k, "value": v} for k, v in answered.items())
    return run_action(ValidateReportProblemForm(), tracker, domain)


class TestTheCategoryQuestionHasAWayOut:
    def test_a_first_answer_that_matches_nothing_is_asked_again(self, standin_env, domain):
        messages, events = category_answer(domain, "it just freezes")
        assert responses(messages) == ["utter_category_not_understood"]
        assert slot_events(events)["problem_category"] is None
        assert slot_events(events)["problem_category_misses"] == 1

    def test_a_second_goes_to_the_companys_general_category_and_says_so(self, standin_env, domain):
        messages, events = category_answer(domain, "the screen", misses=1)
        assert responses(messages) == ["utter_category_general"]
        assert messages[0]["category_name"] == "Service and repairs"
        assert slot_events(events)["problem_category"] == "repairs"

    def test_i_dont_know_goes_to_the_closest_category_when_the_words_point_to_one(
        self, standin_env, domain
    ):
        tracker_slots = {**ASKING_CATEGORY, "problem_description": "the charging port is loose"}
        tracker = make_tracker(
            domain,
            "no idea, you choose",
            intent="deny",
            slots={**tracker_slots, "requested_slot": "problem_category"},
            active_loop="report_problem_form",
        )
        messages, events = run_action(ValidateReportProblemForm(), tracker, domain)
        assert responses(messages) == ["utter_category_closest"]
        assert slot_events(events)["problem_category"] == "charging"

    def test_an_answer_read_as_a_no_is_an_answer_when_it_names_a_category(
        self, standin_env, domain
    ):
        slots = {"problem_provider": "nimbus-telecom", "problem_description": "internt brokn"}
        tracker = make_tracker(
            domain,
            "no signal on any device",
            intent="deny",
            slots={**slots, "requested_slot": "problem_category"},
            active_loop="report_problem_form",
        )
        messages, events = run_action(ValidateReportProblemForm(), tracker, domain)
        assert messages == []
        assert slot_events(events)["problem_category"] == "internet"

    def test_a_no_that_only_refuses_ends_the_report_with_nothing_sent(self, standin_env, domain):
        messages, events = category_answer(domain, "no, leave it", intent="deny")
        assert responses(messages) == ["utter_task_stopped"]
        assert any(e["event"] == "active_loop" and e["name"] is None for e in events)
        assert slot_events(events)["problem_provider"] is None

    def test_a_yes_never_files_the_report(self, standin_env, domain):
        # A turn to another journey sets the report aside instead (test_form_exit.py).
        messages, events = category_answer(domain, "yes", intent="affirm", misses=1)
        assert responses(messages) == ["utter_category_not_understood"]
        assert slot_events(events)["problem_category"] is None
        assert slot_events(events)["problem_category_misses"] == 1


class TestADescriptionNoCategoryFits:
    """Issue 15: a description that matches no category goes to the company's general one,
    and the owner is told; words that fit two categories get the question."""

    def test_is_filed_under_the_general_category_and_said_so(self, standin_env, domain):
        messages, events = report_form_turn(
            domain, VOLTRA_SCREEN, {"problem_description": VOLTRA_SCREEN}
        )
        assert slot_events(events)["problem_provider"] == "voltra-motors"
        assert slot_events(events)["problem_category"] == "repairs"
        assert responses(messages) == ["utter_category_general"]
        assert messages[0]["category_name"] == "Service and repairs"

    def test_words_that_fit_two_categories_are_asked_about(self, standin_env, domain):
        text = "tell nimbus my phone has no signal"  # mobile (phone) or internet (signal)
        messages, events = report_form_turn(domain, text, {"problem_description": text})
        assert slot_events(events).get("problem_category") is None
        assert messages == []

    def test_a_request_without_a_description_files_nothing(self, standin_env, domain):
        text = "report something to voltra for me"
        slots = {"problem_provider": "voltra", "problem_description": text}
        messages, events = report_form_turn(domain, text, slots)
        assert slot_events(events)["problem_provider"] == "voltra-motors"
        assert slot_events(events).get("problem_category") is None
        assert "utter_category_general" not in responses(messages)
