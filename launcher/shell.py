"""`make shell`: Rasa's own console client, talking to the Rasa server `make run` started."""

from __future__ import annotations

import asyncio
import os
import sys

from launcher.conversation import http_json


def main() -> int:
    url = f"http://127.0.0.1:{os.environ.get('RASA_PORT', '5005')}"
    try:
        status, _ = http_json("GET", url + "/", timeout_s=3)
    except OSError:
        status = 0
    if status != 200:
        print(
            f"shell: no Rasa server at {url}. Start the stack with `make run` first.",
            file=sys.stderr,
        )
        return 1
    from rasa.core.channels.console import record_messages

    sender = os.environ.get("STANDIN_SENDER", "owner")
    asyncio.run(record_messages(sender, server_url=url))
    return 0


if __name__ == "__main__":
    sys.exit(main())
