""" "What did you do for me (this week / today / since Monday)?" from Stand-in's own audit log.

Never from the tracker: the audit log holds every request sent to a provider in the owner's
name, with its outcome. Requests that change something (every method but GET) are the
actions; resends of one request (the same idempotency key) count once, with their last
outcome. Reads are counted. Requests to a provider the owner has no account with, directory
look-ups and Stand-in's own webhook subscriptions are not the owner's business and are left out.
"""

from __future__ import annotations

import asyncio
import difflib
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.handoff.case_summary import consent_words, digest
from actions.owner.messages import latest_text
from actions.owner.wording import local_time
from actions.providers.desk_audit import AuditEntry
from actions.providers.directory import display_name
from actions.runtime import Services, services

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
KEYWORDS = ("today", "yesterday", "week", "month", "since", "last", "past", *WEEKDAYS)
NOTE_PATH = re.compile(r"^/v1/tickets/([^/?]+)/notes$")
CANCEL_PATH = re.compile(r"^/v1/tickets/([^/?]+)/cancel$")
PLUMBING = ("/v1/webhooks",)


@dataclass(frozen=True)
class Period:
    since: datetime | None  # None: from the beginning
    until: datetime


def _words(text: str) -> list[str]:
    """The owner's words, with typos of the period words mended ("yesterdy", "this wek")."""
    out = []
    for word in re.findall(r"[a-z]+|\d+", text.lower()):
        close = difflib.get_close_matches(word, KEYWORDS, n=1, cutoff=0.75)
        out.append(close[0] if close and len(word) >= 3 else word)
    return out


def parse_period(text: str, now: datetime, zone: ZoneInfo) -> Period:
    """The period the owner names, in their time zone; everything when none is named."""
    local = now.astimezone(zone)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    monday = midnight - timedelta(days=local.weekday())
    words = _words(text)
    joined = " ".join(words)
    if "yesterday" in words:
        start = midnight - timedelta(days=1)
        return Period(start, now if "since" in words else midnight)
    if "today" in words:
        return Period(midnight, now)
    number = re.search(r"(?:last|past) (\d+) days?", joined)
    if number:
        return Period(now - timedelta(days=int(number.group(1))), now)
    if "last week" in joined:
        return Period(monday - timedelta(days=7), monday)
    if "week" in words:
        return Period(monday, now)
    if "last month" in joined:
        first = midnight.replace(day=1)
        return Period((first - timedelta(days=1)).replace(day=1), first)
    if "month" in words:
        return Period(midnight.replace(day=1), now)
    for index, day in enumerate(WEEKDAYS):
        if day in words:
            back = (local.weekday() - index) % 7
            return Period(midnight - timedelta(days=back), now)
    return Period(None, now)


@dataclass
class Action_:
    """One request made in the owner's name, with all its resends."""

    first: AuditEntry
    last: AuditEntry

    @property
    def result(self) -> str:
        if self.last.outcome == "ok":
            return "done"
        if self.last.outcome == "rejected":
            return "refused"
        return "pending"  # did not go through, or no answer: kept for "try again"


def group_actions(entries: list[AuditEntry]) -> list[Action_]:
    groups: dict[Any, Action_] = {}
    for entry in entries:
        key = entry.idempotency_key or ("row", entry.id)
        if key in groups:
            groups[key].last = entry
        else:
            groups[key] = Action_(entry, entry)
    return sorted(groups.values(), key=lambda a: (a.first.at, a.first.id or 0))


def owner_entries(svc: Services, period: Period) -> list[AuditEntry]:
    providers = {a.provider for a in svc.profile.accounts}
    return [
        e
        for e in svc.memory.audit_entries(since=period.since, until=period.until)
        if e.provider in providers and not e.path.startswith(PLUMBING)
    ]


def _reason(entry: AuditEntry) -> str:
    return entry.error_code or (str(entry.status) if entry.status else entry.outcome)


# The line for each kind of request and how it ended; every text is a response.
ACTIVITY_RESPONSES = {
    ("ticket", "done"): "utter_activity_ticket_done",
    ("ticket", "refused"): "utter_activity_ticket_refused",
    ("ticket", "pending"): "utter_activity_ticket_pending",
    ("note", "done"): "utter_activity_note_done",
    ("note", "refused"): "utter_activity_note_refused",
    ("note", "pending"): "utter_activity_note_pending",
    ("cancel", "done"): "utter_activity_cancel_done",
    ("cancel", "refused"): "utter_activity_cancel_refused",
    ("cancel", "pending"): "utter_activity_cancel_pending",
    ("reading", "done"): "utter_activity_reading_done",
    ("reading", "refused"): "utter_activity_reading_refused",
    ("reading", "pending"): "utter_activity_reading_pending",
    ("other", "done"): "utter_activity_other_done",
    ("other", "refused"): "utter_activity_other_refused",
    ("other", "pending"): "utter_activity_other_pending",
}


