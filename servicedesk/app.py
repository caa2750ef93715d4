"""create_app(settings) -> Sanic: wires the desk, the routes, the error handler and the loops."""

from __future__ import annotations

import itertools
import logging

from sanic import Sanic

from . import routes  # noqa: F401  (registers every route in api.ROUTES)
from .api import install
from .config import Settings
from .desk import Desk
from .errors import handle_exception

log = logging.getLogger("servicedesk")
_app_numbers = itertools.count(1)


def create_app(settings: Settings) -> Sanic:
    # Sanic 21.12 keeps a registry of app names per process: each app needs its own.
    app = Sanic(f"servicedesk_{next(_app_numbers)}")
    # An injected timeout must be able to stall longer than Sanic's own response timeout.
    app.config.RESPONSE_TIMEOUT = max(60.0, settings.timeout_fault_s + 30.0)
    app.config.FALLBACK_ERROR_FORMAT = "json"
    desk = Desk(settings)
    app.ctx.desk = desk
    install(app)
    app.error_handler.add(Exception, handle_exception)

    @app.after_server_start
    async def _start(app: Sanic, loop: object) -> None:
        desk.start_background()
        log.info(
            "service desk ready on %s:%s (db %s, sim time %s, sim control %s)",
            settings.host,
            settings.port,
            settings.db_path,
            desk.iso_now(),
            "on" if settings.sim_control else "off",
        )

    @app.before_server_stop
    async def _stop(app: Sanic, loop: object) -> None:
        await desk.stop_background()

    @app.after_server_stop
    async def _close(app: Sanic, loop: object) -> None:
        desk.close()

    return app
