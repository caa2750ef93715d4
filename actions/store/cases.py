"""Cases: each ticket at each provider as last seen, and what the owner was last told of them."""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from actions.core.clock import aware_utc, naive_utc, utc_now
from actions.store.database import Database
from actions.store.schema import case_checks, cases

FINAL_CASE_STATUSES = frozenset({"resolved", "closed", "cancelled"})


@dataclass(frozen=True)
class Case:
    """One ticket at one provider: (provider, ticket_id) names it, never the id alone."""

    ticket_id: str
    provider: str
    account_id: str | None
    category: str | None
    summary: str | None
    severity: str | None
    status: str
    question: str | None
    created_at: datetime | None
    updated_at: datetime
    conversation_id: str | None
    last_event_at: datetime | None
    first_seen_at: datetime
    question_kind: str | None = None

    @property
    def is_open(self) -> bool:
        return self.status not in FINAL_CASE_STATUSES


def _case_values(
    ticket: Mapping[str, Any],
    conversation_id: str | None,
    account_id: str | None,
    event_at: datetime | None,
) -> dict[str, Any]:
    return {
        "ticket_id": str(ticket["id"]),
        "provider": str(ticket["provider"]),
        "account_id": account_id or ticket.get("account_id"),
        "category": ticket.get("category"),
        "summary": ticket.get("summary"),
        "severity": ticket.get("severity"),
        "status": str(ticket["status"]),
        "question": ticket.get("question"),
        "question_kind": ticket.get("question_kind") if ticket.get("question") else None,
        "created_at": naive_utc(ticket.get("created_at")),
        "updated_at": naive_utc(ticket["updated_at"]),
        "conversation_id": conversation_id,
        "last_event_at": naive_utc(event_at),
        "first_seen_at": naive_utc(utc_now()),
    }


class CaseRecords(Database):
    """The `cases` and `case_checks` tables."""

    def upsert_case_from_ticket(
        self,
        ticket: Mapping[str, Any],
        conversation_id: str | None = None,
        account_id: str | None = None,
        event_at: datetime | None = None,
    ) -> bool:
        """Insert or update the case for a ticket as the desk returned it.

        The case never moves backwards: an update whose `updated_at` is older than the stored
        one changes nothing and returns False. The first conversation id is kept, so reading a
        ticket from another conversation does not re-attribute it. `event_at` is set when the
        update came from a provider webhook.
        """
        with self._engine.begin() as conn:
            values = _case_values(ticket, conversation_id, account_id, event_at)
            return conn.execute(self._case_upsert, values).rowcount > 0

    def upsert_cases_from_tickets(
        self,
        tickets: list[Mapping[str, Any]],
        conversation_id: str | None = None,
        account_id: str | None = None,
    ) -> int:
        """`upsert_case_from_ticket` for a whole list: one statement run for every ticket, in
        one transaction (a status listing of many tickets is one commit, not one each)."""
        if not tickets:
            return 0
        rows = [_case_values(t, conversation_id, account_id, None) for t in tickets]
        with self._engine.begin() as conn:
            return conn.execute(self._case_upsert, rows).rowcount

    @functools.cached_property
    def _case_upsert(self) -> Any:
        """INSERT ... ON CONFLICT DO UPDATE for one case, its values bound per row."""
        stmt = self._insert(cases)
        new = stmt.excluded
        return stmt.on_conflict_do_update(
            index_elements=[cases.c.provider, cases.c.ticket_id],
            set_={
                **{
                    col: new[col]
                    for col in (
                        "status",
                        "question",
                        "question_kind",
                        "updated_at",
                        "summary",
                        "severity",
                    )
                },
                "category": func.coalesce(new.category, cases.c.category),
                "created_at": func.coalesce(cases.c.created_at, new.created_at),
                "account_id": func.coalesce(cases.c.account_id, new.account_id),
                "conversation_id": func.coalesce(cases.c.conversation_id, new.conversation_id),
                "last_event_at": func.coalesce(new.last_event_at, cases.c.last_event_at),
            },
            where=cases.c.updated_at <= new.updated_at,
        )

    def case(self, provider: str, ticket_id: str) -> Case | None:
        """The case of `ticket_id` at `provider` (another provider's ticket of that id is
        another case)."""
        query = select(cases).where(cases.c.provider == provider, cases.c.ticket_id == ticket_id)
        with self._engine.connect() as conn:
            found = conn.execute(query).mappings().first()
        return _case(found) if found else None

    def cases_with_id(self, ticket_id: str) -> list[Case]:
        """Every provider's case with this ticket id, for callers that know only the id (one the
        owner typed): more than one is ambiguous, and theirs to resolve, never to guess."""
        query = select(cases).where(cases.c.ticket_id == ticket_id).order_by(cases.c.provider)
        with self._engine.connect() as conn:
            return [_case(r) for r in conn.execute(query).mappings().all()]

    def cases(self, provider: str | None = None, open_only: bool = False) -> list[Case]:
        """Cases, most recently updated first; `open_only` leaves out resolved/closed/cancelled."""
        query = select(cases).order_by(
            cases.c.updated_at.desc(), cases.c.ticket_id, cases.c.provider
        )
        if provider is not None:
            query = query.where(cases.c.provider == provider)
        if open_only:
            query = query.where(cases.c.status.notin_(sorted(FINAL_CASE_STATUSES)))
        with self._engine.connect() as conn:
            return [_case(r) for r in conn.execute(query).mappings().all()]

    def awaiting_customer(self) -> list[Case]:
        """Cases whose company waits for an answer (indexed by status: cheap every second)."""
        query = (
            select(cases)
            .where(cases.c.status == "awaiting_customer")
            .where(cases.c.question.is_not(None))
            .order_by(cases.c.updated_at, cases.c.ticket_id, cases.c.provider)
        )
        with self._engine.connect() as conn:
            return [_case(r) for r in conn.execute(query).mappings().all()]

    def last_check(self, conversation_id: str) -> tuple[datetime, dict[str, Any]] | None:
        """When the owner of `conversation_id` was last told about their cases, and what."""
        with self._engine.connect() as conn:
            row = (
                conn.execute(
                    select(case_checks).where(case_checks.c.conversation_id == conversation_id)
                )
                .mappings()
                .first()
            )
        if row is None:
            return None
        return aware_utc(row["checked_at"]), json.loads(row["snapshot"])

    def set_last_check(
        self, conversation_id: str, snapshot: Mapping[str, Any], at: datetime | None = None
    ) -> None:
        """Record what the owner was just told (case key -> what they heard about it)."""
        values = {
            "conversation_id": conversation_id,
            "checked_at": naive_utc(at or utc_now()),
            "snapshot": json.dumps(dict(snapshot), default=str, sort_keys=True),
        }
        stmt = self._insert(case_checks).values(**values)
        stmt = stmt.on_conflict_do_update(
            index_elements=[case_checks.c.conversation_id],
            set_={"checked_at": stmt.excluded.checked_at, "snapshot": stmt.excluded.snapshot},
        )
        with self._engine.begin() as conn:
            conn.execute(stmt)


def _case(row: Mapping[str, Any]) -> Case:
    times = ("created_at", "updated_at", "last_event_at", "first_seen_at")
    return Case(**{k: (aware_utc(v) if k in times else v) for k, v in row.items()})
