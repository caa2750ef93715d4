"""Phone calls end to end: the owner's words over Rasa's REST channel, the real action server
walking the real desk's phone menu and following the hold through webhooks, and everything
Stand-in pushes arriving at the owner inbox that Rasa's callback channel posts to.

Simulated time moves with /_sim/advance; every wait is on a condition with a timeout.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from sqlalchemy import create_engine, text

from actions.providers.webhooks import provider_secret, sign
from launcher.conversation import say
from launcher.stack import Stack, demo_keys
from tests.conftest import DeskProcess, wait_until

NIMBUS, VOLTRA, BRIGHTGRID = "sk-nimbus-demo", "sk-voltra-demo", "sk-brightgrid-demo"
ANSWER_TIMEOUT_S = 8  # the e2e stack's STANDIN_ANSWER_TIMEOUT_S (tests/e2e/conftest.py)


def sender() -> str:
    return f"e2e-call-{uuid.uuid4().hex[:8]}"


def calls(desk: DeskProcess, key: str) -> list[dict[str, Any]]:
    status, _, body = desk.get("/v1/calls", key=key)
    assert status == 200, body
    return body["calls"]


def only_call(desk: DeskProcess, key: str) -> dict[str, Any]:
    [call] = calls(desk, key)
    return call


def stored(stack: Stack, call_id: str) -> dict[str, Any] | None:
    """Stand-in's own row for the call, read from its store."""
    engine = create_engine(f"sqlite:///{stack.config.var_dir / 'standin.sqlite3'}")
    try:
        with engine.connect() as conn:
            row = conn.execute(
                text("SELECT state, position, handoff, outcome FROM calls WHERE call_id = :c"),
                {"c": call_id},
            )
            found = row.mappings().first()
            return dict(found) if found else None
    finally:
        engine.dispose()


def pushed(stack: Stack, who: str) -> list[str]:
    assert stack.inbox is not None
    return stack.inbox.texts(who)


def wait_pushed(stack: Stack, who: str, fragment: str, count: int = 1, timeout_s: float = 30):
    assert stack.inbox is not None
    return stack.inbox.wait_for(
        lambda ms: sum(fragment in (m.get("text") or "") for m in ms) >= count,
        recipient=who,
        timeout_s=timeout_s,
    )


def test_menu_navigation_reaches_the_right_queue(stack, call_desk):
    desk = call_desk
    who = sender()
    replies = say(stack.config.rasa_url, who, "call Nimbus, my internet keeps dropping")
    shown = " ".join(replies)
    assert "pressed 2 (Technical support), 1 (Internet)" in shown, replies
    assert "number 6" in shown and "12 min" in shown, replies
    call = only_call(desk, NIMBUS)
    assert call["state"] == "queued" and call["queue"] == "tech_internet", call
    assert call["path"] == ["2", "1"] and call["wrong_attempts"] == 0
    assert call["client"]["kind"] == "machine" and call["client"]["software"].startswith(
        "Stand-in/"
    )

    who = sender()
    replies = say(stack.config.rasa_url, who, "call voltra about a part for my car")
    assert "pressed 3 (Parts)" in " ".join(replies), replies
    assert only_call(desk, VOLTRA)["queue"] == "parts"


def test_position_updates_only_on_real_change(stack, call_desk):
    desk = call_desk
    who = sender()
    say(stack.config.rasa_url, who, "call Nimbus about my bill")
    call = only_call(desk, NIMBUS)
    assert call["queue"] == "billing" and call["position"] == 6
    # Nimbus moves one place every 120 simulated seconds. Told at 6 (12 min): 5 (10 min) is
    # no news, 4 (8 min) is, 3 is not, 2 is, 1 (halved) is.
    expected = {5: False, 4: True, 3: False, 2: True, 1: True}
    for position, news in expected.items():
        desk.advance(120)
        wait_until(
            lambda p=position: (stored(stack, call["id"]) or {}).get("position") == p,
            timeout_s=20,
            what=f"position {position} applied from the webhook",
        )
        if news:
            wait_pushed(stack, who, f"now number {position},")
    replies = say(stack.config.rasa_url, who, "how long now?")
    assert "number 1 in Nimbus Telecom's queue" in " ".join(replies), replies
    updates = [t for t in pushed(stack, who) if "Still holding" in t]
    assert [int(t.split("now number ")[1].split(",")[0]) for t in updates] == [4, 2, 1]


