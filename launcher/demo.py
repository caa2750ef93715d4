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
    "HomeCare",
    "thanks!",
]
WIDTH = 100


def _print_turn(who: str, text: str) -> None:
    label = f"{who:>9}: "
    body = textwrap.fill(text, WIDTH - len(label), subsequent_indent=" " * len(label))
    print(label + body)


def _show_desk(stack: Stack) -> int:
    """Print the tickets now at the desk, from the desk itself; return how many exist."""
    keys = demo_keys()
    total = 0
    print("\nAt the service desk now (read back through its API):")
    for env_name, provider in (
        ("STANDIN_NIMBUS_TELECOM_API_KEY", "nimbus-telecom"),
        ("STANDIN_HOMECARE_APPLIANCES_API_KEY", "homecare-appliances"),
    ):
        key = os.environ.get(env_name) or keys.get(env_name, "")
        status, body = http_json(
            "GET", f"{stack.config.desk_url}/v1/tickets", headers={"Authorization": f"Bearer {key}"}
        )
        tickets = body.get("tickets", []) if isinstance(body, dict) else (body or [])
        for t in tickets:
            total += 1
            who = t.get("on_behalf_of", {}).get("name", "?")
            client = t.get("client", {})
            print(
                f"  {t['id']}  {provider:<20} status={t['status']:<12} category={t['category']:<9}"
                f" severity={t['severity']}\n"
                f"      summary: {t['summary']}\n"
                f"      on behalf of: {who}; sent by: {client.get('software', client.get('kind'))}"
            )
    return total


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
        tickets = _show_desk(stack)
    except (StackError, ProcessFailed, RuntimeError, OSError) as err:
        print(f"\ndemo failed: {err}", file=sys.stderr)
        return 1
    finally:
        stack.stop()
        print("\nStopped every process the demo started.")
    if tickets < 2:
        print(f"demo failed: expected 2 tickets at the desk, found {tickets}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
