"""What was done for one case, and over a period, told from Stand-in's own store only.

The two summaries put together what actions.handoff.case_records gathers from the store (which
requests belong to a case, what was spent, what the company answered, what is open) with the
requests as actions.handoff.request_lines reads them. The tracker is never read.

Synchronous and small, like the store: async callers wrap calls in `asyncio.to_thread`. Times
are timezone-aware UTC in every result.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from actions.core.clock import aware_utc, naive_utc
from actions.handoff.case_records import (
    ConsentLine,
    OpenCase,
    Reply,
    Spend,
    WaitingHandoff,
    case_entries,
    consent_line,
    consents_used_by,
    open_cases,
    replies,
    spends,
    totals,
    waiting_handoffs,
)
from actions.handoff.request_lines import RequestLine, request_line
from actions.providers.desk_audit import OUTCOMES
from actions.store.case_memory import CaseMemory
from actions.store.schema import consents, handoffs


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


def case_summary(memory: CaseMemory, provider: str, ticket_id: str) -> CaseSummary | None:
    """Everything done and heard for `provider`'s case `ticket_id`; None when the store does
    not know it."""
    case = memory.case(provider, ticket_id)
    if case is None:
        return None
    with memory.engine.connect() as conn:
        entries = case_entries(conn, provider, ticket_id)
        keys = {e.idempotency_key for e in entries if e.idempotency_key}
        spent = spends(conn, entries)
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
            replies=replies(conn, case),
            spent=spent,
            total_spent=totals(spent),
            consents_used=consents_used_by(conn, keys),
            still_open=open_cases(conn, case.conversation_id, leave_out=case),
            handoffs_waiting=waiting_handoffs(conn, case.conversation_id),
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
        spent = spends(conn, sent)
        return Digest(
            since=aware_utc(start),  # type: ignore[arg-type]
            until=aware_utc(end),  # type: ignore[arg-type]
            conversation_id=conversation_id,
            counts=counts,
            requests=[request_line(e) for e in sent],
            reads=len(entries) - len(sent),
            spent=spent,
            total_spent=totals(spent),
            consents_used=[consent_line(r) for r in conn.execute(used).mappings().all()],
            consents_refused=[consent_line(r) for r in conn.execute(refused).mappings().all()],
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
            still_open=open_cases(conn, conversation_id),
            handoffs_waiting=waiting_handoffs(conn, conversation_id),
        )


def consent_words(consent: ConsentLine) -> dict[str, str]:
    """A used consent as the owner is reminded of it: what, how much, and their own words."""
    return {
        "description": consent.description or "",
        "amount": "" if consent.amount is None else f"{consent.amount:.2f}",
        "currency": consent.currency or "",
        "owner_words": consent.owner_words or "",
    }
