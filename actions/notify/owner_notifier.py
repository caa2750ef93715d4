"""Sends queued notices to the owner through Rasa's external events.

`POST /conversations/{id}/trigger_intent?output_channel=<channel>` with the intent
`EXTERNAL_notice`, the notice's id and this attempt's delivery id: Rasa runs
`action_deliver_notice`, which checks the conversation, records that this attempt said the
notice and utters it on a channel that can push (callback or socketio). The notice is delivered
only when that happened and Rasa answered 200 (see actions.store.notices). Anything else is retried
with backoff, in order per conversation; a notice that cannot be said (another conversation, or
every attempt failed) is marked failed and logged as an error with its reason.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Callable
from urllib.parse import quote

import aiohttp

from actions.core.wakeup import WakeUp
from actions.store.notices import REFUSED_PREFIX, NoticeOutbox, StoredNotice

logger = logging.getLogger(__name__)

EXTERNAL_INTENT = "EXTERNAL_notice"
MAX_ATTEMPTS = 40  # at least half an hour of retries at the capped backoff
BACKOFF_S = 1.0
BACKOFF_CAP_S = 60.0
URGENT_BACKOFF_CAP_S = 5.0  # a person on the line must not wait a minute for Rasa's return


class OwnerNotifier:
    def __init__(
        self,
        outbox: NoticeOutbox,
        rasa_url: str,
        token: str | None,
        on_sent: Callable[[StoredNotice], None] = lambda notice: None,
    ) -> None:
        self._outbox = outbox
        self._on_sent = on_sent
        self._rasa_url = rasa_url
        self._token = token
        self._bell = WakeUp()

    def wake(self) -> None:
        """Safe from any thread: a notice was queued."""
        self._bell.ring()

    async def run(self, idle_poll_s: float = 1.0) -> None:
        self._bell.attach()
        recovered = await asyncio.to_thread(self._outbox.recover)
        if recovered:
            logger.info("re-sending %d notice(s) cut short by a restart", recovered)
        timeout = aiohttp.ClientTimeout(total=30)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            while True:
                try:
                    batch = await asyncio.to_thread(self._outbox.claim_due, 100)
                except Exception:
                    logger.exception("reading the notice outbox failed")
                    batch = []
                if not batch:
                    self._bell.clear()
                    await self._bell.sleep(idle_poll_s)
                    continue
                by_conversation: dict[str, list[StoredNotice]] = defaultdict(list)
                for notice in batch:
                    by_conversation[notice.conversation_id].append(notice)
                await asyncio.gather(
                    *(self._send_in_order(session, group) for group in by_conversation.values())
                )

    async def _send_in_order(
        self, session: aiohttp.ClientSession, notices: list[StoredNotice]
    ) -> None:
        for index, notice in enumerate(notices):
            if not await self.send(session, notice):
                # Keep the conversation's order: the rest wait behind the one that failed.
                later = [n.id for n in notices[index + 1 :]]
                await asyncio.to_thread(self._outbox.release, later)
                return

    async def send(self, session: aiohttp.ClientSession, notice: StoredNotice) -> bool:
        url = (
            f"{self._rasa_url}/conversations/{quote(notice.conversation_id, safe='')}"
            "/trigger_intent"
        )
        # The tracker in Rasa's answer is not needed: leaving it out keeps a long
        # conversation's notice as cheap as a new one's.
        params = {"output_channel": notice.output_channel, "include_events": "NONE"}
        if self._token:
            params["token"] = self._token
        body = {
            "name": EXTERNAL_INTENT,
            "entities": {"notice_id": str(notice.id), "notice_delivery": notice.delivery},
        }
        error = None
        final = False
        try:
            async with session.post(url, params=params, json=body) as resp:
                await resp.read()
                if resp.status == 200:
                    if await asyncio.to_thread(self._outbox.confirm, notice.id, notice.delivery):
                        await asyncio.to_thread(self._on_sent, notice)
                        return True
                    current = await asyncio.to_thread(self._outbox.get, notice.id)
                    refused = current.last_error if current is not None else None
                    # The action refused it (another conversation): no retry can say it.
                    final = bool(refused and refused.startswith(REFUSED_PREFIX))
                    error = refused or "Rasa answered, but the notice's action did not say it"
                else:
                    error = f"Rasa answered {resp.status}"
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as err:
            error = f"{type(err).__name__}: {err}"
        cap = URGENT_BACKOFF_CAP_S if notice.urgent else BACKOFF_CAP_S
        delay = min(BACKOFF_S * 2 ** (notice.attempts - 1), cap)
        give_up = final or notice.attempts >= MAX_ATTEMPTS
        (logger.error if give_up else logger.warning)(
            "notice %s (%s) for conversation %s not delivered (attempt %d): %s%s",
            notice.id,
            notice.kind,
            notice.conversation_id,
            notice.attempts,
            error,
            "; giving up, the owner was not told" if give_up else "; will retry",
        )
        await asyncio.to_thread(self._outbox.retry_later, notice.id, error or "", delay, give_up)
        return False
