"""`make demo`: start the stack, run a scripted owner conversation, show the desk, stop.

Runs on a fresh SQLite desk and tracker under var/demo, so every run shows the same story.
Exits non-zero if the conversation did not leave the expected tickets at the desk.
"""

from __future__ import annotations

import os
import shutil
import sys
import textwrap
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from devicesim.scenarios import build
from devicesim.sender import desk_now, play
from launcher.conversation import http_json, say
from launcher.processes import PROJECT_ROOT, ProcessFailed
from launcher.stack import Stack, StackConfig, StackError, demo_keys

SENDER = "alex-demo"
# A step is what the owner says, ("advance", simulated seconds) at the desk, ("await", text):
# wait until Stand-in has pushed a message containing text (hold updates arrive on their own),
# or ("device", scenario): the device simulator plays that stream to the action server.
SCRIPT: list[str | tuple[str, int | str]] = [
    "hi",
    "my internet keeps dropping, can you report it to Nimbus?",
    "what's the status of my Nimbus ticket?",
    # Simulated time moves on at the desk: twenty minutes later the team has picked it up.
    ("advance", 20 * 60),
    "any news on my nimbus ticket",
    "the fridge is leaking",
    "the dishwasher is making a horrible noise",
    "HomeCare",
    "my water meter says 1250.7",
    "set my spending limit to 50 euros",
    # A phone call: Stand-in walks Nimbus's menu, holds, and hands over when a person answers.
    "call Nimbus about my bill",
    "no, keep holding",
    ("advance", 4 * 60),
    ("await", "now number 4"),
    "how long now?",
    ("advance", 8 * 60),
    ("await", "Take the call?"),
    "yes, put me through",
    "what happened with my Nimbus call?",
    # The machine notices first: the car reports a fault on its own; Stand-in opens the
    # ticket, orders the part within the limit and offers slots; the owner only picks the day.
    "enable automatic fault reports",
    ("device", "car_charging_port"),
    ("await", "These are the next free slots"),
    "the first one",
    "thanks!",
]
WIDTH = 100


PUSHED = "Stand-in*"


def _print_turn(who: str, text: str) -> None:
    label = f"{who:>9}: "
    body = textwrap.fill(text, WIDTH - len(label), subsequent_indent=" " * len(label))
    print(label + body)


@dataclass(frozen=True)
class Line:
    """One line of the conversation itself: `who` said `text` (no `who`: a narration) when
    `after` pushed messages had reached the owner."""

    who: str | None
    text: str
    after: int


def interleave(lines: list[Line], pushed: list[str]) -> list[tuple[str | None, str]]:
    """The transcript in the order things happened: each pushed message (in the order the owner
    inbox received them) before every line that happened after it arrived."""
    shown: list[tuple[str | None, str]] = []
    told = 0
    for line in lines:
        while told < min(line.after, len(pushed)):
            shown.append((PUSHED, pushed[told]))
            told += 1
        shown.append((line.who, line.text))
    shown += [(PUSHED, text) for text in pushed[told:]]
    return shown


class Transcript:
    """Prints the conversation as it goes, pushed messages interleaved by arrival. Pushed
    messages are printed from here, never from the inbox's thread, which would race the turns
    (the owner's answer printed above the question it answers)."""

    def __init__(self, pushed: Callable[[], list[str]]) -> None:
        self._pushed = pushed
        self._lines: list[Line] = []
        self._printed = 0

    def add(self, who: str | None, text: str) -> None:
        self._lines.append(Line(who, text, len(self._pushed())))
        self.flush()

    def flush(self) -> None:
        """Print whatever happened since the last flush: pushed messages and lines."""
        shown = interleave(self._lines, self._pushed())
        for who, text in shown[self._printed :]:
            if who is None:
                print(f"{'':>9}  ... {text} ...")
            else:
                _print_turn(who, text)
        self._printed = len(shown)


def _desk_get(stack: Stack, path: str, env_name: str) -> dict:
    key = os.environ.get(env_name) or demo_keys().get(env_name, "")
    _, body = http_json(
        "GET", f"{stack.config.desk_url}{path}", headers={"Authorization": f"Bearer {key}"}
    )
    return body if isinstance(body, dict) else {}


def _show_calls(stack: Stack) -> list[dict]:
    found = _desk_get(stack, "/v1/calls", "STANDIN_NIMBUS_TELECOM_API_KEY").get("calls", [])
    for c in found:
        transfer = (c.get("transfer") or {}).get("phone_number", "-")
        print(
            f"  {c['id']}  nimbus-telecom       state={c['state']:<12} queue={c['queue']}"
            f" keys={''.join(c['path'])} transferred to={transfer}"
        )
    return found


