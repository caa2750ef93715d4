"""Sends queued notices to the owner through Rasa's external events.

`POST /conversations/{id}/trigger_intent?output_channel=<channel>` with the intent
`EXTERNAL_notice` and the notice's id: Rasa runs `action_deliver_notice`, which reads the notice
from the store and utters it on a channel that can push (callback or socketio). Rasa down or
slow means a retry with backoff; notices for one conversation go in order.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Callable
from urllib.parse import quote

import aiohttp

from actions.notices import NoticeOutbox, StoredNotice

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
        self._wake = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None

    def wake(self) -> None:
        """Safe from any thread: a notice was queued."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._wake.set)

    async def run(self, idle_poll_s: float = 1.0) -> None:
        self._loop = asyncio.get_running_loop()
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
                    self._wake.clear()
                    try:
                        await asyncio.wait_for(self._wake.wait(), timeout=idle_poll_s)
                    except asyncio.TimeoutError:
                        pass
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
        params = {"output_channel": notice.output_channel}
        if self._token:
            params["token"] = self._token
        body = {"name": EXTERNAL_INTENT, "entities": {"notice_id": str(notice.id)}}
        error = None
        try:
            async with session.post(url, params=params, json=body) as resp:
                await resp.read()
                if resp.status == 200:
                    await asyncio.to_thread(self._outbox.mark_sent, notice.id)
                    await asyncio.to_thread(self._on_sent, notice)
                    return True
                error = f"Rasa answered {resp.status}"
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as err:
            error = f"{type(err).__name__}: {err}"
        cap = URGENT_BACKOFF_CAP_S if notice.urgent else BACKOFF_CAP_S
        delay = min(BACKOFF_S * 2 ** (notice.attempts - 1), cap)
        give_up = notice.attempts >= MAX_ATTEMPTS
        (logger.error if give_up else logger.warning)(
            "notice %s (%s) not delivered (attempt %d): %s%s",
            notice.id,
            notice.kind,
            notice.attempts,
            error,
            "; giving up" if give_up else "",
        )
        await asyncio.to_thread(self._outbox.retry_later, notice.id, error or "", delay, give_up)
        return False
