"""The owner's cases kept in step with their desks.

The case memory is the source of truth for which cases exist; each is refreshed from the desk
when it can be reached (`refresh`, `refresh_all`), and what a desk answers is written back
(`remember`, `remember_cases`). A store failure never changes what the owner is told.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable

from actions.core.errors import ConfigError
from actions.owner.profile import Account
from actions.providers.desk_errors import DeskError, DeskRejected, DeskUnavailable
from actions.providers.desk_models import Ticket
from actions.runtime import Services
from actions.store.cases import Case
from actions.store.owner_cases import owner_cases

logger = logging.getLogger(__name__)


def case_key(case: Case) -> str:
    """How the owner's "what was I told" snapshot names a case (provider ids have no "/")."""
    return f"{case.provider}/{case.ticket_id}"


def account_of(svc: Services, case: Case) -> Account | None:
    by_id = next((a for a in svc.profile.accounts if a.account_id == case.account_id), None)
    return by_id or svc.profile.account_for(case.provider)


async def remember(
    svc: Services, ticket: Ticket, account: Account | None, conversation_id: str | None = None
) -> None:
    """Keep the memory in step with the desk; a store failure never changes what is said."""
    try:
        await asyncio.to_thread(
            svc.memory.upsert_case_from_ticket,
            ticket.dict(),
            conversation_id,
            account.account_id if account else None,
        )
    except Exception:
        logger.exception("CASE MEMORY WRITE FAILED for ticket %s", ticket.id)


async def remember_cases(
    svc: Services,
    tickets: Iterable[Ticket],
    conversation_id: str | None = None,
    account_id: str | None = None,
) -> None:
    """Keep the case memory in step with what the desk said (one transaction for them all).

    Never changes what the owner hears: the desk's answer is the fact, the record of it is
    ours, so a store failure is logged loudly and the turn goes on.
    """
    tickets = list(tickets)
    try:
        await asyncio.to_thread(
            svc.memory.upsert_cases_from_tickets,
            [t.dict() for t in tickets],
            conversation_id,
            account_id,
        )
    except Exception:
        logger.exception("CASE MEMORY WRITE FAILED for tickets %s", [t.id for t in tickets])


async def refresh(svc: Services, case: Case, conversation_id: str | None) -> Ticket:
    """Read one case back from its desk and store it. Raises DeskError / ConfigError."""
    account = account_of(svc, case)
    if account is None:
        raise ConfigError(f"no account for {case.provider}")
    ticket = await svc.desk.get_ticket(
        svc.profile.api_key(account),
        case.ticket_id,
        account_provider=account.provider,
        conversation_id=conversation_id,
    )
    await remember(svc, ticket, account)
    return ticket


async def refresh_all(
    svc: Services, cases: list[Case], conversation_id: str | None
) -> tuple[list[Case], str | None]:
    """Refresh every case; returns the memory's view afterwards and why any refresh failed."""
    problem: str | None = None
    for case in cases:
        try:
            await refresh(svc, case, conversation_id)
        except DeskRejected as err:
            if err.status != 404:
                problem = problem or err.message
        except DeskUnavailable as err:
            problem = problem or err.reason
        except (DeskError, ConfigError) as err:
            problem = problem or str(err)
    keys = {case_key(c) for c in cases}
    return [c for c in owner_cases(svc) if case_key(c) in keys], problem
