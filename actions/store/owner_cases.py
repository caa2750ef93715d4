"""The owner's cases in the case memory: those of the owner's own accounts, never another's."""

from __future__ import annotations

from typing import Protocol

from actions.owner.profile import OwnerProfile
from actions.store.case_memory import CaseMemory
from actions.store.cases import Case


class OwnerRecords(Protocol):
    """What reading the owner's records takes (the runtime's services have both)."""

    @property
    def memory(self) -> CaseMemory: ...

    @property
    def profile(self) -> OwnerProfile: ...


class AmbiguousTicket(Exception):
    """Several of the owner's companies have a ticket of this id, and which one is not known."""

    def __init__(self, ticket_id: str, cases: list[Case]) -> None:
        super().__init__(ticket_id)
        self.ticket_id = ticket_id
        self.cases = cases


def owner_cases(svc: OwnerRecords, open_only: bool = False) -> list[Case]:
    """The owner's cases from the memory, most recently updated first (other accounts never)."""
    return owner_cases_of(svc.memory.cases(open_only=open_only), svc.profile)


def owner_case(svc: OwnerRecords, ticket_id: str, provider: str | None = None) -> Case | None:
    """The owner's case `ticket_id` at `provider`; with no provider, the one case of that id.

    Raises AmbiguousTicket when only the id is known and more than one company has it."""
    if provider:
        found = svc.memory.case(provider, ticket_id)
        candidates = [found] if found is not None else []
    else:
        candidates = svc.memory.cases_with_id(ticket_id)
    cases = owner_cases_of(candidates, svc.profile)
    if len(cases) > 1:
        raise AmbiguousTicket(ticket_id, cases)
    return cases[0] if cases else None


def owner_cases_of(cases: list[Case], profile: OwnerProfile) -> list[Case]:
    """Those of `cases` that are the owner's (their accounts; other accounts never)."""
    mine = {a.account_id for a in profile.accounts}
    providers = {a.provider for a in profile.accounts}
    return [
        c
        for c in cases
        if c.provider in providers and (c.account_id is None or c.account_id in mine)
    ]
