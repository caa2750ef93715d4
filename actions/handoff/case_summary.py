"""What was done for one case, and over a period, built from Stand-in's own store only.

The audit log is the record of what was done in the owner's name, so a summary is built from
it and nothing is left out: every request that belongs to a case (however it ended, and every
resend of it), what the company answered (its status changes and questions, from the stored
webhooks and the case itself), what was spent and on which basis (the consent row used by the
order's request), and what is still open. The tracker is never read.

A request belongs to a case when it
- created the ticket (`POST /v1/tickets` whose resource id is the ticket id),
- names the ticket in its path (`/tickets/<id>/...`: notes, cancel, escalate) or body
  (`ticket_id`),
- is about one of the case's appointments (booked with the ticket id, or stored with it; its
  id as the resource id or in the path: reschedule, cancel), or
- is a parts order for one of those appointments (body `appointment_id`, or a stored order
  linked to one), or
- resent one of the above (the same idempotency key).
Reads (`GET`) change nothing and are left out of a case; a digest counts them apart. A case is
one ticket at one provider: only that provider's requests, appointments, orders and webhook
events belong to it (another company may use the same ids).

Synchronous and small, like the store: async callers wrap calls in `asyncio.to_thread`. Times
are timezone-aware UTC in every result.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, NamedTuple

from sqlalchemy import or_, select
from sqlalchemy.engine import Connection

from actions.core.clock import aware_utc, naive_utc
from actions.providers.desk_audit import OUTCOMES, AuditEntry
from actions.store.audit_log import audit_entry
from actions.store.case_memory import CaseMemory
from actions.store.cases import FINAL_CASE_STATUSES, Case
from actions.store.schema import (
    appointments,
    audit_log,
    cases,
    consents,
    handoffs,
    orders,
    webhook_events,
)

KINDS = (
    "ticket",
    "note",
    "cancel",
    "escalate",
    "appointment",
    "appointment_change",
    "parts_order",
    "other",
)
TICKET_EVENTS = ("ticket.status_changed", "ticket.awaiting_customer")
WITHHELD = "[withheld]"
DETAIL_MAX = 120
BASIS = {"granted": "consent", "within_limit": "within_limit"}

_TICKET_ACTION = re.compile(r"^/v1/tickets/[^/]+/(notes|cancel|escalate)$")
_APPOINTMENT_CHANGE = re.compile(r"^/v1/appointments/[^/]+/(reschedule|cancel)$")
_TICKET_ACTION_KIND = {"notes": "note", "cancel": "cancel", "escalate": "escalate"}


# --- results ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RequestLine:
    """One request sent to a company (one audit row)."""

    at: datetime
    kind: str  # one of KINDS
    outcome: str  # ok / rejected / unavailable / unknown
    resource_id: str | None
    detail: str  # short; "[withheld]" for anything redacted
    provider: str = ""
    error_code: str | None = None


class Reply(NamedTuple):
    """What the company said: a status, and its question to the owner if it asked one."""

    at: datetime
    status: str
    question: str | None


@dataclass(frozen=True)
class Spend:
    """Money spent by one successful parts order."""

    item: str  # the SKU
    amount: float | None  # None: no consent row (and no stored order) says how much
    currency: str | None
    basis: str | None  # "consent", "within_limit" (or the decision); None without a consent
    at: datetime | None = None
    order_id: str | None = None
    provider: str | None = None


@dataclass(frozen=True)
class ConsentLine:
    id: int
    subject: str
    provider: str | None
    description: str | None
    amount: float | None
    currency: str | None
    decision: str
    owner_words: str | None
    decided_at: datetime | None
    used_at: datetime | None
    used_by: str | None


class OpenCase(NamedTuple):
    ticket_id: str
    provider: str
    status: str


class WaitingHandoff(NamedTuple):
    point: str
    provider: str | None
    subject: str | None


@dataclass(frozen=True)
class HandoffLine:
    id: int
    point: str
    conversation_id: str
    provider: str | None
    subject: str | None
    status: str  # waiting / answered / lapsed / withdrawn
    asked_at: datetime
    closed_at: datetime | None
    outcome: str | None


@dataclass(frozen=True)
class CaseSummary:
    ticket_id: str
    provider: str
    asked: str | None  # the case's summary: what the owner asked for
    category: str | None
    status: str
    opened_at: datetime | None
    closed_at: datetime | None  # when the case reached a final status; None while open
    conversation_id: str | None
    requests: list[RequestLine] = field(default_factory=list)
    replies: list[Reply] = field(default_factory=list)
    spent: list[Spend] = field(default_factory=list)
    total_spent: dict[str, float] = field(default_factory=dict)
    consents_used: list[ConsentLine] = field(default_factory=list)
    still_open: list[OpenCase] = field(default_factory=list)  # the other open cases
    handoffs_waiting: list[WaitingHandoff] = field(default_factory=list)


@dataclass(frozen=True)
class Digest:
    since: datetime
    until: datetime
    conversation_id: str | None
    counts: dict[str, int]  # outcome -> requests (every outcome present)
    requests: list[RequestLine]
    reads: int  # GET requests in the period (left out of `requests` and `counts`)
    spent: list[Spend]
    total_spent: dict[str, float]
    consents_used: list[ConsentLine]
    consents_refused: list[ConsentLine]
    handoffs: list[HandoffLine]  # asked in the period, with how they ended
    still_open: list[OpenCase]
    handoffs_waiting: list[WaitingHandoff]


# --- one request ------------------------------------------------------------------------------


def request_kind(method: str, path: str) -> str:
    """What kind of request `method path` was (one of KINDS)."""
    if method.upper() != "POST":
        return "other"
    base = path.split("?", 1)[0].rstrip("/")
    if base == "/v1/tickets":
        return "ticket"
    found = _TICKET_ACTION.match(base)
    if found:
        return _TICKET_ACTION_KIND[found.group(1)]
    if base == "/v1/appointments":
        return "appointment"
    if _APPOINTMENT_CHANGE.match(base):
        return "appointment_change"
    if base == "/v1/parts/orders":
        return "parts_order"
    return "other"


def _withheld(value: Any) -> bool:
    if isinstance(value, str):
        return value.lstrip().startswith("[withheld")
    if isinstance(value, Mapping):
        return value.get("redacted") is True or any(_withheld(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_withheld(v) for v in value)
    return False


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= DETAIL_MAX else text[: DETAIL_MAX - 1] + "…"


def request_detail(entry: AuditEntry, kind: str | None = None) -> str:
    """A short line on what the request said; "[withheld]" when its body was redacted."""
    body = entry.request_body
    if _withheld(body):
        return WITHHELD
    kind = kind or request_kind(entry.method, entry.path)
    fields = body if isinstance(body, Mapping) else {}

    def get(name: str) -> str:
        value = fields.get(name)
        return "" if value is None else str(value)

    if kind == "ticket":
        text = get("summary")
    elif kind == "note":
        text = get("text")
    elif kind in ("cancel", "escalate"):
        text = get("reason")
    elif kind == "appointment":
        text = get("slot_id")
    elif kind == "appointment_change":
        base = entry.path.split("?", 1)[0].rstrip("/")
        text = f"reschedule to {get('slot_id')}" if base.endswith("/reschedule") else "cancel"
    elif kind == "parts_order":
        text = f"{fields.get('quantity') or 1} x {get('sku')}"
    else:
        text = f"{entry.method} {entry.path}"
    return _short(text)


def request_line(entry: AuditEntry) -> RequestLine:
    kind = request_kind(entry.method, entry.path)
    return RequestLine(
        at=entry.at,
        kind=kind,
        outcome=entry.outcome,
        resource_id=entry.resource_id,
        detail=request_detail(entry, kind),
        provider=entry.provider,
        error_code=entry.error_code,
    )


# --- store reads ------------------------------------------------------------------------------


def _fetch(conn: Connection, provider: str, *conditions: Any) -> list[AuditEntry]:
    query = (
        select(audit_log)
        .where(audit_log.c.method != "GET")
        .where(audit_log.c.provider == provider)
        .where(or_(*conditions))
        .order_by(audit_log.c.at, audit_log.c.id)
    )
    return [audit_entry(r) for r in conn.execute(query).mappings().all()]


def _body(entry: AuditEntry) -> Mapping[str, Any]:
    return entry.request_body if isinstance(entry.request_body, Mapping) else {}


def _about_ticket(entry: AuditEntry, ticket_id: str) -> bool:
    kind = request_kind(entry.method, entry.path)
    return (
        (kind == "ticket" and entry.resource_id == ticket_id)
        or f"/tickets/{ticket_id}/" in entry.path
        or _body(entry).get("ticket_id") == ticket_id
    )


def _about_appointments(entry: AuditEntry, appointment_ids: set[str], order_ids: set[str]) -> bool:
    if entry.resource_id is not None and entry.resource_id in appointment_ids | order_ids:
        return True
    if any(f"/appointments/{a}/" in entry.path for a in appointment_ids):
        return True
    return _body(entry).get("appointment_id") in appointment_ids


def _case_entries(conn: Connection, provider: str, ticket_id: str) -> list[AuditEntry]:
    """Every request (not reads) to `provider` that belongs to the case, oldest first."""
    found: dict[int, AuditEntry] = {}
    appointment_ids = set(
        conn.execute(
            select(appointments.c.appointment_id)
            .where(appointments.c.provider == provider)
            .where(appointments.c.ticket_id == ticket_id)
        ).scalars()
    )
    for entry in _fetch(
        conn,
        provider,
        audit_log.c.resource_id == ticket_id,
        audit_log.c.path.contains(f"/tickets/{ticket_id}/", autoescape=True),
        audit_log.c.request_body.contains(ticket_id, autoescape=True),
    ):
        if _about_ticket(entry, ticket_id):
            found[entry.id or 0] = entry
            if request_kind(entry.method, entry.path) == "appointment" and entry.resource_id:
                appointment_ids.add(entry.resource_id)

    # The case's appointments, and what was done about them (a reschedule may give a new id).
    done: set[str] = set()
    order_ids: set[str] = set()
    while appointment_ids - done:
        new = appointment_ids - done
        done |= new
        order_ids |= set(
            conn.execute(
                select(orders.c.order_id)
                .where(orders.c.provider == provider)
                .where(orders.c.appointment_id.in_(sorted(new)))
            ).scalars()
        )
        conditions: list[Any] = [audit_log.c.resource_id.in_(sorted(new | order_ids))]
        for appointment_id in sorted(new):
            conditions.append(
                audit_log.c.path.contains(f"/appointments/{appointment_id}/", autoescape=True)
            )
            conditions.append(audit_log.c.request_body.contains(appointment_id, autoescape=True))
        for entry in _fetch(conn, provider, *conditions):
            if not _about_appointments(entry, done, order_ids):
                continue
            found[entry.id or 0] = entry
            kind = request_kind(entry.method, entry.path)
            if kind in ("appointment", "appointment_change") and entry.resource_id:
                appointment_ids.add(entry.resource_id)

    # Every resend of those requests (the same idempotency key), however it ended.
    keys = sorted({e.idempotency_key for e in found.values() if e.idempotency_key})
    if keys:
        for entry in _fetch(conn, provider, audit_log.c.idempotency_key.in_(keys)):
            found[entry.id or 0] = entry
    return sorted(found.values(), key=lambda e: (e.at, e.id or 0))


def _consent_line(row: Mapping[str, Any]) -> ConsentLine:
    return ConsentLine(
        id=row["id"],
        subject=row["subject"],
        provider=row["provider"],
        description=row["description"],
        amount=row["amount"],
        currency=row["currency"],
        decision=row["decision"],
        owner_words=row["owner_words"],
        decided_at=aware_utc(row["decided_at"]),
        used_at=aware_utc(row["used_at"]),
        used_by=row["used_by"],
    )


def _consents_used_by(conn: Connection, keys: Iterable[str]) -> list[ConsentLine]:
    keys = sorted(set(keys))
    if not keys:
        return []
    query = (
        select(consents)
        .where(consents.c.used_by.in_(keys))
        .order_by(consents.c.used_at, consents.c.id)
    )
    return [_consent_line(r) for r in conn.execute(query).mappings().all()]


def _order_amount(row: Mapping[str, Any] | None) -> tuple[float | None, str | None]:
    """The total of a stored order, as the desk sent it (total, or unit price x quantity)."""
    if row is None or not row["data"]:
        return None, None
    try:
        data = json.loads(row["data"])
    except ValueError:
        return None, None
    currency = data.get("currency")
    quantity = data.get("quantity") or row["quantity"] or 1
    for value in (
        data.get("total"),
        _times(data.get("unit_price"), quantity),
        _times(data.get("price"), quantity),
    ):
        if isinstance(value, int | float):
            return float(value), currency
    return None, currency


def _times(price: Any, quantity: Any) -> float | None:
    if isinstance(price, int | float) and isinstance(quantity, int | float):
        return round(float(price) * float(quantity), 2)
    return None


def _spends(conn: Connection, entries: Iterable[AuditEntry]) -> list[Spend]:
    """One spend per successful parts order (resends of one request count once)."""
    placed: dict[Any, AuditEntry] = {}
    for entry in entries:
        if request_kind(entry.method, entry.path) != "parts_order" or entry.outcome != "ok":
            continue
        placed.setdefault(entry.idempotency_key or ("row", entry.id), entry)
    if not placed:
        return []
    by_key = {
        c.used_by: c
        for c in _consents_used_by(
            conn, (e.idempotency_key for e in placed.values() if e.idempotency_key)
        )
    }
    order_ids = sorted({e.resource_id for e in placed.values() if e.resource_id})
    stored = {
        (r["provider"], r["order_id"]): r
        for r in conn.execute(select(orders).where(orders.c.order_id.in_(order_ids)))
        .mappings()
        .all()
    }
    spent = []
    for entry in placed.values():
        body = _body(entry)
        order = stored.get((entry.provider, entry.resource_id or ""))
        consent = by_key.get(entry.idempotency_key) if entry.idempotency_key else None
        if consent is not None:
            amount, currency = consent.amount, consent.currency
            basis: str | None = BASIS.get(consent.decision, consent.decision)
        else:
            (amount, currency), basis = _order_amount(order), None
        item = body.get("sku") or (order["sku"] if order else None) or ""
        spent.append(
            Spend(
                item=str(item),
                amount=amount,
                currency=currency,
                basis=basis,
                at=entry.at,
                order_id=entry.resource_id,
                provider=entry.provider,
            )
        )
    return spent  # in the order the requests were sent


def _totals(spent: Iterable[Spend]) -> dict[str, float]:
    totals: dict[str, float] = {}
    for spend in spent:
        if spend.amount is not None and spend.currency:
            totals[spend.currency] = round(totals.get(spend.currency, 0.0) + spend.amount, 2)
    return totals


def _replies(conn: Connection, case: Case) -> list[Reply]:
    """Status changes and questions from the company, oldest first, each change once."""
    query = (
        select(webhook_events)
        .where(webhook_events.c.provider == case.provider)
        .where(webhook_events.c.resource_id == case.ticket_id)
        .where(webhook_events.c.type.in_(TICKET_EVENTS))
    )
    found: list[Reply] = []
    for row in conn.execute(query).mappings().all():
        try:
            payload = json.loads(row["payload"]) if row["payload"] else {}
        except ValueError:
            continue
        data = payload.get("data") if isinstance(payload, Mapping) else None
        if not isinstance(data, Mapping) or not data.get("status"):
            continue
        if data.get("id") not in (None, case.ticket_id):
            continue
        try:
            changed = naive_utc(data.get("updated_at"))
        except (TypeError, ValueError):
            changed = None
        when = changed or row["created_at"] or row["received_at"]  # received_at: never None
        at = when.replace(tzinfo=timezone.utc)
        found.append(Reply(at, str(data["status"]), data.get("question") or None))
    if case.question:
        found.append(Reply(case.updated_at, case.status, case.question))
    found.sort(key=lambda r: r.at)
    replies: list[Reply] = []
    for reply in found:
        if replies and (replies[-1].status, replies[-1].question) == (
            reply.status,
            reply.question,
        ):
            continue  # the same news again (a redelivery, or the case itself)
        replies.append(reply)
    return replies


def _open_cases(
    conn: Connection, conversation_id: str | None, leave_out: Case | None = None
) -> list[OpenCase]:
    """Cases not final (of `conversation_id`, or all), most recently updated first."""
    query = (
        select(cases.c.ticket_id, cases.c.provider, cases.c.status)
        .where(cases.c.status.notin_(sorted(FINAL_CASE_STATUSES)))
        .order_by(cases.c.updated_at.desc(), cases.c.ticket_id, cases.c.provider)
    )
    if conversation_id is not None:
        query = query.where(cases.c.conversation_id == conversation_id)
    left_out = (leave_out.provider, leave_out.ticket_id) if leave_out else None
    return [
        OpenCase(r["ticket_id"], r["provider"], r["status"])
        for r in conn.execute(query).mappings().all()
        if (r["provider"], r["ticket_id"]) != left_out
    ]


def _waiting_handoffs(conn: Connection, conversation_id: str | None) -> list[WaitingHandoff]:
    query = (
        select(handoffs.c.point, handoffs.c.provider, handoffs.c.subject)
        .where(handoffs.c.status == "waiting")
        .order_by(handoffs.c.asked_at, handoffs.c.id)
    )
    if conversation_id is not None:
        query = query.where(handoffs.c.conversation_id == conversation_id)
    return [
        WaitingHandoff(r["point"], r["provider"], r["subject"])
        for r in conn.execute(query).mappings().all()
    ]


# --- the two summaries ------------------------------------------------------------------------


def case_summary(memory: CaseMemory, provider: str, ticket_id: str) -> CaseSummary | None:
    """Everything done and heard for `provider`'s case `ticket_id`; None when the store does
    not know it."""
    case = memory.case(provider, ticket_id)
    if case is None:
        return None
    with memory.engine.connect() as conn:
        entries = _case_entries(conn, provider, ticket_id)
        keys = {e.idempotency_key for e in entries if e.idempotency_key}
        spent = _spends(conn, entries)
        return CaseSummary(
            ticket_id=case.ticket_id,
            provider=case.provider,
            asked=case.summary,
            category=case.category,
            status=case.status,
            opened_at=case.created_at or case.first_seen_at,
            closed_at=None if case.is_open else case.updated_at,
            conversation_id=case.conversation_id,
            requests=[request_line(e) for e in entries],
            replies=_replies(conn, case),
            spent=spent,
            total_spent=_totals(spent),
            consents_used=_consents_used_by(conn, keys),
            still_open=_open_cases(conn, case.conversation_id, leave_out=case),
            handoffs_waiting=_waiting_handoffs(conn, case.conversation_id),
        )


def digest(
    memory: CaseMemory,
    since: datetime,
    until: datetime,
    conversation_id: str | None = None,
) -> Digest:
    """What was done over [since, until) (of one conversation, or all), and what is open now."""
    start, end = naive_utc(since), naive_utc(until)
    entries = memory.audit_entries(since=since, until=until, conversation_id=conversation_id)
    sent = [e for e in entries if e.method.upper() != "GET"]
    counts = dict.fromkeys(OUTCOMES, 0)
    for entry in sent:
        counts[entry.outcome] = counts.get(entry.outcome, 0) + 1

    def of_conversation(query: Any, column: Any) -> Any:
        return query if conversation_id is None else query.where(column == conversation_id)

    used = of_conversation(
        select(consents)
        .where(consents.c.used_at >= start, consents.c.used_at < end)
        .order_by(consents.c.used_at, consents.c.id),
        consents.c.conversation_id,
    )
    refused = of_conversation(
        select(consents)
        .where(consents.c.decision == "refused")
        .where(consents.c.decided_at >= start, consents.c.decided_at < end)
        .order_by(consents.c.decided_at, consents.c.id),
        consents.c.conversation_id,
    )
    asked = of_conversation(
        select(handoffs)
        .where(handoffs.c.asked_at >= start, handoffs.c.asked_at < end)
        .order_by(handoffs.c.asked_at, handoffs.c.id),
        handoffs.c.conversation_id,
    )
    with memory.engine.connect() as conn:
        spent = _spends(conn, sent)
        return Digest(
            since=aware_utc(start),  # type: ignore[arg-type]
            until=aware_utc(end),  # type: ignore[arg-type]
            conversation_id=conversation_id,
            counts=counts,
            requests=[request_line(e) for e in sent],
            reads=len(entries) - len(sent),
            spent=spent,
            total_spent=_totals(spent),
            consents_used=[_consent_line(r) for r in conn.execute(used).mappings().all()],
            consents_refused=[_consent_line(r) for r in conn.execute(refused).mappings().all()],
            handoffs=[
                HandoffLine(
                    id=r["id"],
                    point=r["point"],
                    conversation_id=r["conversation_id"],
                    provider=r["provider"],
                    subject=r["subject"],
                    status=r["status"],
                    asked_at=aware_utc(r["asked_at"]),  # type: ignore[arg-type]
                    closed_at=aware_utc(r["closed_at"]),
                    outcome=r["outcome"],
                )
                for r in conn.execute(asked).mappings().all()
            ],
            still_open=_open_cases(conn, conversation_id),
            handoffs_waiting=_waiting_handoffs(conn, conversation_id),
        )


def consent_words(consent: ConsentLine) -> dict[str, str]:
    """A used consent as the owner is reminded of it: what, how much, and their own words."""
    return {
        "description": consent.description or "",
        "amount": "" if consent.amount is None else f"{consent.amount:.2f}",
        "currency": consent.currency or "",
        "owner_words": consent.owner_words or "",
    }