def test_callback_chosen_then_the_callback_is_put_through(stack, call_desk):
    desk = call_desk
    who = sender()
    replies = say(stack.config.rasa_url, who, "wait on hold with Nimbus for me about my bill")
    assert any("call you back instead" in r for r in replies), replies  # 12 min > 10 min
    replies = say(stack.config.rasa_url, who, "yes")
    assert any("they'll call you back around" in r for r in replies), replies
    call = only_call(desk, NIMBUS)
    assert call["state"] == "callback_scheduled", call
    assert call["callback"]["phone_number"] == "+15550100"
    # Lisbon's quiet hours start at 22:00 (UTC in November): the window ends before them.
    assert call["callback"]["not_after"].startswith("2026-11-23T22:00"), call["callback"]

    desk.advance(13 * 60)  # the callback falls due: the company calls back
    wait_pushed(stack, who, "Nimbus Telecom is calling back")
    replies = say(stack.config.rasa_url, who, "yes, put me through")
    assert any("through to your phone" in r for r in replies), replies
    call = only_call(desk, NIMBUS)
    assert call["state"] == "transferred" and call["transfer"]["phone_number"] == "+15550100"


def test_agent_connected_transferred_on_yes(stack, call_desk):
    desk = call_desk
    who = sender()
    replies = say(stack.config.rasa_url, who, "get me someone at Voltra about the charging port")
    assert not any("call you back instead" in r for r in replies), replies  # 4 min wait
    call = only_call(desk, VOLTRA)
    assert desk.post(f"/_sim/calls/{call['id']}/connect")[0] == 200
    [question] = wait_pushed(stack, who, "on the line now. Take the call?")
    assert "Voltra Motors" in question["text"]
    replies = say(stack.config.rasa_url, who, "yes")
    assert any("Putting Voltra Motors through to your phone" in r for r in replies), replies
    call = only_call(desk, VOLTRA)
    assert call["state"] == "transferred" and call["transfer"]["phone_number"] == "+15550100"
    # A late "yes" changes nothing: the handoff was taken once.
    replies = say(stack.config.rasa_url, who, "yes")
    assert only_call(desk, VOLTRA)["state"] == "transferred"

    replies = say(stack.config.rasa_url, who, "what happened with my Voltra call?")
    shown = "\n".join(replies)
    for fragment in ("I dialled Voltra Motors", "pressed 2", "picked up", "You took the call"):
        assert fragment in shown, replies


def test_no_answer_means_a_callback_where_offered_else_a_polite_hang_up(stack, call_desk):
    desk = call_desk
    who = sender()
    say(stack.config.rasa_url, who, "call voltra about the charging port")
    call = only_call(desk, VOLTRA)
    connected_at = time.monotonic()
    desk.post(f"/_sim/calls/{call['id']}/connect")
    wait_pushed(stack, who, "Take the call?")
    wait_pushed(stack, who, f"didn't answer within {ANSWER_TIMEOUT_S} seconds, so I asked")
    assert time.monotonic() - connected_at >= ANSWER_TIMEOUT_S
    assert only_call(desk, VOLTRA)["state"] == "callback_scheduled"
    assert (stored(stack, call["id"]) or {})["handoff"] == "timed_out"

    who = sender()
    say(stack.config.rasa_url, who, "call brightgrid about my bill")
    call = only_call(desk, BRIGHTGRID)
    desk.post(f"/_sim/calls/{call['id']}/connect")
    wait_pushed(stack, who, "doesn't offer callbacks, so I thanked the agent and hung up")
    call = only_call(desk, BRIGHTGRID)
    assert call["state"] == "ended" and call["ended_reason"] == "customer_hangup"


