"""What happens on its own as simulated time passes: queues move, agents pick up and give up,
callbacks fall due, tickets progress, part orders ship.

Every future change is a row in the `jobs` table keyed by due time; `process_due` pops them in
time order and runs each at its own due time, so /_sim/advance replays the path faithfully.
Route handlers use the same transition functions, so both paths behave identically.
"""

from __future__ import annotations

import json
import logging
import zlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .clock import to_iso
from .seed import AGENT_NAMES, GENERAL, PROVIDERS, provider_questions
from .webhooks import emit

if TYPE_CHECKING:
    from .store import Store

log = logging.getLogger("servicedesk.simulation")

# Ticket timing (simulated seconds).
TICKET_START_S = 15 * 60  # open -> in_progress
TICKET_QUESTION_S = 30 * 60  # in_progress -> awaiting_customer (when the category has one)
TICKET_RESOLVE_S = 2 * 3600  # in_progress -> resolved, after the last status change
TICKET_CLOSE_S = 24 * 3600  # resolved -> closed
# Calls.
AGENT_PATIENCE_S = 5 * 60  # a connected agent waits this long for a transfer, then hangs up
MAX_WRONG_DIGITS = 3
# Parts.
ORDER_SHIP_S = 24 * 3600

TERMINAL_TICKET = ("resolved", "closed", "cancelled")


# -- tickets ------------------------------------------------------------------------------------
def provider_question_and_kind(provider_id: str, category: str) -> tuple[str, str] | None:
    """The (question, kind) the provider asks on tickets in `category`, if any."""
    for cat, question, kind in provider_questions(provider_id):
        if cat == category:
            return question, kind
    return None


def provider_question(provider_id: str, category: str) -> str | None:
    found = provider_question_and_kind(provider_id, category)
    return found[0] if found else None


def ticket_defaults(ticket: dict[str, Any]) -> dict[str, Any]:
    """Fill fields added later, so tickets stored by an older desk read like new ones."""
    ticket.setdefault("question_kind", GENERAL if ticket.get("question") else None)
    ticket.setdefault("escalated", False)
    ticket.setdefault("escalated_at", None)
    ticket.setdefault("escalation_reason", None)
    return ticket


def ticket_set_status(
    store: Store,
    ticket: dict[str, Any],
    status: str,
    at: float,
    question: str | None = None,
    question_kind: str | None = None,
) -> None:
    """Move a ticket to `status` at sim time `at`, reschedule what follows and tell webhooks.

    `question` (with its `question_kind`, general by default) applies to awaiting_customer only;
    any other status clears both.
    """
    ticket_defaults(ticket)
    ticket["status"] = status
    ticket["updated_at"] = to_iso(at)
    ticket["history"].append({"status": status, "at": to_iso(at)})
    asking = status == "awaiting_customer"
    ticket["question"] = question if asking else None
    ticket["question_kind"] = (question_kind or GENERAL) if asking and question else None
    if asking:
        ticket.setdefault("questions", []).append(
            {
                "question": question,
                "kind": ticket["question_kind"],
                "asked_at": to_iso(at),
                "answered_at": None,
                "note_id": None,
            }
        )
    store.cancel_jobs(ticket["id"])
    _schedule_ticket(store, ticket, at)
    store.update("tickets", ticket)
    emit(store, ticket["account_id"], "ticket.status_changed", ticket, at)
    if status == "awaiting_customer":
        emit(store, ticket["account_id"], "ticket.awaiting_customer", ticket, at)


def _schedule_ticket(store: Store, ticket: dict[str, Any], at: float) -> None:
    status = ticket["status"]
    if status == "open":
        store.schedule(at + TICKET_START_S, "ticket.start", ticket["id"])
    elif status == "in_progress":
        asked = ticket.get("questions") or []
        if provider_question(ticket["provider"], ticket["category"]) and not asked:
            store.schedule(at + TICKET_QUESTION_S, "ticket.ask", ticket["id"])
        else:
            store.schedule(at + TICKET_RESOLVE_S, "ticket.resolve", ticket["id"])
    elif status == "resolved":
        store.schedule(at + TICKET_CLOSE_S, "ticket.close", ticket["id"])


