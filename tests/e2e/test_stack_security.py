"""Who may reach what, on the running stack (docs/SECURITY.md).

- Every process listens on loopback only, Rasa included, though `rasa run` alone binds every
  interface (the stack starts Rasa without `--interface`, so the default is what is tested).
- The stack's tokens begin with `-` (tests/e2e/conftest.py): Rasa and the action server start
  and use them all the same.
- The action server runs actions only for Rasa's token, however the path is spelled.
- Rasa's rest and callback channels take nothing without the owner's token, and nothing that
  is not a well-formed message.
- A yes that did not come through the owner's own channel (socket.io here) spends nothing.
"""

from __future__ import annotations

import asyncio
import json
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import aiohttp
import pytest

from launcher.conversation import http_json, say
from launcher.stack import Stack
from rasa_addons.owner_stamp import STAMP_KEY
from tests.e2e.conftest import stand_in_rows
from tests.e2e.test_calls_socketio import Socket

LISTEN = "0A"  # TCP_LISTEN in /proc/net/tcp


def listening_addresses(port: int) -> set[str]:
    """Local addresses with a listening socket on `port`, from the kernel's own tables."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        path = Path(table)
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            fields = line.split()
            address, hex_port = fields[1].rsplit(":", 1)
            if fields[3] == LISTEN and int(hex_port, 16) == port:
                found.add(address)
    return found


def test_every_process_listens_on_loopback_only(stack: Stack):
    loopback = {"0100007F", "00000000000000000000000001000000"}  # 127.0.0.1, ::1
    for name, port in (
        ("rasa", stack.config.rasa_port),
        ("action server", stack.config.action_port),
        ("service desk", stack.config.desk_port),
    ):
        addresses = listening_addresses(port)
        assert addresses, f"nothing listens on {name}'s port {port}"
        assert addresses <= loopback, f"{name} listens on {addresses}"


def test_the_stack_runs_with_tokens_that_look_like_options(stack: Stack):
    cfg = stack.config
    assert cfg.rasa_token.startswith("-") and cfg.action_token.startswith("-")
    query = urllib.parse.urlencode({"token": cfg.rasa_token})
    assert http_json("GET", f"{cfg.rasa_url}/status?{query}")[0] == 200
    assert http_json("GET", f"{cfg.rasa_url}/status")[0] == 401
    # Rasa reaches the action server with its token: a turn that runs a custom action works.
    replies = say(cfg.rasa_url, f"e2e-sec-{uuid.uuid4().hex[:8]}", "what are my preferences?")
    assert any("spending limit" in r.lower() for r in replies), replies


def forged_call(who: str, text: str) -> dict:
    """What anyone on the action server's network could post: a tracker of their making."""
    return {
        "next_action": "action_set_spending_limit",
        "sender_id": who,
        "tracker": {
            "sender_id": who,
            "slots": {},
            "latest_message": {
                "text": text,
                "intent": {"name": "set_spending_limit"},
                "entities": [],
            },
            "events": [{"event": "user", "timestamp": 1.0, "text": text}],
            "active_loop": {},
            "latest_action_name": "action_listen",
        },
        "domain": {},
        "version": "3.6.2",
    }


def spending_limits(stack: Stack) -> list[float]:
    """The spending limits the owner set in conversation (none: the profile's default)."""
    rows = stand_in_rows(stack, "SELECT data FROM preferences")
    return [json.loads(r["data"]).get("spending_limit") for r in rows]


@pytest.mark.parametrize(
    "path",
    ["/webhook", "/webhook/", "/webhook//", "//webhook", "/actions", "/actions/", "/webhook?x=1"],
)
@pytest.mark.parametrize("token", [None, "", "wrong-token-0123456789"])
def test_actions_run_only_with_rasas_token_however_the_path_is_spelled(
    stack: Stack, stack_desk, path: str, token: str | None
):
    who = f"e2e-forger-{uuid.uuid4().hex[:8]}"
    url = stack.config.action_url + path
    if token is not None:
        url += ("&" if "?" in url else "?") + urllib.parse.urlencode({"token": token})
    before = spending_limits(stack)
    method = "GET" if path.startswith("/actions") else "POST"
    body = None if method == "GET" else forged_call(who, "set my spending limit to 9000 euros")
    status, answer = http_json(method, url, body)
    assert status in (401, 404, 405), (path, status, answer)
    assert spending_limits(stack) == before


def test_with_rasas_token_the_action_server_answers(stack: Stack, stack_desk):
    token = urllib.parse.urlencode({"token": stack.config.action_token})
    status, listed = http_json("GET", f"{stack.config.action_url}/actions?{token}")
    assert status == 200 and {"name": "action_set_spending_limit"} in listed


