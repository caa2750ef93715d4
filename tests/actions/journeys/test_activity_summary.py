"""'What did you do for me?' from the audit log, run against the real desk and case memory."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from actions.journeys.activity_summary import ActionActivitySummary, parse_period
from actions.journeys.case_cancellation import ActionCancelCase
from actions.journeys.case_notes import ActionSendCaseNote
from tests.actions.conftest import make_tracker, responses, run_action
from tests.actions.journeys.case_fixtures import nimbus_internet

LISBON = ZoneInfo("Europe/Lisbon")


def summary(domain, text):
    tracker = make_tracker(domain, text, intent="activity_summary")
    return run_action(ActionActivitySummary(), tracker, domain)[0]


def test_periods_in_the_owners_words():
    now = datetime(2026, 11, 26, 15, 0, tzinfo=timezone.utc)  # a Thursday
    assert parse_period("what did you do today", now, LISBON).since.day == 26
    week = parse_period("what did you do for me this wek", now, LISBON)
    assert week.since.weekday() == 0 and week.since.day == 23
    since = parse_period("since monday", now, LISBON)
    assert since.since.day == 23 and since.until == now
    yesterday = parse_period("what happened yesterdy", now, LISBON)
    assert (yesterday.since.day, yesterday.until.day) == (25, 26)
    assert parse_period("what did you do for me", now, LISBON).since is None


def test_lists_what_the_audit_log_holds_and_nothing_of_sams(standin_env, domain):
    ticket_id = nimbus_internet(domain)
    note = {"case_ticket": ticket_id, "case_note_text": "it happens every evening"}
    run_action(ActionSendCaseNote(), make_tracker(domain, "x", slots=note), domain)
    standin_env.post("/_sim/faults", {"error_rate": 1.0})
    try:
        failed = {"case_ticket": ticket_id, "cancel_confirmed": True}
        tracker = make_tracker(domain, "yes", intent="affirm", slots=failed, timestamp=2e9)
        run_action(ActionCancelCase(), tracker, domain)
    finally:
        standin_env.post("/_sim/faults", {})
    status, _, sams = standin_env.post(
        "/v1/tickets",
        {
            "provider": "nimbus-telecom",
            "category": "billing",
            "summary": "Sam's bill",
            "description": "Sam's private ticket",
            "severity": "normal",
            "on_behalf_of": {"name": "Sam Lee"},
        },
        key="sk-nimbus-sam",
    )
    assert status == 201, sams

    messages = summary(domain, "what did you do for me today?")
    names = responses(messages)
    assert names[:4] == [
        "utter_activity_header",
        "utter_activity_ticket_done",
        "utter_activity_note_done",
        "utter_activity_cancel_pending",
    ]
    assert messages[0]["count"] == 3
    assert messages[1]["ticket_id"] == ticket_id
    assert messages[2]["note_text"] == "it happens every evening"
    assert "utter_activity_pending_hint" in names and "utter_activity_reads" in names
    everything = repr(messages)
    assert sams["id"] not in everything and "Sam" not in everything
    assert "sk-" not in everything  # no API key, ever


def test_a_period_with_nothing_says_so(standin_env, domain):
    nimbus_internet(domain)
    messages = summary(domain, "what did you do for me yesterday")
    assert responses(messages) == ["utter_activity_none"]