def _show_desk(stack: Stack) -> tuple[int, int, int]:
    """Print the tickets, readings, part orders and appointments now at the desk, read back
    through its API; return how many tickets, readings and appointments there are."""
    tickets = 0
    print("\nAt the service desk now (read back through its API):")
    for env_name, provider in (
        ("STANDIN_NIMBUS_TELECOM_API_KEY", "nimbus-telecom"),
        ("STANDIN_HOMECARE_APPLIANCES_API_KEY", "homecare-appliances"),
        ("STANDIN_VOLTRA_MOTORS_API_KEY", "voltra-motors"),
    ):
        for t in _desk_get(stack, "/v1/tickets", env_name).get("tickets", []):
            tickets += 1
            who = t.get("on_behalf_of", {}).get("name", "?")
            client = t.get("client", {})
            print(
                f"  {t['id']}  {provider:<20} status={t['status']:<12} category={t['category']:<9}"
                f" severity={t['severity']} device={t.get('device_id') or '-'}\n"
                f"      summary: {t['summary']}\n"
                f"      on behalf of: {who}; sent by: {client.get('software', client.get('kind'))}"
            )
    path = "/v1/meter-readings?meter_id=WM-3341"
    readings = _desk_get(stack, path, "STANDIN_AQUAFLOW_WATER_API_KEY").get("readings", [])
    for r in readings:
        print(
            f"  {r['id']}  aquaflow-water       meter={r['meter_id']}"
            f" value={r['value']} {r['unit']} (previous {r['previous_value']})"
        )
    voltra = "STANDIN_VOLTRA_MOTORS_API_KEY"
    for o in _desk_get(stack, "/v1/parts/orders", voltra).get("orders", []):
        print(
            f"  {o['id']}  voltra-motors        part={o['sku']} {o['total']:.2f} {o['currency']}"
            f" to {o['deliver_to_service_centre']}"
        )
    booked = _desk_get(stack, "/v1/appointments", voltra).get("appointments", [])
    for a in booked:
        print(
            f"  {a['id']}  voltra-motors        {a['start']} at {a['location']['id']}"
            f" for ticket {a.get('ticket_id') or '-'}"
        )
    return tickets, len(readings), len(booked)


def demo_start_time(now: datetime) -> str:
    """09:00 UTC on the latest weekday: the companies' lines are open and the owner's quiet
    hours are far off, so the scripted hold shows its updates whatever time the demo runs."""
    day = now
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day.strftime("%Y-%m-%dT09:00:00Z")


def main() -> int:
    var_dir = Path(os.environ.get("STANDIN_DEMO_DIR", str(PROJECT_ROOT / "var" / "demo")))
    shutil.rmtree(var_dir, ignore_errors=True)
    try:
        config = StackConfig.from_environment(var_dir, sim_control=True)
    except StackError as err:
        print(f"demo: {err}", file=sys.stderr)
        return 2
    if not config.desk_start_time:
        config.desk_start_time = demo_start_time(datetime.now(timezone.utc))
    # What the owner's devices report is told in the demo's conversation.
    config.extra_env.setdefault("STANDIN_OWNER_CONVERSATION", SENDER)
    print(f"Starting the service desk, the action server and Rasa (logs in {var_dir}/logs)...")
    started = time.monotonic()
    stack = Stack(config)
    calls: list[dict] = []
    transcript: Transcript | None = None
    try:
        stack.start()
        inbox = stack.inbox
        assert inbox is not None
        transcript = Transcript(lambda: inbox.texts(SENDER))
        print(f"Ready in {time.monotonic() - started:.0f}s.\n")
        print("Conversation (Rasa REST channel; pushed messages come by the callback channel):")
        for step in SCRIPT:
            if isinstance(step, tuple) and step[0] == "advance":
                seconds = int(step[1])
                # Said before the clock moves: what it brings is pushed after it.
                transcript.add(None, f"{seconds // 60} minutes pass at the service desk")
                http_json("POST", f"{config.desk_url}/_sim/advance", {"seconds": seconds})
                continue
            if isinstance(step, tuple) and step[0] == "device":
                events = build(str(step[1]), desk_now(config.desk_url))
                transcript.add(None, f"the car reports {len(events)} events on its own")
                play(config.action_url, events)
                continue
            if isinstance(step, tuple):
                fragment = str(step[1])
                inbox.wait_for(
                    lambda ms, f=fragment: any(f in (m.get("text") or "") for m in ms),
                    recipient=SENDER,
                    timeout_s=60,
                )
                transcript.flush()
                continue
            transcript.add("Owner", step)
            for reply in say(config.rasa_url, SENDER, step):
                transcript.add("Stand-in", reply)
        transcript.flush()
        tickets, readings, appointments = _show_desk(stack)
        calls = _show_calls(stack)
    except (StackError, ProcessFailed, RuntimeError, OSError, TimeoutError) as err:
        if transcript is not None:
            transcript.flush()  # what was pushed before it failed
        print(f"\ndemo failed: {err}", file=sys.stderr)
        return 1
    finally:
        stack.stop()
        print("\nStopped every process the demo started.")
    transferred = [c for c in calls if c["state"] in ("transferred", "ended")]
    found = (tickets, readings, len(transferred), appointments)
    if found != (4, 1, 1, 1):
        print(
            "demo failed: expected 4 tickets, 1 reading, 1 call put through and 1 appointment"
            f" at the desk, found {found}",
            file=sys.stderr,
        )
        return 1
    print(f"({PUSHED} marks messages Stand-in pushed on its own, through Rasa's external events.)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
