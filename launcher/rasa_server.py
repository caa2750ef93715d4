"""`rasa run` with its HTTP API enabled and protected by the token in RASA_AUTH_TOKEN.

The action server pushes hold updates through the API (`trigger_intent`), so the API is on;
the token comes from the environment and is handed to Rasa here, in-process, so that it never
appears on a command line (which every local user can read with `ps`).

Rasa listens on 127.0.0.1 unless `--interface` says otherwise (Rasa's own default is every
interface): its REST and callback channels take any sender id without asking who is writing,
so only an authenticating proxy, or a channel that checks its own credential, may face a network.
Usage: python -m launcher.rasa_server <rasa run arguments>
"""

from __future__ import annotations

import os
import sys

DEFAULT_INTERFACE = "127.0.0.1"


def _names_interface(arg: str) -> bool:
    """`-i`, `-i0.0.0.0`, `--interface`, `--interface=…` or an abbreviation argparse accepts."""
    if arg.startswith("-i"):
        return True
    option = arg.split("=", 1)[0]
    return len(option) > 4 and "--interface".startswith(option)


def rasa_arguments(given: list[str], token: str) -> list[str]:
    """`rasa run`'s arguments: what was given, loopback unless an interface was, and the API
    on with the token. Values go as `--option=value`, so a token that begins with `-` is
    still a value and never read as an option."""
    args = list(given)
    if not any(_names_interface(a) for a in args):
        args.append(f"--interface={DEFAULT_INTERFACE}")
    return [*args, "--enable-api", f"--auth-token={token}"]


def main() -> int:
    # Rasa's own log lines are masked as the action server's are (tokens, keys, identifiers).
    from logmask import install as install_log_masking

    install_log_masking()
    token = os.environ.get("RASA_AUTH_TOKEN", "").strip()
    if len(token) < 16:
        print(
            "rasa server: set RASA_AUTH_TOKEN (16 characters or more): the HTTP API is enabled"
            " and must be protected",
            file=sys.stderr,
        )
        return 2
    from rasa.__main__ import main as rasa_main

    from rasa_addons import conversation_ids

    # A correction, not a speed-up: on for every Rasa, the benchmark's stock one included.
    conversation_ids.apply()
    if os.environ.get("STANDIN_RASA_SPEEDUPS", "on") != "off":
        # Off only for the benchmark's stock Rasa, which must stay stock.
        from rasa_addons import speedups

        speedups.apply()

    sys.argv = ["rasa", "run", *rasa_arguments(sys.argv[1:], token)]
    rasa_main()
    return 0


if __name__ == "__main__":
    sys.exit(main())