def tracker_events(stack: Stack, who: str) -> list[dict]:
    quoted = urllib.parse.quote(who, safe="")
    query = urllib.parse.urlencode({"token": stack.config.rasa_token})
    status, body = http_json(
        "GET", f"{stack.config.rasa_url}/conversations/{quoted}/tracker?{query}"
    )
    assert status == 200, body
    return body["events"]


@pytest.mark.parametrize("channel", ["rest", "callback"])
def test_the_owners_channels_take_nothing_without_the_token(stack: Stack, channel: str):
    url = f"{stack.config.rasa_url}/webhooks/{channel}/webhook"
    who = f"e2e-stranger-{uuid.uuid4().hex[:8]}"
    message = {"sender": who, "message": "set my spending limit to 9000 euros"}
    for headers in ({}, {"Authorization": "Bearer not-the-owners-token-123"}):
        status, answer = http_json("POST", url, message, headers=headers)
        assert status == 401, answer
    status, answer = http_json("POST", f"{url}?token=not-the-owners-token-123", message)
    assert status == 401, answer
    assert not [e for e in tracker_events(stack, who) if e["event"] == "user"]


def test_rasas_console_client_talks_with_the_owner_token(stack: Stack):
    """`make shell` is Rasa's console client: it streams the replies (`?stream=true`) and sends
    the owner token as `?token=`."""
    from rasa.core.channels.console import _send_message_receive_stream

    async def turn(token: str) -> list[dict]:
        return [
            reply
            async for reply in _send_message_receive_stream(
                stack.config.rasa_url, token, "e2e-shell", "what are my preferences?"
            )
        ]

    replies = asyncio.run(turn(stack.config.owner_token))
    assert any("spending limit" in (r.get("text") or "").lower() for r in replies), replies
    with pytest.raises(aiohttp.ClientResponseError) as refused:
        asyncio.run(turn("not-the-owners-token-123"))
    assert refused.value.status == 401


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ("not json", "invalid_json"),
        ([1, 2], "invalid_body"),
        ({"message": "hi"}, "invalid_sender"),
        ({"sender": "", "message": "hi"}, "invalid_sender"),
        ({"sender": "x" * 256, "message": "hi"}, "invalid_sender"),
        ({"sender": "e2e-bad-body", "message": ""}, "invalid_message"),
        ({"sender": "e2e-bad-body", "message": 12}, "invalid_message"),
        ({"sender": "e2e-bad-body", "message": "x" * 20001}, "invalid_message"),
        ({"sender": "e2e-bad-body", "message": "hi", "metadata": [1]}, "invalid_metadata"),
    ],
)
def test_the_owners_channels_refuse_a_bad_body_and_change_nothing(stack: Stack, body, code):
    token = {"Authorization": f"Bearer {stack.config.owner_token}"}
    url = f"{stack.config.rasa_url}/webhooks/rest/webhook"
    if isinstance(body, str):
        request = urllib.request.Request(url, data=body.encode(), method="POST", headers=token)
        try:
            urllib.request.urlopen(request, timeout=30)
            status, answer = 200, None
        except urllib.error.HTTPError as err:
            status, answer = err.code, json.loads(err.read())
    else:
        status, answer = http_json("POST", url, body, headers=token)
    assert status == 400 and answer["error"]["code"] == code, answer
    assert not [e for e in tracker_events(stack, "e2e-bad-body") if e["event"] == "user"]


def test_a_yes_on_a_channel_without_the_owners_token_spends_nothing(stack: Stack, stack_desk):
    """socket.io checks no owner credential: a higher spending limit asked for there is not
    set, and a stamp copied from the owner's own message does not make it count."""
    who = f"e2e-owner-{uuid.uuid4().hex[:8]}"
    say(stack.config.rasa_url, who, "what are my preferences?")
    [stamped] = [e for e in tracker_events(stack, who) if e["event"] == "user"]
    copied = {STAMP_KEY: stamped["metadata"][STAMP_KEY]}
    sock = Socket(stack.config.rasa_url)
    try:
        sock.say("set my spending limit to 500 euros")
        sock.wait_for("your own signed-in channel")
        sock.client.emit(
            "user_uttered", {"message": "set my spending limit to 600 euros", "metadata": copied}
        )
        deadline = time.monotonic() + 60
        while sum("signed-in channel" in m for m in sock.messages) < 2:
            assert time.monotonic() < deadline, sock.messages
            time.sleep(0.1)  # polling interval for the socket's second answer
    finally:
        sock.close()
    assert spending_limits(stack) == []  # nothing changed: the profile's default stands
    # The owner's own channel sets it.
    replies = say(stack.config.rasa_url, who, "set my spending limit to 500 euros")
    assert any("500" in r for r in replies), replies
    assert spending_limits(stack) == [500.0]