def _kind_and_details(
    entry: AuditEntry, last: AuditEntry, created: dict[str, str]
) -> tuple[str, dict[str, str]]:
    """What kind of request `entry` was, and the parameters its line needs."""
    body = entry.request_body if isinstance(entry.request_body, dict) else {}
    note, cancel = NOTE_PATH.match(entry.path), CANCEL_PATH.match(entry.path)
    if entry.method == "POST" and entry.path == "/v1/tickets":
        ticket_id = last.resource_id or created.get(entry.idempotency_key or "", "")
        return "ticket", {"ticket_id": ticket_id, "summary": str(body.get("summary", ""))}
    if entry.method == "POST" and note:
        return "note", {"ticket_id": note.group(1), "note_text": str(body.get("text", ""))}
    if entry.method == "POST" and cancel:
        return "cancel", {"ticket_id": cancel.group(1)}
    if entry.method == "POST" and entry.path == "/v1/meter-readings":
        value = f"{body.get('value', '')} {body.get('unit', '')}".strip()
        return "reading", {"meter": str(body.get("meter_id", "")), "value": value}
    return "other", {"request": f"{entry.method} {entry.path}"}


async def say_action(
    svc: Services, dispatcher: CollectingDispatcher, action: Action_, created: dict[str, str]
) -> None:
    """One line per action, by what was asked and how it ended."""
    kind, details = _kind_and_details(action.first, action.last, created)
    dispatcher.utter_message(
        response=ACTIVITY_RESPONSES[kind, action.result],
        at=local_time(action.first.at, svc.profile),
        provider_name=await display_name(svc, action.first.provider),
        reason=_reason(action.last),
        **details,
    )


class ActionActivitySummary(Action):
    def name(self) -> str:
        return "action_activity_summary"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        svc = services()
        try:
            zone = ZoneInfo(svc.profile.owner.timezone)
        except Exception:
            zone = ZoneInfo("UTC")
        now = datetime.now(timezone.utc)
        period = parse_period(latest_text(tracker), now, zone)
        entries = await asyncio.to_thread(owner_entries, svc, period)
        reads = [e for e in entries if e.method == "GET"]
        actions = group_actions([e for e in entries if e.method != "GET"])
        since = local_time(period.since, svc.profile) if period.since else None
        until = local_time(period.until, svc.profile)
        if not entries:
            if since:
                dispatcher.utter_message(response="utter_activity_none", since=since, until=until)
            else:
                dispatcher.utter_message(response="utter_activity_none_ever")
            return []
        if since:
            dispatcher.utter_message(
                response="utter_activity_header", since=since, until=until, count=len(actions)
            )
        else:
            dispatcher.utter_message(response="utter_activity_header_all", count=len(actions))
        created = {
            e.idempotency_key: e.resource_id
            for e in entries
            if e.idempotency_key and e.resource_id and e.outcome == "ok"
        }
        for action in actions:
            await say_action(svc, dispatcher, action, created)
        pending = sum(1 for a in actions if a.result == "pending")
        if pending:
            dispatcher.utter_message(response="utter_activity_pending_hint", pending=pending)
        if reads:
            failed = sum(1 for e in reads if e.outcome != "ok")
            dispatcher.utter_message(
                response="utter_activity_reads", count=len(reads), failed=failed
            )
        await say_money_and_decisions(svc, dispatcher, period)
        return []


async def say_money_and_decisions(
    svc: Services, dispatcher: CollectingDispatcher, period: Period
) -> None:
    """What the period cost, the owner's consents used and refused, the questions put to the
    owner and how they ended, and what is still open: from the store, like the rest."""
    since = period.since or datetime(1970, 1, 1, tzinfo=timezone.utc)
    found = await asyncio.to_thread(digest, svc.memory, since, period.until)
    if found.total_spent:
        cost = "; ".join(f"{amount:.2f} {cur}" for cur, amount in found.total_spent.items())
        dispatcher.utter_message(response="utter_activity_cost", cost=cost)
    else:
        dispatcher.utter_message(response="utter_activity_no_cost")
    for consent in found.consents_used:
        dispatcher.utter_message(response="utter_activity_consent_used", **consent_words(consent))
    if found.consents_refused:
        dispatcher.utter_message(
            response="utter_activity_consents_refused", count=len(found.consents_refused)
        )
    for handoff in found.handoffs:
        dispatcher.utter_message(
            response="utter_activity_handoff",
            at=local_time(handoff.asked_at, svc.profile),
            point=handoff.point,
            provider_name=await display_name(svc, handoff.provider),
            status=handoff.status,
            outcome=handoff.outcome or "waiting",
        )
    still = [f"{c.ticket_id} ({c.status.replace('_', ' ')})" for c in found.still_open]
    if still:
        dispatcher.utter_message(response="utter_activity_still_open", cases="; ".join(still))
