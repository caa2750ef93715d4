"""create_app(settings) -> Sanic: wires the desk, the routes, the error handler and the loops."""

from __future__ import annotations

import itertools
import logging
from pathlib import Path

from sanic import Request, Sanic
from sanic.response import HTTPResponse

from . import routes  # noqa: F401  (registers every route in route_table.ROUTES)
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
    if settings.check_responses:
        _check_responses(app, Path(settings.check_responses))

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


def _check_responses(app: Sanic, out_path: Path) -> None:
    """Hold every answer of a documented operation to /openapi.json (tests set this)."""
    from .openapi import build_openapi
    from .response_check import ResponseChecker

    checker = ResponseChecker(build_openapi(), out_path)
    log.info("every answer is checked against /openapi.json; mismatches go to %s", out_path)

    @app.on_response
    async def _check(request: Request, response: HTTPResponse) -> None:
        # Set by api._endpoint: unknown paths and methods are no documented operation.
        spec = getattr(request.ctx, "route_spec", None)
        if spec is None:
            return
        try:
            checker.check(
                spec.method,
                spec.path,
                request.path,
                response.status,
                response.content_type,
                response.body or b"",
            )
        except Exception:  # the check never changes the answer, whatever goes wrong in it
            log.exception("could not check the answer to %s %s", request.method, request.path)
