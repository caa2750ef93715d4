"""Telling the owner what their devices reported and what Stand-in did about it, and taking
the owner's few decisions: report it or not (automatic reports off), the part's cost (over the
standing limit) and the day of the visit.

The notice carries only the incident's or submission's id; what is said is read from the store
when it is said, so it is never staler than the notice. Where the owner must pick a slot or
approve a cost, the same form that a spoken request uses is opened with everything known
filled in, so the form asks only that one question. A form the owner is in the middle of is
never taken over: they are told how to pick it up later instead.
"""

from __future__ import annotations

import asyncio
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.core.clock import utc_now
from actions.core.phrases import response_text
from actions.handoff.registry import ask_owner, owner_answered
from actions.owner.profile import Meter
from actions.owner.wording import money
from actions.providers.directory import display_name
from actions.providers.part_destinations import destination_of
from actions.runtime import Services
from actions.store.devices import (
    ASK_OWNER,
    AWAITING_APPROVAL,
    AWAITING_OWNER,
    AWAITING_SLOT,
    DECLINED,
    DISMISSED,
    PENDING,
    Incident,
)
from actions.store.notices import Notice

DEVICE_REPORT = "device_report"  # the handoff point and the yes/no question it asks
KINDS = (
    "device_problem",
    "device_problem_noticed",
    "device_problem_failed",
    "meter_reading_held",
    "meter_reading_due",
    "meter_reading_sent",
    "meter_reading_rejected",
)
REASON_RESPONSES = {
    "went_backwards": "utter_reading_reason_went_backwards",
    "implausible_jump": "utter_reading_reason_implausible_jump",
    "out_of_order": "utter_reading_reason_out_of_order",
}


def device_name(svc: Services, device_id: str) -> str:
    found = svc.profile.reporter(device_id)
    if found is None:
        return device_id
    item = found[1]
    if isinstance(item, Meter):
        return f"{item.kind} meter {item.id}"
    return item.name or item.kind.replace("_", " ")


async def say_device_notice(
    dispatcher: CollectingDispatcher,
    svc: Services,
    notice: Notice,
    tracker: Tracker,
    domain: DomainDict,
) -> list[EventType]:
    params = notice.params
    if notice.kind.startswith("meter_reading"):
        return await _reading(dispatcher, svc, notice, tracker)
    incident = await asyncio.to_thread(svc.devices.incident, int(params.get("incident_id", 0)))
    if incident is None:
        return []
    problem = svc.telemetry_config.problem(incident.problem_id)
    about = {
        "device": device_name(svc, incident.device_id),
        "problem": response_text(domain, problem.label) if problem else incident.problem_id,
        "provider_name": await display_name(svc, incident.provider),
        "ticket_id": incident.ticket_id or "",
    }
    if notice.kind == "device_problem_noticed":
        if incident.stage != ASK_OWNER:
            return []  # decided already
        dispatcher.utter_message(response="utter_device_problem_ask_report", **about)
        return await _ask_report(
            svc, tracker, incident.provider, "incident", incident.id, about["provider_name"]
        )
    if notice.kind == "device_problem_failed":
        why = str(incident.data.get("why") or "")
        dispatcher.utter_message(response="utter_device_problem_failed", why=why, **about)
        return []
    part = incident.data.get("part") or {}
    # Where the part goes, as the company's directory entry names it.
    where = await destination_of(svc.directory, incident.provider, part.get("centre"))
    return _progress(dispatcher, svc, incident, int(params.get("phase", 0)), tracker, about, where)


def _progress(
    dispatcher: CollectingDispatcher,
    svc: Services,
    incident: Incident,
    phase: int,
    tracker: Tracker,
    about: dict[str, str],
    where: str,
) -> list[EventType]:
    """What was done so far, then the one question left (the part's cost, or the day)."""
    part = incident.data.get("part") or {}
    if phase == 0:
        response = (
            "utter_device_problem_reported_urgent"
            if incident.severity == "urgent"
            else "utter_device_problem_reported"
        )
        dispatcher.utter_message(response=response, **about)
        if incident.part_state == "ordered":
            dispatcher.utter_message(
                response="utter_device_part_reserved",
                part_name=part.get("name"),
                amount=money(float(part.get("amount", 0))),
                currency=part.get("currency"),
                destination=where,
                order_id=incident.order_id,
            )
        elif incident.part_state == "unavailable":
            dispatcher.utter_message(response="utter_device_part_unavailable")
    elif incident.part_state == "ordered":
        dispatcher.utter_message(response="utter_device_part_now_ordered", **about)
    elif incident.part_state == DECLINED:
        dispatcher.utter_message(response="utter_device_part_not_ordered", **about)
    busy = tracker.active_loop.get("name")
    if incident.stage == AWAITING_APPROVAL:
        dispatcher.utter_message(
            response="utter_device_part_needs_yes",
            part_name=part.get("name"),
            amount=money(float(part.get("amount", 0))),
            currency=part.get("currency"),
        )
        if busy:
            dispatcher.utter_message(response="utter_device_question_later", **about)
            return []
        return [
            SlotSet("part_device", incident.device_id),
            SlotSet("part_sku", part.get("sku")),
            SlotSet("part_centre", part.get("centre")),
            SlotSet("part_quote", None),
            SlotSet("part_order_confirmed", None),
            ActiveLoop("part_order_form"),
        ]
    offered = incident.data.get("offered") or []
    if incident.stage == AWAITING_SLOT and offered:
        if busy:
            dispatcher.utter_message(response="utter_device_question_later", **about)
            return []
        problem = svc.telemetry_config.problem(incident.problem_id)
        return [
            SlotSet("appointment_provider", incident.provider),
            SlotSet("appointment_service", problem.visit if problem else None),
            SlotSet("appointment_offered", offered),
            SlotSet("appointment_slot", None),
            ActiveLoop("appointment_form"),
        ]
    if problem_visit(svc, incident) and not offered:
        dispatcher.utter_message(response="utter_device_no_slots", **about)
    return []


