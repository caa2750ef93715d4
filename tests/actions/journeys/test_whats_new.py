"""'Anything new?', on real trackers against the real desk and a real case memory."""

from __future__ import annotations

from actions.journeys.whats_new import ActionWhatsNew
from tests.actions.conftest import make_tracker, responses, run_action
from tests.actions.journeys.case_fixtures import (
    desk_ticket,
    homecare_has_the_same_id,
    nimbus_internet,
)


class TestWhatsNew:
    def test_a_change_is_reported_once_then_nothing_new(self, standin_env, domain):
        ticket_id = nimbus_internet(domain)

        def ask():
            tracker = make_tracker(domain, "anything new on my cases?", intent="whats_new")
            return run_action(ActionWhatsNew(), tracker, domain)[0]

        first = ask()
        assert responses(first) == ["utter_news_new_case"]
        assert responses(ask()) == ["utter_nothing_new"]
        standin_env.advance(16 * 60)
        changed = ask()
        assert responses(changed) == ["utter_news_status_changed"]
        assert changed[0]["ticket_id"] == ticket_id
        assert (changed[0]["old_status"], changed[0]["status"]) == ("open", "in progress")
        assert responses(ask()) == ["utter_nothing_new"]
        standin_env.advance(31 * 60)
        asked = ask()
        assert responses(asked) == ["utter_news_status_changed", "utter_news_question"]
        assert asked[1]["question"] == desk_ticket(standin_env, ticket_id)["question"]
        assert responses(ask()) == ["utter_nothing_new"]

    def test_no_cases_at_all(self, standin_env, domain):
        tracker = make_tracker(domain, "anything new?", intent="whats_new")
        messages, _ = run_action(ActionWhatsNew(), tracker, domain)
        assert responses(messages) == ["utter_nothing_new_at_all"]

    def test_whats_new_tells_each_companys_case_apart(self, standin_env, domain):
        ticket_id = nimbus_internet(domain)
        homecare_has_the_same_id(ticket_id)

        def ask():
            tracker = make_tracker(domain, "anything new on my cases?", intent="whats_new")
            return run_action(ActionWhatsNew(), tracker, domain)[0]

        first = ask()
        assert responses(first) == ["utter_news_new_case", "utter_news_new_case"]
        assert {m["provider_name"] for m in first} == {"Nimbus Telecom", "HomeCare Appliances"}
        assert responses(ask()) == ["utter_nothing_new"]
        standin_env.advance(16 * 60)  # Nimbus's ticket moves on; HomeCare's does not
        changed = ask()
        assert responses(changed) == ["utter_news_status_changed"]
        assert changed[0]["provider_name"] == "Nimbus Telecom"
