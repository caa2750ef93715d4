"""The action server's entry point: `python -m actions.server`.

It is Rasa SDK's own app (`rasa_sdk.endpoint.create_app`) with what Stand-in adds to the same
process: the configuration checked before it listens, and the desk client's connections closed
when it stops. Later routes of the same process (provider webhooks, telemetry) attach here.
"""

from __future__ import annotations

import logging
import os
import sys

from rasa_sdk.endpoint import create_app
from sanic import Sanic

from actions.errors import ConfigError
from actions.runtime import services

logger = logging.getLogger(__name__)


def build_app() -> Sanic:
    app = create_app("actions", cors_origins=None)

    @app.after_server_stop
    async def close_desk_client(_app: Sanic, _loop: object) -> None:
        if services.cache_info().currsize:
            await services().desk.close()

    return app


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    try:
        # Fail before listening: a bad profile or setting should stop the server, not a turn.
        svc = services()
        for account in svc.profile.accounts:
            svc.profile.api_key(account)
    except ConfigError as err:
        print(f"action server: {err}", file=sys.stderr)
        return 2
    raw_port = os.environ.get("ACTION_SERVER_PORT", "5055")
    if not raw_port.isdigit():
        print(f"action server: ACTION_SERVER_PORT={raw_port!r} is not a port", file=sys.stderr)
        return 2
    host = os.environ.get("ACTION_SERVER_HOST", "127.0.0.1")
    logger.info("action server listening on http://%s:%s", host, raw_port)
    build_app().run(host, int(raw_port), workers=1, access_log=False, motd=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
