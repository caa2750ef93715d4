"""`rasa run` with its HTTP API enabled and protected by the token in RASA_AUTH_TOKEN.

The action server pushes hold updates through the API (`trigger_intent`), so the API is on;
the token comes from the environment and is handed to Rasa here, in-process, so that it never
appears on a command line (which every local user can read with `ps`).
Usage: python -m launcher.rasa_server <rasa run arguments>
"""

from __future__ import annotations

import os
import sys


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

    if os.environ.get("STANDIN_RASA_SPEEDUPS", "on") != "off":
        # Off only for the benchmark's stock Rasa, which must stay stock.
        from rasa_addons import speedups

        speedups.apply()

    sys.argv = ["rasa", "run", *sys.argv[1:], "--enable-api", "--auth-token", token]
    rasa_main()
    return 0


if __name__ == "__main__":
    sys.exit(main())