def ticket_escalate(store: Store, ticket: dict[str, Any], reason: str, at: float) -> None:
    """Escalate a ticket: urgent severity, a history entry and ticket.status_changed.

    The status and what is scheduled for the ticket stay as they are.
    """
    ticket_defaults(ticket)
    ticket["escalated"] = True
    ticket["escalated_at"] = to_iso(at)
    ticket["escalation_reason"] = reason
    ticket["severity"] = "urgent"
    ticket["updated_at"] = to_iso(at)
    ticket["history"].append({"status": ticket["status"], "at": to_iso(at), "event": "escalated"})
    store.update("tickets", ticket)
    emit(store, ticket["account_id"], "ticket.status_changed", ticket, at)


def schedule_new_ticket(store: Store, ticket: dict[str, Any], at: float) -> None:
    _schedule_ticket(store, ticket, at)


def _ticket_job(target: str) -> Callable[[Store, str, Any, float], None]:
    def run(store: Store, ref: str, payload: Any, at: float) -> None:
        ticket = store.get("tickets", ref)
        if ticket is None or ticket["status"] in ("closed", "cancelled"):
            return
        question = kind = None
        if target == "awaiting_customer":
            found = provider_question_and_kind(ticket["provider"], ticket["category"])
            question, kind = found if found else (None, None)
        ticket_set_status(store, ticket, target, at, question, kind)

    return run


# -- calls --------------------------------------------------------------------------------------
def menu_at(provider_id: str, path: list[str]) -> dict[str, Any]:
    node = PROVIDERS[provider_id]["menu"]
    for digit in path:
        option = next(o for o in node["options"] if o["digit"] == digit)
        node = option["next"]
    return node


def public_menu(node: dict[str, Any]) -> dict[str, Any]:
    return {
        "prompt": node["prompt"],
        "options": [
            {"digit": o["digit"], "label": o["label"], "topic": o["topic"]} for o in node["options"]
        ],
    }


def queue_figures(provider_id: str) -> tuple[int, float]:
    """(initial position, sim seconds per position) for a provider's queue."""
    p = PROVIDERS[provider_id]
    step = p["average_handle_time_s"] / p["agents"]
    position = max(1, round(p["typical_wait_s"] / step))
    return position, step


def call_transition(
    store: Store, call: dict[str, Any], state: str, at: float, detail: str | None = None
) -> None:
    call["state"] = state
    call["updated_at"] = to_iso(at)
    call["history"].append({"state": state, "at": to_iso(at), "detail": detail})
    if state != "ivr":
        call["menu"] = None


def _save_call(store: Store, call: dict[str, Any]) -> None:
    call.pop("replayed", None)
    store.update("calls", call)


def call_enter_queue(store: Store, call: dict[str, Any], queue: str, at: float) -> None:
    position, step = queue_figures(call["provider"])
    call["queue"] = queue
    call["position"] = position
    call["estimated_wait_s"] = int(round(position * step))
    call_transition(store, call, "queued", at, f"queue {queue}, position {position}")
    store.schedule(at + step, "call.queue_step", call["id"])
    emit(store, call["account_id"], "call.queued", call, at)


def call_connect_agent(store: Store, call: dict[str, Any], at: float, detail: str) -> None:
    # The same call always gets the same agent: reproducible demos and tests.
    index = zlib.crc32(call["id"].encode()) % len(AGENT_NAMES)
    call["agent"] = {"id": f"AGT-{index + 101}", "name": AGENT_NAMES[index]}
    call["position"] = 0
    call["estimated_wait_s"] = 0
    call_transition(store, call, "agent_connected", at, detail)
    store.cancel_jobs(call["id"])
    store.schedule(at + AGENT_PATIENCE_S, "call.agent_timeout", call["id"])
    emit(store, call["account_id"], "call.agent_connected", call, at)


