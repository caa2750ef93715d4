"""The notifier's side of Rasa's external events: the request it sends, order per conversation,
and retry with backoff.

A small HTTP server stands in for Rasa's trigger_intent here so failures can be injected; the
real Rasa is exercised end to end in tests/e2e/test_calls.py."""

from __future__ import annotations

import asyncio

from aiohttp import web

from actions.case_memory import CaseMemory
from actions.notices import Notice, NoticeOutbox
from actions.owner_notifier import EXTERNAL_INTENT, OwnerNotifier
from tests.actions.store_fixtures import sqlite_url

TOKEN = "notifier-test-token-0123"


async def _fake_rasa(fail_first: int) -> tuple[web.AppRunner, str, list[dict]]:
    seen: list[dict] = []

    async def trigger(request: web.Request) -> web.Response:
        seen.append(
            {
                "conversation": request.match_info["conversation"],
                "query": dict(request.query),
                "body": await request.json(),
            }
        )
        if len(seen) <= fail_first:
            return web.json_response({"error": "starting"}, status=503)
        return web.json_response({"tracker": {}})

    app = web.Application()
    app.router.add_post("/conversations/{conversation}/trigger_intent", trigger)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}", seen


def test_notices_reach_rasa_in_order_with_the_token_and_are_retried(tmp_path):
    outbox = NoticeOutbox(CaseMemory(sqlite_url(tmp_path)).engine)
    for n in range(3):
        outbox.enqueue(
            Notice("call_position", {"position": 5 - n}, f"CALL-{n}", dedupe_key=f"k{n}"),
            "owner one",
            "callback",
        )
    sent_kinds: list[str] = []

    async def scenario() -> list[dict]:
        runner, url, seen = await _fake_rasa(fail_first=1)
        notifier = OwnerNotifier(outbox, url, TOKEN, lambda n: sent_kinds.append(n.kind))
        task = asyncio.ensure_future(notifier.run(idle_poll_s=0.05))
        try:
            deadline = asyncio.get_running_loop().time() + 20
            # A notice is marked sent before its on_sent hook runs: wait for both.
            while len(sent_kinds) < 3 or any(n.status != "sent" for n in outbox.all()):
                assert asyncio.get_running_loop().time() < deadline, (outbox.all(), sent_kinds)
                await asyncio.sleep(0.05)  # polling interval, not synchronisation
        finally:
            task.cancel()
            await runner.cleanup()
        return seen

    seen = asyncio.run(scenario())
    assert seen[0]["conversation"] == "owner one"
    assert seen[0]["query"] == {"output_channel": "callback", "token": TOKEN}
    assert seen[0]["body"]["name"] == EXTERNAL_INTENT
    # The first attempt failed (Rasa starting) and was retried; order was kept.
    ids = [s["body"]["entities"]["notice_id"] for s in seen]
    first = str(outbox.all()[0].id)
    assert ids[0] == first and ids[1] == first and ids[1:] == sorted(ids[1:], key=int)
    assert outbox.all()[0].attempts == 2
    assert sent_kinds == ["call_position"] * 3
