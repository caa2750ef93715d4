"""The owner's consent for money: recorded when given, checked when money is about to be spent.

One job: nothing that costs money is sent unless, at the moment of sending,
- it is free (amount 0), or
- its total is within the owner's standing spending limit (same currency), or
- the case memory holds the owner's explicit yes, in this conversation, to this exact item,
  amount and currency, given less than `STANDIN_CONSENT_TTL_S` ago (default 900 s), and not
  used by any other request.

The check (`authorise`) runs inside the function that sends, so a slot set by anything but the
owner's answer (a forged `part_order_confirmed: true`, a replayed `pending_request`) can never
spend money: slots are never evidence, only consent rows are.

Used once. A consent is used by exactly one request, identified by its idempotency key; the use
is an atomic UPDATE guarded by "unused, or already used by this key". A request whose first
attempt did not go through (desk down, 5xx, timeout) is resent with the same body and the same
key, so the consent it used stays valid for that resend, and only for it: the key makes the
resend safe (the desk creates at most one order per key, and a replay spends nothing twice),
while any other request (another item, another amount, another key) finds the consent used.
The expiry still applies to the resend: after 15 minutes the owner is asked again, since a
resend that reaches the desk for the first time would spend money on a stale yes.

A "no", or no answer at all, is recorded as refused (or never recorded) and authorises nothing.

Only the owner's own channel grants. A yes is recorded only from a message that Rasa's `rest` or
`callback` channel took with the owner's token and stamped (`owner_stamped`): a message that
came any other way (a channel without the owner's credential, an external event) can refuse,
never grant.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta

from actions.core.clock import utc_now
from actions.owner.messages import owner_stamped
from actions.runtime import Services
from actions.store.owner_preferences import current_preferences

PARTS_ORDER = "parts_order"  # the consent subject for parts orders
GRANTED, REFUSED, WITHIN_LIMIT = "granted", "refused", "within_limit"


@dataclass(frozen=True)
class Spend:
    """What a request would spend: the item, its total and currency, at which provider."""

    subject: str
    provider: str
    item: str  # e.g. the SKU
    description: str  # what the owner was shown, e.g. "Charging port assembly to Voltra Lisbon"
    amount: float
    currency: str


@dataclass(frozen=True)
class Authorisation:
    basis: str  # "free", WITHIN_LIMIT or "consent"
    consent_id: int | None = None


def same_amount(a: float | None, b: float | None) -> bool:
    return a is not None and b is not None and round(a * 100) == round(b * 100)


async def record_decision(
    svc: Services, conversation_id: str, spend: Spend, granted: bool, owner_words: str
) -> int:
    """Record the owner's yes or no to `spend`; a yes can be used once, within the TTL."""
    now = utc_now()
    return await asyncio.to_thread(
        svc.memory.record_consent,
        conversation_id,
        spend.subject,
        GRANTED if granted else REFUSED,
        provider=spend.provider,
        description=spend.description,
        amount=spend.amount,
        currency=spend.currency,
        owner_words=owner_words,
        data={"item": spend.item},
        expires_at=now + timedelta(seconds=svc.settings.consent_ttl_s),
    )


async def authorise(
    svc: Services, conversation_id: str, spend: Spend, request_key: str
) -> Authorisation | None:
    """Whether `request_key` may spend `spend` now; None means it must not be sent."""
    if spend.amount == 0:
        return Authorisation("free")
    if spend.amount < 0:
        return None
    prefs = await current_preferences(svc)
    if (
        prefs.spending_limit > 0
        and spend.currency == prefs.currency
        and spend.amount <= prefs.spending_limit
    ):
        consent_id = await asyncio.to_thread(
            svc.memory.record_consent,
            conversation_id,
            spend.subject,
            WITHIN_LIMIT,
            provider=spend.provider,
            description=spend.description,
            amount=spend.amount,
            currency=spend.currency,
            data={"item": spend.item, "spending_limit": prefs.spending_limit},
            used_by=request_key,
        )
        return Authorisation(WITHIN_LIMIT, consent_id)
    now = utc_now()
    candidates = await asyncio.to_thread(
        svc.memory.usable_consents, conversation_id, spend.subject, request_key, now
    )
    for row in candidates:
        if (
            row["provider"] == spend.provider
            and row["data"].get("item") == spend.item
            and row["currency"] == spend.currency
            and same_amount(row["amount"], spend.amount)
        ):
            if await asyncio.to_thread(svc.memory.use_consent, row["id"], request_key):
                return Authorisation("consent", row["id"])
    return None


