"""What a change in a call means, decided from the stored call and the desk's new snapshot: the
steps the call's history records, the values set on the call, and what the owner hears.

Pure: nothing here reads or writes the store or the desk. actions.calls.call_events applies
what is decided here, in the same transaction as the snapshot.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from actions.calls.hold_policy import callback_worth_offering, minutes, queue_news, told
from actions.core.clock import utc_now
from actions.owner.profile import Preferences
from actions.owner.quiet_hours import in_quiet_hours
from actions.providers.desk_models import Call
from actions.store.calls import CallRecord, Change, Step
from actions.store.notices import Notice

UNDELIVERED_GRACE_S = 180
# How the desk's end reasons read as outcomes, and which the owner must hear about.
OUTCOMES = {
    "customer_hangup": "hung_up",
    "completed": "completed",
    "provider_ended": "ended_by_provider",
    "agent_no_response": "agent_gave_up",
    "invalid_input": "menu_failed",
}
ENDED_NOTICES = {
    "provider_ended": "call_ended_by_provider",
    "agent_no_response": "call_agent_gave_up",
    "invalid_input": "call_menu_failed",
}


def step_data(call: Call, source: str) -> dict[str, Any]:
    """What the call history shows for a state step (see actions.calls.call_history)."""
    return {
        "source": source,
        "position": call.position,
        "wait_min": minutes(call.estimated_wait_s),
        "agent": call.agent.name if call.agent else None,
        "due_at": call.callback.due_at.isoformat() if call.callback else None,
        "outcome": OUTCOMES.get(call.ended_reason or "", call.ended_reason),
        "phone": (call.transfer or {}).get("phone_number"),
    }


def owner_step(record: CallRecord, decision: str) -> Step:
    """An owner's decision, timed on the desk's clock (its last known time) like every other
    step, so the history reads in order even where the desk's clock is simulated."""
    at = Call.parse_obj(record.snapshot).updated_at if record.snapshot else utc_now()
    return Step(record.call_id, at, "owner", decision, {"decision": decision})


def decide(
    record: CallRecord,
    call: Call,
    source: str,
    *,
    answer_timeout_s: float,
    queue_notices: Callable[[Call, dict[str, Any], Change], list[Notice]],
) -> Change:
    """What the snapshot `call` from `source` changes in `record`: the steps to record, the
    values to set and the notices for the owner. `queue_notices` judges the queue's news (it
    reads the owner's preferences, so only when there is a queue to judge)."""
    notify = dict(record.notify)
    change = Change(notify=notify)
    at = call.updated_at
    detail = call.history[-1].detail if call.history else None
    if call.state != record.state:
        change.steps.append(Step(call.id, at, call.state, detail, step_data(call, source)))
    elif call.state == "queued" and call.position != record.position:
        change.steps.append(
            Step(
                call.id,
                at,
                "position",
                f"position {call.position}, about {minutes(call.estimated_wait_s)} min",
                step_data(call, source),
            )
        )
    if call.state == "queued" and not notify.get("walking"):
        change.notices += queue_notices(call, notify, change)
    elif call.state == "agent_connected" and record.state != "agent_connected":
        change.values["handoff"] = "waiting"
        # The owner's time starts when the question reaches them (notice_sent); until then
        # a grace period covers a Rasa that is restarting, then the safe default applies.
        change.values["handoff_deadline"] = (
            utc_now() + timedelta(seconds=answer_timeout_s + UNDELIVERED_GRACE_S)
        ).replace(tzinfo=None)
        change.notices.append(
            Notice(
                "agent_connected",
                {
                    "provider": call.provider,
                    "agent": call.agent.name if call.agent else None,
                    "via_callback": record.state == "callback_scheduled",
                    "timeout_s": int(answer_timeout_s),
                },
                subject=call.id,
                urgent=True,
                dedupe_key=f"{call.id}:agent_connected:{len(call.history)}",
            )
        )
    elif call.state == "ended" and record.state != "ended":
        reason = call.ended_reason or "unknown"
        change.values["outcome"] = record.outcome or OUTCOMES.get(reason, "ended")
        if record.handoff == "waiting":
            change.values["handoff"] = "missed"
        closing = notify.get("closing")  # Stand-in ended it and says so itself
        kind = ENDED_NOTICES.get(reason)
        if kind and not closing and not notify.get("walking"):
            change.notices.append(
                Notice(
                    kind,
                    {"provider": call.provider, "reason": reason},
                    subject=call.id,
                    urgent=True,
                    dedupe_key=f"{call.id}:ended",
                )
            )
    return change


def queue_notices(
    call: Call,
    notify: dict[str, Any],
    change: Change,
    *,
    prefs: Preferences,
    timezone: str,
    callbacks_offered: bool,
    direct: bool = False,
) -> list[Notice]:
    """Queue news and a callback offer; marks in `notify` what was told. `callbacks_offered`:
    whether the company offers callbacks. `direct`: said in the owner's own turn, which quiet
    hours never hold back (the owner is evidently awake)."""
    at = call.updated_at
    quiet = not direct and in_quiet_hours(prefs, timezone, at)
    notices: list[Notice] = []
    if not notify.get("queued_told"):
        kind: str | None = "call_queued"
    elif queue_news(notify.get("told") or {}, call.position, call.estimated_wait_s, at):
        kind = "call_position"
    else:
        kind = None
    params = {
        "provider": call.provider,
        "queue": call.queue,
        "position": call.position,
        "wait_min": minutes(call.estimated_wait_s),
    }
    if kind and quiet:
        change.steps.append(Step(call.id, at, "withheld", f"{kind}: quiet hours"))
    elif kind:
        notices.append(
            Notice(kind, params, subject=call.id, dedupe_key=f"{call.id}:{kind}:{call.version}")
        )
        notify["queued_told"] = True
        notify["told"] = told(call.position, call.estimated_wait_s, at)
    if (
        not quiet
        and callback_worth_offering(
            prefs,
            callbacks_offered,
            bool(notify.get("callback_offered")),
            call.estimated_wait_s,
        )
        and call.position
    ):
        notices.append(
            Notice(
                "callback_offer",
                {**params, "prefers": prefs.prefer_callbacks},
                subject=call.id,
                dedupe_key=f"{call.id}:callback_offer",
            )
        )
        notify["callback_offered"] = True
    return notices
