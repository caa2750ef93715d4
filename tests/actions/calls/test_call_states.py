"""What a desk snapshot means for a call (actions.calls.call_states), decided without a store.

The tracker tests (test_tracker, test_call_events, test_owner_decisions) run the same rules
against the real desk; these pin the decisions themselves on hand-made snapshots.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from actions.calls.call_states import UNDELIVERED_GRACE_S, decide, queue_notices
from actions.core.clock import utc_now
from actions.owner.profile import Preferences
from actions.providers.desk_models import Call
from actions.store.calls import CallRecord, Change
from actions.store.notices import Notice

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
NIMBUS = "nimbus-telecom"
TZ = "Europe/Lisbon"  # UTC+0 in November
QUIET = Preferences(quiet_hours_start="22:00", quiet_hours_end="07:00")


def record(state: str, **values: Any) -> CallRecord:
    fields: dict[str, Any] = {
        "call_id": "CALL-1",
        "provider": NIMBUS,
        "account_id": "NT-908812",
        "reason": "my bill",
        "topic": "billing",
        "state": state,
        "conversation_id": "conv-1",
        "output_channel": "callback",
        "desk_version": None,
        "position": None,
        "estimated_wait_s": None,
        "outcome": None,
        "handoff": None,
        "handoff_deadline": None,
        "notify": {},
        "snapshot": {},
        "created_at": T0,
        "updated_at": T0,
    }
    return CallRecord(**{**fields, **values})


def snapshot(state: str, at: datetime = T0, **values: Any) -> Call:
    return Call.parse_obj(
        {"id": "CALL-1", "provider": NIMBUS, "state": state, "updated_at": at, **values}
    )


def no_queue(call: Call, notify: dict[str, Any], change: Change) -> list[Notice]:
    raise AssertionError("the queue was judged outside a queue")


def test_an_agent_picking_up_opens_the_handoff_with_a_grace_for_an_undelivered_question():
    before = utc_now()
    call = snapshot("agent_connected", agent={"id": "A-1", "name": "Rita"})
    change = decide(
        record("callback_scheduled"),
        call,
        "webhook",
        answer_timeout_s=60,
        queue_notices=no_queue,
    )
    assert change.values["handoff"] == "waiting"
    deadline = change.values["handoff_deadline"].replace(tzinfo=timezone.utc)
    grace = timedelta(seconds=60 + UNDELIVERED_GRACE_S)
    assert before + grace <= deadline <= utc_now() + grace
    [step] = change.steps
    assert (step.kind, step.data["source"], step.data["agent"]) == (
        "agent_connected",
        "webhook",
        "Rita",
    )
    [notice] = change.notices
    assert (notice.kind, notice.urgent) == ("agent_connected", True)
    assert notice.params == {
        "provider": NIMBUS,
        "agent": "Rita",
        "via_callback": True,
        "timeout_s": 60,
    }


def test_an_ending_is_told_unless_stand_in_ended_the_call_itself():
    call = snapshot("ended", ended_reason="provider_ended")
    told = decide(
        record("queued", handoff="waiting"),
        call,
        "poll",
        answer_timeout_s=60,
        queue_notices=no_queue,
    )
    assert told.values == {"outcome": "ended_by_provider", "handoff": "missed"}
    assert [(n.kind, n.urgent, n.dedupe_key) for n in told.notices] == [
        ("call_ended_by_provider", True, "CALL-1:ended")
    ]
    closed = decide(
        record("queued", notify={"closing": "owner_hangup"}, outcome="hung_up_by_owner"),
        call,
        "action",
        answer_timeout_s=60,
        queue_notices=no_queue,
    )
    assert closed.values == {"outcome": "hung_up_by_owner"}
    assert closed.notices == []


def test_a_queue_during_a_menu_walk_is_not_judged_and_the_same_state_adds_no_step():
    call = snapshot("queued", queue="billing", position=4, estimated_wait_s=480)
    change = decide(
        record("queued", position=4, notify={"walking": True}),
        call,
        "action",
        answer_timeout_s=60,
        queue_notices=no_queue,
    )
    assert (change.steps, change.notices, change.values) == ([], [], {})


def test_queue_news_in_quiet_hours_is_withheld_unless_said_in_the_owners_turn():
    late = T0.replace(hour=23)
    call = snapshot("queued", at=late, queue="billing", position=6, estimated_wait_s=720)

    def judge(direct: bool) -> tuple[list[Notice], Change, dict[str, Any]]:
        notify: dict[str, Any] = {}
        change = Change(notify=notify)
        notices = queue_notices(
            call,
            notify,
            change,
            prefs=QUIET,
            timezone=TZ,
            callbacks_offered=True,
            direct=direct,
        )
        return notices, change, notify

    notices, change, notify = judge(direct=False)
    assert notices == [] and notify == {}
    assert [(s.kind, s.detail) for s in change.steps] == [("withheld", "call_queued: quiet hours")]

    notices, change, notify = judge(direct=True)
    assert [n.kind for n in notices] == ["call_queued", "callback_offer"]
    assert change.steps == []
    assert notify["queued_told"] is True and notify["callback_offered"] is True