def test_no_answer_on_a_company_the_owner_holds_leaves_the_agent_on_the_line(stack, call_desk):
    desk = call_desk
    who = sender()
    say(stack.config.rasa_url, who, "call voltra about the charging port")
    call = only_call(desk, VOLTRA)
    replies = say(stack.config.rasa_url, who, "let me talk to Voltra myself")
    assert any("Voltra Motors is yours" in r for r in replies), replies
    desk.post(f"/_sim/calls/{call['id']}/connect")
    wait_pushed(stack, who, "Take the call?")
    wait_pushed(stack, who, "so I've said nothing to them: the agent is still on the line")
    # Nothing went to Voltra: no callback asked for, no hang-up.
    call = only_call(desk, VOLTRA)
    assert call["state"] == "agent_connected" and call["callback"] is None, call
    assert (stored(stack, call["id"]) or {})["handoff"] == "timed_out"


def test_a_no_on_a_company_the_owner_holds_sends_it_nothing(stack, call_desk):
    """The owner took Voltra over, then says no to "take the call?": Stand-in neither asks
    Voltra for a callback nor hangs up on its agent."""
    desk = call_desk
    who = sender()
    say(stack.config.rasa_url, who, "call voltra about the charging port")
    call = only_call(desk, VOLTRA)
    say(stack.config.rasa_url, who, "let me talk to Voltra myself")
    desk.post(f"/_sim/calls/{call['id']}/connect")
    wait_pushed(stack, who, "Take the call?")
    replies = say(stack.config.rasa_url, who, "no")
    assert any("handling Voltra Motors yourself" in r for r in replies), replies
    call = only_call(desk, VOLTRA)
    assert call["state"] == "agent_connected" and call["callback"] is None, call


def test_owner_hangs_up_mid_hold(stack, call_desk):
    desk = call_desk
    who = sender()
    say(stack.config.rasa_url, who, "call nimbus about my bill")
    replies = say(stack.config.rasa_url, who, "hang up, I'll stop waiting")
    assert any("I've hung up on Nimbus Telecom" in r for r in replies), replies
    call = only_call(desk, NIMBUS)
    assert call["state"] == "ended" and call["ended_reason"] == "customer_hangup"
    desk.advance(600)
    replies = say(stack.config.rasa_url, who, "how long now?")
    assert any("not on any call" in r for r in replies), replies
    assert not [t for t in pushed(stack, who) if "Still holding" in t or "ended" in t]


def test_provider_ends_the_call(stack, call_desk):
    desk = call_desk
    who = sender()
    say(stack.config.rasa_url, who, "call aquaflow about a leak")
    [call] = calls(desk, "sk-aquaflow-demo")
    assert call["queue"] == "leaks"
    assert desk.post(f"/_sim/calls/{call['id']}/end")[0] == 200
    wait_pushed(stack, who, "AquaFlow Water ended the call before anyone helped")
    assert (stored(stack, call["id"]) or {})["outcome"] == "ended_by_provider"


def test_wrong_turns(stack, call_desk):
    desk = call_desk
    # One misheard key: retried once on the next-best option (none fits "bill" but billing),
    # so the operator.
    desk.post("/_sim/ivr", {"provider": "nimbus-telecom", "misheard_digits": 1})
    who = sender()
    replies = say(stack.config.rasa_url, who, "call Nimbus about my bill")
    assert "pressed 1 (Billing), 0 (Operator)" in " ".join(replies), replies
    call = only_call(desk, NIMBUS)
    assert call["state"] == "queued" and call["queue"] == "operator"

    # Three: the third wrong key ends the call, and the owner hears it did not get through.
    desk.reset()
    desk.post("/_sim/ivr", {"provider": "nimbus-telecom", "misheard_digits": 3})
    who = sender()
    replies = say(stack.config.rasa_url, who, "call Nimbus about my bill")
    assert any("phone menu wouldn't let me through" in r for r in replies), replies
    call = only_call(desk, NIMBUS)
    assert call["state"] == "ended" and call["ended_reason"] == "invalid_input"
    assert call["wrong_attempts"] == 3
    replies = say(stack.config.rasa_url, who, "what happened with my nimbus call")
    assert sum("didn't take that key" in r for r in replies) == 3, replies


