"""`make run`: start the stack and keep it in the foreground until Ctrl-C.

State lives in var/run and survives restarts. The desk runs with SERVICE_DESK_SIM_CONTROL=1, so
simulated time can be moved by hand: curl -X POST localhost:8090/_sim/advance -d '{"seconds":900}'
"""

from __future__ import annotations

import signal
import sys
import threading

from launcher.processes import PROJECT_ROOT, ProcessFailed
from launcher.stack import Stack, StackConfig, StackError, keep_owner_token


def main() -> int:
    try:
        config = StackConfig.from_environment(PROJECT_ROOT / "var" / "run", sim_control=True)
    except StackError as err:
        print(f"run: {err}", file=sys.stderr)
        return 2
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    # Messages Stand-in pushes on its own (hold updates, "an agent is on the line") are printed
    # here: `make shell` talks over the REST channel, which cannot receive them.
    stack = Stack(
        config,
        on_push=lambda m: print(
            f"[to {m.get('recipient_id')}] Stand-in: {m.get('text')}", flush=True
        ),
    )
    # `make shell` is the owner's side too: it reads the token the channels will require.
    token_file = keep_owner_token(config.var_dir, config.owner_token)
    print("Starting Stand-in (logs in var/run/logs)...")
    try:
        stack.start()
    except (StackError, ProcessFailed) as err:
        print(f"run: {err}", file=sys.stderr)
        return 1
    print(
        f"Stand-in is running:\n"
        f"  Rasa server     {config.rasa_url}  (REST channel: /webhooks/rest/webhook, with\n"
        f"                  Authorization: Bearer <the owner token in {token_file}>)\n"
        f"  action server   {config.action_url}\n"
        f"  service desk    {config.desk_url}  (simulated time: POST /_sim/advance)\n"
        f"  owner inbox     {config.callback_url}  (Rasa's callback channel pushes here)\n"
        f"Talk to it with `make shell` in another terminal. Ctrl-C stops everything."
    )
    code = 0
    try:
        while not stop.wait(1.0):
            dead = [p.name for p in stack.processes if not p.is_running()]
            if dead:
                print(
                    f"run: {', '.join(dead)} stopped unexpectedly; see var/run/logs",
                    file=sys.stderr,
                )
                code = 1
                break
    finally:
        print("Stopping...")
        stack.stop()
    return code


if __name__ == "__main__":
    sys.exit(main())
