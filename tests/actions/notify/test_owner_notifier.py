"""The notifier's side of Rasa's external events: the request it sends, order per conversation,
and retry with backoff.

A small HTTP server stands in for Rasa's trigger_intent here, and for the action Rasa runs (it
records the saying as `action_deliver_notice` does), so failures can be injected: Rasa down,
a push that fails after the action said it, an action that says nothing, an action that refuses.
The real Rasa and action are exercised end to end in tests/e2e/test_calls.py and
tests/e2e/test_notices.py."""

from __future__ import annotations

import asyncio

from aiohttp import web

from actions.notify.owner_notifier import EXTERNAL_INTENT, OwnerNotifier
from actions.store.case_memory import CaseMemory
from actions.store.notices import REFUSED_PREFIX, Notice, NoticeOutbox
from tests.actions.store_fixtures import sqlite_url

TOKEN = "notifier-test-token-0123"


async def _fake_rasa(
    outbox: NoticeOutbox, fail_first: int = 0, behaviour: str = "say"
) -> tuple[web.AppRunner, str, list[dict]]:
    """`behaviour`: "say" (the action says it; the first `fail_first` answers are 500, as
    when the push to the owner's relay failed after the saying), "silent" (Rasa answers 200
    but the action said nothing) or "refuse" (the action found another conversation)."""
    seen: list[dict] = []

    async def trigger(request: web.Request) -> web.Response:
        body = await request.json()
        seen.append(
            {"conversation": request.match_info["conversation"], "query": dict(request.query)}
        )
        seen[-1]["body"] = body
        notice_id = int(body["entities"]["notice_id"])
        delivery = body["entities"]["notice_delivery"]
        if behaviour == "say":
            outbox.mark_said(notice_id, delivery)
        elif behaviour == "refuse":
            outbox.not_said(notice_id, delivery, f"{REFUSED_PREFIX} another conversation")
        if len(seen) <= fail_first:
            return web.json_response({"error": "push failed"}, status=500)
        return web.json_response({"tracker": {}})

    app = web.Application()
    app.router.add_post("/conversations/{conversation}/trigger_intent", trigger)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}", seen


async def _until(done, what: object, timeout_s: float = 20.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not done():
        assert asyncio.get_running_loop().time() < deadline, what
        await asyncio.sleep(0.05)  # polling interval, not synchronisation


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
        runner, url, seen = await _fake_rasa(outbox, fail_first=1)
        notifier = OwnerNotifier(outbox, url, TOKEN, lambda n: sent_kinds.append(n.kind))
        task = asyncio.ensure_future(notifier.run(idle_poll_s=0.05))
        try:
            # A notice is marked delivered before its on_sent hook runs: wait for both.
            await _until(
                lambda: len(sent_kinds) == 3 and all(n.status == "delivered" for n in outbox.all()),
                (outbox.all(), sent_kinds),
            )
        finally:
            task.cancel()
            await runner.cleanup()
        return seen

    seen = asyncio.run(scenario())
    assert seen[0]["conversation"] == "owner one"
    assert seen[0]["query"] == {
        "output_channel": "callback",
        "include_events": "NONE",
        "token": TOKEN,
    }
    assert seen[0]["body"]["name"] == EXTERNAL_INTENT
    # The first attempt was said but its push failed (500): not delivered, it was said again
    # by a second attempt with a delivery id of its own; order was kept.
    ids = [s["body"]["entities"]["notice_id"] for s in seen]
    first = str(outbox.all()[0].id)
    assert ids[0] == first and ids[1] == first and ids[1:] == sorted(ids[1:], key=int)
    assert outbox.all()[0].attempts == 2
    assert sent_kinds == ["call_position"] * 3


def _one_notice(tmp_path) -> NoticeOutbox:
    outbox = NoticeOutbox(CaseMemory(sqlite_url(tmp_path)).engine)
    outbox.enqueue(Notice("call_queued", {}, "CALL-1", dedupe_key="q"), "+15550100", "callback")
    return outbox


def _run_until(outbox: NoticeOutbox, behaviour: str, done) -> list[dict]:
    async def scenario() -> list[dict]:
        runner, url, seen = await _fake_rasa(outbox, behaviour=behaviour)
        task = asyncio.ensure_future(OwnerNotifier(outbox, url, TOKEN).run(idle_poll_s=0.05))
        try:
            await _until(lambda: done(outbox, seen), (outbox.all(), seen))
        finally:
            task.cancel()
            await runner.cleanup()
        return seen

    return asyncio.run(scenario())


def test_a_notice_rasa_took_but_nobody_said_is_not_delivered_and_is_retried(tmp_path, monkeypatch):
    monkeypatch.setattr("actions.notify.owner_notifier.BACKOFF_S", 0.01)
    outbox = _one_notice(tmp_path)
    seen = _run_until(outbox, "silent", lambda o, seen: len(seen) >= 3)
    deliveries = [s["body"]["entities"]["notice_delivery"] for s in seen]
    assert len(set(deliveries)) == len(deliveries)  # each retry is an attempt of its own
    [notice] = outbox.all()
    assert notice.status in ("pending", "sending") and notice.delivered_at is None
    assert "did not say it" in (notice.last_error or "")


def test_a_notice_for_another_conversation_fails_at_once_and_says_why(tmp_path):
    outbox = _one_notice(tmp_path)
    seen = _run_until(outbox, "refuse", lambda o, seen: o.all()[0].status == "failed")
    [notice] = outbox.all()
    assert len(seen) == 1 and notice.delivered_at is None
    assert notice.last_error == f"{REFUSED_PREFIX} another conversation"


def test_the_conversation_id_is_sent_encoded_exactly(tmp_path):
    outbox = _one_notice(tmp_path)
    seen = _run_until(outbox, "say", lambda o, seen: o.all()[0].status == "delivered")
    # aiohttp's router decodes the path: the id arrives as it was stored.
    assert seen[0]["conversation"] == "+15550100"
