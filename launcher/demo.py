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
from pathlib import Path

from launcher.conversation import http_json, say
from launcher.processes import PROJECT_ROOT, ProcessFailed
from launcher.stack import Stack, StackConfig, StackError, demo_keys

SENDER = "alex-demo"
SCRIPT: list[str | tuple[str, int]] = [
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
    "thanks!",
]
WIDTH = 100


def _print_turn(who: str, text: str) -> None:
    label = f"{who:>9}: "
    body = textwrap.fill(text, WIDTH - len(label), subsequent_indent=" " * len(label))
    print(label + body)


def _desk_get(stack: Stack, path: str, env_name: str) -> dict:
    key = os.environ.get(env_name) or demo_keys().get(env_name, "")
    _, body = http_json(
        "GET", f"{stack.config.desk_url}{path}", headers={"Authorization": f"Bearer {key}"}
    )
    return body if isinstance(body, dict) else {}


def _show_desk(stack: Stack) -> tuple[int, int]:
    """Print the tickets and readings now at the desk, read back through its API."""
    tickets = 0
    print("\nAt the service desk now (read back through its API):")
    for env_name, provider in (
        ("STANDIN_NIMBUS_TELECOM_API_KEY", "nimbus-telecom"),
        ("STANDIN_HOMECARE_APPLIANCES_API_KEY", "homecare-appliances"),
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
    return tickets, len(readings)


def main() -> int:
    var_dir = Path(os.environ.get("STANDIN_DEMO_DIR", str(PROJECT_ROOT / "var" / "demo")))
    shutil.rmtree(var_dir, ignore_errors=True)
    try:
        config = StackConfig.from_environment(var_dir, sim_control=True)
    except StackError as err:
        print(f"demo: {err}", file=sys.stderr)
        return 2
    print(f"Starting the service desk, the action server and Rasa (logs in {var_dir}/logs)...")
    started = time.monotonic()
    stack = Stack(config)
    try:
        stack.start()
        print(f"Ready in {time.monotonic() - started:.0f}s.\n")
        print("Conversation (Rasa REST channel):")
        for step in SCRIPT:
            if isinstance(step, tuple):
                http_json("POST", f"{config.desk_url}/_sim/advance", {"seconds": step[1]})
                print(f"{'':>9}  ... {step[1] // 60} minutes pass at the service desk ...")
                continue
            _print_turn("Owner", step)
            for reply in say(config.rasa_url, SENDER, step):
                _print_turn("Stand-in", reply)
        tickets, readings = _show_desk(stack)
    except (StackError, ProcessFailed, RuntimeError, OSError) as err:
        print(f"\ndemo failed: {err}", file=sys.stderr)
        return 1
    finally:
        stack.stop()
        print("\nStopped every process the demo started.")
    if (tickets, readings) != (3, 1):
        print(
            f"demo failed: expected 3 tickets and 1 reading at the desk,"
            f" found {tickets} and {readings}",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