def call_end(store: Store, call: dict[str, Any], reason: str, at: float) -> None:
    call["ended_reason"] = reason
    call["ended_at"] = to_iso(at)
    call["position"] = None
    call["estimated_wait_s"] = None
    call_transition(store, call, "ended", at, reason)
    store.cancel_jobs(call["id"])
    emit(store, call["account_id"], "call.ended", call, at)


def _queue_step(store: Store, ref: str, payload: Any, at: float) -> None:
    call = store.get("calls", ref)
    if call is None or call["state"] != "queued":
        return
    position, step = queue_figures(call["provider"])
    call["position"] -= 1
    if call["position"] <= 0:
        call_connect_agent(store, call, at, "agent picked up")
    else:
        call["estimated_wait_s"] = int(round(call["position"] * step))
        call["updated_at"] = to_iso(at)
        store.schedule(at + step, "call.queue_step", call["id"])
        emit(store, call["account_id"], "call.position_changed", call, at)
    _save_call(store, call)


def _agent_timeout(store: Store, ref: str, payload: Any, at: float) -> None:
    call = store.get("calls", ref)
    if call is None or call["state"] != "agent_connected":
        return
    call_end(store, call, "agent_no_response", at)
    _save_call(store, call)


def call_callback_due(store: Store, call: dict[str, Any], at: float) -> None:
    """A scheduled callback falls due: the provider calls back and an agent is on the line."""
    call["callback"]["status"] = "due"
    call["callback"]["called_at"] = to_iso(at)
    emit(store, call["account_id"], "call.callback_due", call, at)
    call_connect_agent(store, call, at, f"callback to {call['callback']['phone_number']}")


def _callback_due(store: Store, ref: str, payload: Any, at: float) -> None:
    call = store.get("calls", ref)
    if call is None or call["state"] != "callback_scheduled":
        return
    call_callback_due(store, call, at)
    _save_call(store, call)


def _transfer_done(store: Store, ref: str, payload: Any, at: float) -> None:
    call = store.get("calls", ref)
    if call is None or call["state"] != "transferred":
        return
    call_end(store, call, "completed", at)
    _save_call(store, call)


# -- parts --------------------------------------------------------------------------------------
def _ship_order(store: Store, ref: str, payload: Any, at: float) -> None:
    order = store.get("part_orders", ref)
    if order is None or order["status"] != "ordered":
        return
    order["status"] = "shipped"
    order["shipped_at"] = to_iso(at)
    order["updated_at"] = to_iso(at)
    store.update("part_orders", order)
    emit(store, order["account_id"], "parts_order.shipped", order, at)


HANDLERS: dict[str, Callable[[Store, str, Any, float], None]] = {
    "ticket.start": _ticket_job("in_progress"),
    "ticket.ask": _ticket_job("awaiting_customer"),
    "ticket.resolve": _ticket_job("resolved"),
    "ticket.close": _ticket_job("closed"),
    "call.queue_step": _queue_step,
    "call.agent_timeout": _agent_timeout,
    "call.callback_due": _callback_due,
    "call.transfer_done": _transfer_done,
    "order.ship": _ship_order,
}


def process_due(store: Store, until: float, limit: int = 10_000) -> int:
    """Run jobs due at or before `until`, earliest first; returns how many ran."""
    processed = 0
    with store.tx() as conn:
        while processed < limit:
            row = store.pop_due(until)
            if row is None:
                break
            processed += 1
            # A savepoint per job: one faulty job is logged and dropped, not retried forever.
            conn.execute("SAVEPOINT job")
            try:
                HANDLERS[row["kind"]](store, row["ref"], json.loads(row["payload"]), row["due_at"])
            except Exception:
                log.exception("job %s for %s failed; dropped", row["kind"], row["ref"])
                conn.execute("ROLLBACK TO job")
                conn.execute("DELETE FROM jobs WHERE id = ?", (row["id"],))
            conn.execute("RELEASE job")
    return processed