def test_duplicate_and_out_of_order_webhooks_change_nothing(stack, call_desk):
    desk = call_desk
    who = sender()
    say(stack.config.rasa_url, who, "call voltra about the charging port")
    call = only_call(desk, VOLTRA)
    desk.post(f"/_sim/calls/{call['id']}/connect")
    wait_pushed(stack, who, "Take the call?")
    status, _, events = desk.get("/_sim/events")
    connected = next(e for e in events["events"] if e["type"] == "call.agent_connected")
    queued = next(e for e in events["events"] if e["type"] == "call.queued")
    secret = provider_secret(demo_keys()["STANDIN_WEBHOOK_SECRET"], "voltra-motors")
    url = f"{stack.config.action_url}/webhooks/servicedesk/voltra-motors"
    for event in (connected, queued, {**queued, "id": "EVT-replayed-older"}):
        body = json.dumps(event).encode()
        status, _, answer = DeskProcess.attach(url).request(
            "POST",
            "",
            data=body,
            headers={"X-ServiceDesk-Signature": sign(secret, body, int(time.time()))},
        )
        assert status == 200 and answer["status"] in ("duplicate", "stale"), answer
    assert (stored(stack, call["id"]) or {})["state"] == "agent_connected"
    replies = say(stack.config.rasa_url, who, "yes")
    assert any("through to your phone" in r for r in replies), replies
    assert sum("Take the call?" in t for t in pushed(stack, who)) == 1


def test_restart_of_the_action_server_mid_hold_still_delivers_the_pickup(stack, call_desk):
    desk = call_desk
    who = sender()
    say(stack.config.rasa_url, who, "call voltra about the charging port")
    call = only_call(desk, VOLTRA)
    assert stack.actions is not None
    stack.actions.stop()
    desk.post(f"/_sim/calls/{call['id']}/connect")  # its webhook finds nobody listening
    stack.actions.start()
    stack.actions.wait_for_http(f"{stack.config.action_url}/health", timeout_s=90)
    wait_pushed(stack, who, "on the line now. Take the call?", timeout_s=60)
    replies = say(stack.config.rasa_url, who, "yes")
    assert any("through to your phone" in r for r in replies), replies
    assert only_call(desk, VOLTRA)["state"] == "transferred"


def test_rasa_api_needs_the_token(stack, call_desk):
    url = f"{stack.config.rasa_url}/conversations/e2e-token/trigger_intent"
    body = {"name": "EXTERNAL_notice", "entities": {"notice_id": "1"}}
    for query in ("", "?token=wrong-token-wrong-token"):
        status, _, _ = DeskProcess.attach(url + query).request("POST", "", json=body)
        assert status == 401, query


def test_a_restart_of_rasa_mid_hold_delays_the_pickup_but_loses_nothing(stack, call_desk):
    desk = call_desk
    who = sender()
    say(stack.config.rasa_url, who, "call voltra about the charging port")
    call = only_call(desk, VOLTRA)
    assert stack.rasa is not None
    stack.rasa.stop()
    desk.post(f"/_sim/calls/{call['id']}/connect")  # the notice cannot be delivered yet
    wait_until(
        lambda: (stored(stack, call["id"]) or {}).get("handoff") == "waiting",
        timeout_s=20,
        what="the pickup recorded while Rasa is down",
    )
    stack.rasa.start()
    stack.rasa.wait_for_http(f"{stack.config.rasa_url}/", timeout_s=240)
    wait_pushed(stack, who, "on the line now. Take the call?", timeout_s=60)
    replies = say(stack.config.rasa_url, who, "yes")
    assert any("through to your phone" in r for r in replies), replies
    assert only_call(desk, VOLTRA)["state"] == "transferred"
