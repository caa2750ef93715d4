"""The conversation suite's judge (bench/conversation_suite.py): effects read from two desk
snapshots, matched exactly once, contradictions found, scenario files refused when wrong. The
suite itself runs against the stack in tests/e2e/test_conversations.py and `make bench`."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from bench.conversation_suite import (
    Effect,
    ExpectedEffect,
    Scenario,
    ScenarioError,
    Transcript,
    contradictions,
    effects_between,
    judge,
    load_scenarios,
    summarise,
    unexpected_effects,
)

MACHINE = {"kind": "machine"}
HUMAN = {"kind": "human"}


def ticket(tid: str, **kw: Any) -> dict[str, Any]:
    base = {
        "id": tid,
        "provider": "nimbus-telecom",
        "category": "internet",
        "severity": "normal",
        "status": "open",
        "notes": [],
        "escalated": False,
    }
    return {**base, **kw}


def state(**tables: list[dict[str, Any]]) -> dict[str, Any]:
    empty = {
        "tickets": [],
        "calls": [],
        "appointments": [],
        "part_orders": [],
        "meter_readings": [],
    }
    return {**empty, **tables}


def test_nothing_changed_is_no_effect() -> None:
    snap = state(tickets=[ticket("T1")])
    assert effects_between(snap, copy.deepcopy(snap)) == []


def test_a_new_ticket_and_the_machines_notes_are_effects_the_simulations_are_not() -> None:
    before = state(tickets=[ticket("T1")])
    after = state(
        tickets=[
            ticket(
                "T1",
                status="in_progress",  # the desk's own simulation
                notes=[{"client": MACHINE}, {"client": HUMAN}],
            ),
            ticket("T2", provider="homecare-appliances", category="repair", severity="high"),
        ]
    )
    found = effects_between(before, after)
    assert [str(e) for e in found] == [
        "note_added(nimbus-telecom)",
        "ticket_opened(homecare-appliances, category=repair, severity=high)",
    ]


def test_cancel_escalate_call_callback_hangup_booking_order_and_reading() -> None:
    appt = {"id": "A1", "provider": "voltra-motors", "service": "repair"}
    booked = {"status": "booked"}
    before = state(
        tickets=[ticket("T1")],
        calls=[{"id": "C1", "provider": "nimbus-telecom", "callback": None, "ended_reason": None}],
        appointments=[{**appt, "history": [booked]}, {**appt, "id": "A2", "history": [booked]}],
    )
    after = state(
        tickets=[ticket("T1", status="cancelled", escalated=True)],
        calls=[
            {
                "id": "C1",
                "provider": "nimbus-telecom",
                "callback": None,
                "ended_reason": "customer_hangup",
            },
            {"id": "C2", "provider": "voltra-motors", "callback": {"due_at": "x"}},
        ],
        appointments=[
            {**appt, "history": [booked, {"status": "cancelled"}]},
            {**appt, "id": "A2", "history": [booked, {"status": "rescheduled"}]},
            # Booked and moved within the same scenario: both are effects.
            {**appt, "id": "A3", "history": [booked, {"status": "rescheduled"}]},
        ],
        part_orders=[{"id": "O1", "provider": "homecare-appliances", "sku": "HC-1"}],
        meter_readings=[{"id": "R1", "account_id": "BG-1", "meter_id": "E-1"}],
    )
    found = sorted(str(e) for e in effects_between(before, after, {"BG-1": "brightgrid-energy"}))
    assert found == sorted(
        [
            "ticket_cancelled(nimbus-telecom)",
            "ticket_escalated(nimbus-telecom)",
            "call_hung_up(nimbus-telecom)",
            "call_placed(voltra-motors)",
            "callback_requested(voltra-motors)",
            "appointment_cancelled(voltra-motors)",
            "appointment_rescheduled(voltra-motors)",
            "appointment_booked(voltra-motors, service=repair)",
            "appointment_rescheduled(voltra-motors)",
            "part_ordered(homecare-appliances, sku=HC-1)",
            "meter_reading(brightgrid-energy, meter=E-1)",
        ]
    )


def test_each_expected_effect_is_matched_once_and_the_rest_is_unasked() -> None:
    observed = [
        Effect("ticket_opened", "nimbus-telecom", (("category", "internet"),)),
        Effect("ticket_opened", "nimbus-telecom", (("category", "internet"),)),
        Effect("call_placed", "nimbus-telecom"),
    ]
    wanted = [ExpectedEffect(kind="ticket_opened", provider="nimbus-telecom", category="internet")]
    missing, extra = unexpected_effects(observed, wanted)
    assert missing == []
    assert [str(e) for e in extra] == [
        "ticket_opened(nimbus-telecom, category=internet)",
        "call_placed(nimbus-telecom)",
    ]
    wrong = [ExpectedEffect(kind="ticket_opened", provider="nimbus-telecom", category="billing")]
    assert unexpected_effects(observed[:1], wrong) == (wrong, observed[:1])


def test_a_turn_that_closes_the_subject_and_asks_is_a_contradiction() -> None:
    turns = [
        ["utter_ask_problem_category"],
        ["utter_anything_else", "utter_ask_problem_category"],
        ["utter_task_stopped"],
    ]
    assert contradictions(turns) == ["turn 2: utter_anything_else with utter_ask_problem_category"]


def test_the_verdict_names_every_reason() -> None:
    scenario = Scenario(
        id="s",
        say=["report it"],
        effects=[{"kind": "ticket_opened", "provider": "nimbus-telecom"}],
        told=["ticket"],
        never_told=["anything else"],
    )
    transcript = Transcript(
        replies=[["OK. Anything else I can do for you?"]], responses=[["utter_anything_else"]]
    )
    verdict = judge(scenario, [Effect("call_placed", "nimbus-telecom")], transcript)
    assert not verdict.passed
    assert verdict.reasons == [
        "did not happen: ticket_opened(nimbus-telecom)",
        "not asked for: call_placed(nimbus-telecom)",
        "never told /ticket/",
        'told /anything else/: "OK. Anything else I can do for you?"',
    ]
    good = Transcript(replies=[["Done: ticket TCK-1 opened"]], responses=[["utter_ticket_opened"]])
    opened = Effect("ticket_opened", "nimbus-telecom")
    assert judge(scenario, [opened], good).passed


def test_confirmations_are_counted_per_conversation_and_in_all() -> None:
    scenario = Scenario(id="s", say=["a", "b"], effects=[])
    asked = Transcript(
        replies=[["Do you want me to phone or report?"], ["Done"]],
        responses=[["utter_ask_chosen_intent"], ["utter_ticket_opened"]],
    )
    plain = Transcript(replies=[["Hi"]], responses=[["utter_greet"]])
    verdicts = [judge(scenario, [], asked), judge(scenario, [], plain)]
    assert [v.as_dict()["confirmations"] for v in verdicts] == [1, 0]
    counts = summarise(verdicts, 1.0)["confirmations"]
    assert counts == {"asked": 1, "conversations_asked": 1, "conversations": 2, "turns": 3}


def test_scenario_files_load_with_blind_set_by_their_place(tmp_path: Path) -> None:
    (tmp_path / "blind").mkdir()
    (tmp_path / "a.yml").write_text("- {id: one, say: [hi], effects: []}\n")
    (tmp_path / "blind" / "b.yml").write_text("- {id: two, say: [hello], effects: []}\n")
    loaded = {s.id: s.blind for s in load_scenarios(tmp_path)}
    assert loaded == {"one": False, "two": True}


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("- {id: one, say: [hi], effects: []}\n- {id: one, say: [yo], effects: []}\n", "twice"),
        ("- {id: one, say: [], effects: []}\n", "say"),
        ("- {id: one, say: [hi], effects: [{kind: teleport, provider: x}]}\n", "kind"),
        ("- {id: one, say: [hi], effects: [], colour: red}\n", "colour"),
        ("- {id: one, say: [hi], effects: [], blind: true}\n", "blind"),
        ("- {id: one, say: [hi], effects: [], told: ['(']}\n", "told"),
        ("id: one\n", "a list"),
        ("- [unclosed\n", "not YAML"),
    ],
)
def test_a_bad_scenario_file_is_refused_naming_the_problem(
    tmp_path: Path, text: str, says: str
) -> None:
    (tmp_path / "bad.yml").write_text(text)
    with pytest.raises(ScenarioError, match=says):
        load_scenarios(tmp_path)


def test_the_projects_scenarios_load() -> None:
    scenarios = load_scenarios()
    assert scenarios, "tests/conversations/ holds the suite"
    assert any(s.fast for s in scenarios), "some scenarios run in make test"
