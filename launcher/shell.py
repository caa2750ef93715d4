"""`make shell`: Rasa's own console client, talking to the Rasa server `make run` started."""

from __future__ import annotations

import asyncio
import os
import sys

from launcher.conversation import http_json
from launcher.processes import PROJECT_ROOT
from launcher.stack import OWNER_TOKEN_FILE


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

    token = os.environ.get("STANDIN_OWNER_TOKEN", "").strip()
    token_file = PROJECT_ROOT / "var" / "run" / OWNER_TOKEN_FILE
    if not token and token_file.exists():
        token = token_file.read_text().strip()
    if not token:
        print(
            f"shell: no owner token: set STANDIN_OWNER_TOKEN, or start the stack with"
            f" `make run`, which writes it to {token_file}",
            file=sys.stderr,
        )
        return 1
    sender = os.environ.get("STANDIN_SENDER", "owner")
    # Rasa's console client sends the token as `?token=`, which the rest channel accepts.
    asyncio.run(record_messages(sender, server_url=url, auth_token=token))
    return 0


if __name__ == "__main__":
    sys.exit(main())
