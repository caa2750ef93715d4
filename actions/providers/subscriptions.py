"""Keeping exactly one webhook subscription per account at each provider's desk.

Run in the background when the action server starts: it lists the account's subscriptions,
keeps ours if it is current, removes stale or duplicate ones (earlier secrets, earlier runs)
and creates one if none is left. Restarts therefore never pile up subscriptions, and a desk that
is down delays nothing: the loop retries with backoff until every account is done.

Each provider's subscription has its own secret (`provider_secret`, derived from
STANDIN_WEBHOOK_SECRET), so one company's secret cannot sign events for another. The
subscription URL carries a fingerprint of that secret (an HMAC of a fixed text, which says
nothing about the secret), because the desk never shows a subscription's secret: that is how a
subscription made with an old secret (or with the master secret all providers once shared)
is recognised and replaced after the secret changes.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import uuid

from actions.core.errors import ConfigError
from actions.owner.profile import OwnerProfile
from actions.providers.client import ServiceDeskClient
from actions.providers.desk_errors import DeskError, DeskRejected
from actions.providers.webhooks import SUBSCRIBED_EVENTS, provider_secret

logger = logging.getLogger(__name__)


def subscription_url(base_url: str, provider: str, secret: str) -> str:
    """`provider`'s URL, fingerprinted with the secret its subscription is made with (the
    provider's own, so a subscription made with the shared master secret, as before, has
    another fingerprint and is replaced)."""
    fingerprint = hmac.new(secret.encode(), b"stand-in subscription", hashlib.sha256)
    return f"{base_url}/{provider}?v={fingerprint.hexdigest()[:16]}"


async def ensure_subscription(
    desk: ServiceDeskClient, api_key: str, provider: str, base_url: str, master_secret: str
) -> str:
    """The id of the one current subscription for `provider`, made if missing; it is signed
    with `provider`'s own secret, derived from `master_secret`."""
    secret = provider_secret(master_secret, provider)
    wanted = subscription_url(base_url, provider, secret)
    ours = [
        s
        for s in await desk.list_webhooks(api_key, provider)
        if s.url.split("?", 1)[0] == f"{base_url}/{provider}"
    ]
    keep = next(
        (s for s in ours if s.url == wanted and set(s.events) == set(SUBSCRIBED_EVENTS)), None
    )
    for stale in ours:
        if stale is not keep:
            try:
                await desk.delete_webhook(api_key, provider, stale.id)
            except DeskRejected as err:
                if err.status != 404:  # 404: another process removed it first
                    raise
    if keep is not None:
        return keep.id
    # A fresh key per attempt: client retries reuse it (no duplicate on a lost answer), while a
    # later run, after someone deleted the subscription, is not answered with the old reply.
    created = await desk.create_webhook(
        api_key,
        provider,
        wanted,
        list(SUBSCRIBED_EVENTS),
        secret,
        idempotency_key=f"standin-webhook-{uuid.uuid4().hex}",
    )
    return created.id


async def keep_subscribed(
    desk: ServiceDeskClient,
    profile: OwnerProfile,
    base_url: str,
    master_secret: str,
    first_delay_s: float = 1.0,
    max_delay_s: float = 60.0,
) -> dict[str, str]:
    """Subscribe every account of the profile, retrying with backoff; {provider: webhook id}."""
    pending = list(profile.accounts)
    done: dict[str, str] = {}
    delay = first_delay_s
    while pending:
        for account in list(pending):
            try:
                key = profile.api_key(account)
                done[account.provider] = await ensure_subscription(
                    desk, key, account.provider, base_url, master_secret
                )
                pending.remove(account)
                logger.info("subscribed to %s webhooks", account.provider)
            except (ConfigError, DeskRejected) as err:
                # A missing key or a refusal does not fix itself by waiting.
                logger.error("cannot subscribe to %s webhooks: %s", account.provider, err)
                pending.remove(account)
            except DeskError as err:
                logger.warning(
                    "subscribing to %s webhooks failed (%s); retrying in %.0fs",
                    account.provider,
                    err,
                    delay,
                )
        if pending:
            await asyncio.sleep(delay)
            delay = min(delay * 2, max_delay_s)
    return done


async def stay_subscribed(
    desk: ServiceDeskClient,
    profile: OwnerProfile,
    base_url: str,
    master_secret: str,
    recheck_s: float,
) -> None:
    """Subscribe, then check again every `recheck_s`: a provider that lost or dropped the
    subscription (a restore, a cleanup) gets it back, and holds are not left to polling."""
    while True:
        await keep_subscribed(desk, profile, base_url, master_secret)
        await asyncio.sleep(recheck_s)