async def needs_consent(svc: Services, amount: float, currency: str) -> bool:
    """Whether the owner must be asked before spending `amount` (the send checks again)."""
    if amount == 0:
        return False
    prefs = await current_preferences(svc)
    within = prefs.spending_limit > 0 and currency == prefs.currency
    return not (within and 0 < amount <= prefs.spending_limit)


# --- the owner's explicit yes to what cannot be undone: cancellations, contract changes ------

CANCEL_OR_CONTRACT = "cancel_or_contract"
CANCEL_SERVICE, CONTRACT_CHANGE, ESCALATION = "cancel_service", "contract_change", "escalation"
# Ticket categories that end or change a contract: sending one needs the owner's yes.
CONTRACT_CATEGORIES = frozenset({"cancellation"})


def item_of(kind: str, subject: str) -> str:
    """What a permission is for: the kind of change and its provider or ticket."""
    return f"{kind}:{subject}"


async def record_permission(
    svc: Services,
    conversation_id: str,
    provider: str,
    item: str,
    description: str,
    granted: bool,
    owner_words: str,
) -> int:
    """Record the owner's yes or no to `item` (e.g. "cancel_service:nimbus-telecom"); a yes is
    used once, within the consent TTL, by the request that carries it out."""
    return await asyncio.to_thread(
        svc.memory.record_consent,
        conversation_id,
        CANCEL_OR_CONTRACT,
        GRANTED if granted else REFUSED,
        provider=provider,
        description=description,
        owner_words=owner_words,
        data={"item": item},
        expires_at=utc_now() + timedelta(seconds=svc.settings.consent_ttl_s),
    )


async def authorise_change(
    svc: Services, conversation_id: str, provider: str, item: str, request_key: str
) -> Authorisation | None:
    """Whether `request_key` may carry out `item` now: only with the owner's unused yes to
    exactly that item at that provider, from this conversation. None: do not send."""
    candidates = await asyncio.to_thread(
        svc.memory.usable_consents, conversation_id, CANCEL_OR_CONTRACT, request_key, utc_now()
    )
    for row in candidates:
        if row["provider"] == provider and row["data"].get("item") == item:
            if await asyncio.to_thread(svc.memory.use_consent, row["id"], request_key):
                return Authorisation("consent", row["id"])
    return None


async def permission_from_this_turn(
    svc: Services, tracker: object, provider: str, item: str, description: str
) -> int | None:
    """Record the owner's yes to `item` when the latest message is the owner's own "yes"
    (the turn that completed a confirmation form), on the owner's own channel; None otherwise:
    a slot alone is no yes."""
    latest = getattr(tracker, "latest_message", None) or {}
    intent = (latest.get("intent") or {}).get("name")
    if intent != "affirm" or not owner_stamped(svc.settings.owner_token, tracker):
        return None
    return await record_permission(
        svc,
        getattr(tracker, "sender_id", ""),
        provider,
        item,
        description,
        True,
        str(latest.get("text") or ""),
    )


async def refuse_unless_permitted(
    svc: Services,
    dispatcher: object,
    conversation_id: str | None,
    provider: str,
    item: str,
    request_key: str,
) -> bool:
    """True (after telling the owner nothing was done) unless the owner's yes to `item` is
    there to be used by `request_key`, at the moment of sending."""
    if await authorise_change(svc, conversation_id or "", provider, item, request_key):
        return False
    dispatcher.utter_message(response="utter_needs_explicit_yes")  # type: ignore[attr-defined]
    return True