async def _ask_report(
    svc: Services, tracker: Tracker, provider: str, what: str, item_id: int, name: str
) -> list[EventType]:
    """The yes/no just asked ("shall I report it?", "shall I send it?") is a handoff."""
    await ask_owner(
        svc,
        tracker,
        DEVICE_REPORT,
        provider=provider,
        subject=f"{what}:{item_id}",
        data={"provider_name": name},
    )
    return [
        SlotSet("handoff_question", DEVICE_REPORT),
        SlotSet("handoff_context", {what: item_id}),
    ]


def problem_visit(svc: Services, incident: Incident) -> str | None:
    problem = svc.telemetry_config.problem(incident.problem_id)
    return problem.visit if problem else None


async def _reading(
    dispatcher: CollectingDispatcher, svc: Services, notice: Notice, tracker: Tracker
) -> list[EventType]:
    params = notice.params
    if notice.kind == "meter_reading_held":
        dispatcher.utter_message(
            response="utter_meter_reading_held",
            meter=device_name(svc, str(params.get("meter_id"))),
            value=f"{float(params.get('value', 0)):g}",
            unit=params.get("unit"),
            previous="?" if params.get("previous") is None else f"{float(params['previous']):g}",
        )
        dispatcher.utter_message(
            response=REASON_RESPONSES.get(str(params.get("reason")), "utter_reading_reason_other")
        )
        return []
    submission = await asyncio.to_thread(
        svc.devices.submission, int(params.get("submission_id", 0))
    )
    if submission is None:
        return []
    about = {
        "meter": device_name(svc, submission.meter_id),
        "value": f"{submission.value:g}",
        "unit": submission.unit,
        "period": submission.period,
        "provider_name": await display_name(svc, submission.provider),
    }
    if notice.kind == "meter_reading_due":
        if submission.status != AWAITING_OWNER:
            return []
        dispatcher.utter_message(response="utter_meter_reading_ask_submit", **about)
        return await _ask_report(
            svc, tracker, submission.provider, "submission", submission.id, about["provider_name"]
        )
    if notice.kind == "meter_reading_sent":
        dispatcher.utter_message(
            response="utter_meter_reading_sent_auto", reading_id=submission.reading_id, **about
        )
        return []
    dispatcher.utter_message(
        response="utter_meter_reading_rejected_auto", message=params.get("detail"), **about
    )
    return []


# --- the owner's decisions ---------------------------------------------------------------


async def decide_report(
    svc: Services,
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    context: dict[str, Any],
    yes: bool,
) -> None:
    """The owner's yes or no to reporting a device's problem or sending a due reading."""
    outcome = "yes" if yes else "no"
    if context.get("incident"):
        incident_id = int(context["incident"])
        subject = f"incident:{incident_id}"
        moved = await asyncio.to_thread(
            svc.devices.move,
            incident_id,
            ASK_OWNER,
            **({"stage": "report", "next_attempt_at": utc_now()} if yes else {"stage": DISMISSED}),
        )
        await owner_answered(svc, tracker, DEVICE_REPORT, outcome, subject)
        if moved is None:
            dispatcher.utter_message(response="utter_handoff_no_question")
            return
        name = await display_name(svc, moved.provider)
        dispatcher.utter_message(
            response="utter_device_report_going" if yes else "utter_device_report_not_sent",
            provider_name=name,
        )
    elif context.get("submission"):
        submission_id = int(context["submission"])
        moved_ok = await asyncio.to_thread(
            svc.devices.move_submission,
            submission_id,
            AWAITING_OWNER,
            status=PENDING if yes else DECLINED,
            next_attempt_at=utc_now(),
        )
        await owner_answered(svc, tracker, DEVICE_REPORT, outcome, f"submission:{submission_id}")
        if not moved_ok:
            dispatcher.utter_message(response="utter_handoff_no_question")
            return
        dispatcher.utter_message(
            response="utter_meter_reading_going" if yes else "utter_meter_reading_not_sent"
        )
    else:
        dispatcher.utter_message(response="utter_handoff_no_question")
        return
    if yes:
        svc.telemetry.on_work()
