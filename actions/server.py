"""The action server's entry point: `python -m actions.server`.

It is Rasa SDK's own app (`rasa_sdk.endpoint.create_app`) with what Stand-in adds to the same
process: the configuration checked (and the store migrated) before it listens, the provider
webhook receiver, the background task that keeps the webhook subscriptions in place, and the
desk client's connections closed when it stops.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import os
import sys

from rasa_sdk.endpoint import create_app
from sanic import Sanic
from sanic.request import Request
from sanic.response import HTTPResponse, json
from sqlalchemy.exc import SQLAlchemyError

from actions.calls.hold_monitor import HoldMonitor
from actions.core.errors import ConfigError
from actions.devices.worker import DeviceWorker
from actions.notify.owner_notifier import OwnerNotifier
from actions.providers.subscriptions import stay_subscribed
from actions.providers.webhooks import SIGNATURE_HEADER, error
from actions.runtime import services
from actions.store.provider_events import receive

logger = logging.getLogger(__name__)

WEBHOOK_ROUTE = "/webhooks/servicedesk/<provider_id:str>"
TELEMETRY_ROUTE = "/telemetry/<device_id:str>"
# Routes anyone may call, by handler name: each checks a credential of its own (the provider's
# HMAC, the device's token) or tells nothing. Every other route, rasa_sdk's `/webhook` and
# `/actions` included, needs Rasa's token. Judged on the route Sanic matched, not on the raw
# path: Sanic also routes `/webhook/` (strict_slashes is off) and any later spelling.
OPEN_ROUTES = frozenset({"health", "provider_webhook", "telemetry"})


def route_name(request: Request) -> str | None:
    """The matched route's handler name ("webhook"), or None when nothing matched."""
    route = getattr(request, "route", None)
    if route is None:
        return None
    return str(route.name).rsplit(".", 1)[-1]


async def provider_webhook(request: Request, provider_id: str) -> HTTPResponse:
    """A provider's event delivery; see actions.store.provider_events.receive."""
    try:
        svc = services()
        status, body = await asyncio.to_thread(
            receive,
            svc.memory,
            svc.settings.webhook_secret,
            provider_id,
            [a.provider for a in svc.profile.accounts],
            request.body or b"",
            request.headers.get(SIGNATURE_HEADER),
            svc.calls,
            svc.feedback.case_changed,
        )
    except Exception:
        # Never a 500: the provider retries a 503, and the traceback is in the log.
        logger.exception("webhook delivery for %s failed", provider_id)
        status, body = error(503, "unavailable", "the event could not be handled; retry later")
    return json(body, status=status)


async def telemetry(request: Request, device_id: str) -> HTTPResponse:
    """A device's event; see actions.devices.intake."""
    try:
        status, body = await asyncio.to_thread(
            services().telemetry.receive,
            device_id,
            request.headers.get("Authorization"),
            request.body or b"",
        )
    except Exception:
        logger.exception("telemetry from %s failed", device_id)
        status, body = (
            503,
            {"error": {"code": "unavailable", "message": "not stored; send it again later"}},
        )
    return json(body, status=status)


def build_app() -> Sanic:
    app = create_app("actions", cors_origins=None)
    app.add_route(provider_webhook, WEBHOOK_ROUTE, methods=["POST"], name="provider_webhook")
    app.add_route(telemetry, TELEMETRY_ROUTE, methods=["POST"], name="telemetry")

    @app.middleware("request")
    async def only_rasa_runs_actions(request: Request) -> HTTPResponse | None:
        # The action server trusts the tracker it is sent (slots, the owner's last message):
        # only Rasa, holding the token, may send one. Provider webhooks carry an HMAC instead.
        if route_name(request) in OPEN_ROUTES:
            return None
        expected = services().settings.action_token or ""
        given = request.args.get("token") or ""
        if expected and hmac.compare_digest(given.encode(), expected.encode()):
            return None
        return json(
            {"error": {"code": "unauthorized", "message": "a valid ?token= is required"}},
            status=401,
        )

    @app.after_server_start
    async def subscribe_to_webhooks(_app: Sanic, _loop: object) -> None:
        svc = services()
        secret = svc.settings.webhook_secret
        if not secret:
            logger.warning("STANDIN_WEBHOOK_SECRET is not set: provider webhooks are off")
            return
        # In the background: a desk that is down must not hold up the action server.
        _app.ctx.subscriber = asyncio.ensure_future(
            stay_subscribed(
                svc.desk,
                svc.profile,
                svc.settings.webhook_url,
                secret,
                svc.settings.webhook_recheck_s,
            )
        )

    @app.after_server_start
    async def follow_calls(_app: Sanic, _loop: object) -> None:
        # Holds and notices live in the store; these two loops pick them up after any restart.
        svc = services()
        notifier = OwnerNotifier(
            svc.notices, svc.settings.rasa_url, svc.settings.rasa_token, svc.calls.notice_sent
        )
        svc.notices.on_queued = notifier.wake  # every notice queued, whoever queued it
        _app.ctx.notifier = asyncio.ensure_future(notifier.run())
        _app.ctx.monitor = asyncio.ensure_future(
            HoldMonitor(svc.calls, svc.directory, svc.handoffs, svc.questions).run()
        )
        worker = DeviceWorker(svc)
        svc.telemetry.on_work = worker.wake
        _app.ctx.devices = asyncio.ensure_future(worker.run())

    @app.before_server_stop
    async def stop_subscribing(_app: Sanic, _loop: object) -> None:
        for name in ("subscriber", "notifier", "monitor", "devices"):
            task = getattr(_app.ctx, name, None)
            if task is not None and not task.done():
                task.cancel()

    @app.after_server_stop
    async def close_desk_client(_app: Sanic, _loop: object) -> None:
        if services.cache_info().currsize:
            await services().desk.close()
            services().memory.close()

    return app


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    try:
        # Fail before listening: a bad profile, setting or store should stop the server, not a
        # turn. Opening the store here also brings its schema to the newest migration.
        svc = services()
        for account in svc.profile.accounts:
            svc.profile.api_key(account)
            for item in [*account.devices, *account.meters]:
                if not os.environ.get(item.token_variable(), "").strip():
                    logger.warning(
                        "%s has no telemetry token (%s): its events are refused",
                        item.id,
                        item.token_variable(),
                    )
        if not svc.settings.action_token:
            raise ConfigError(
                "set STANDIN_ACTION_TOKEN (16 characters or more), the token Rasa's"
                " action_endpoint sends: without it anyone could run actions"
            )
    except ConfigError as err:
        print(f"action server: {err}", file=sys.stderr)
        return 2
    except SQLAlchemyError as err:
        # The driver's message names the host or file, never the password.
        detail = str(getattr(err, "orig", None) or err).splitlines()[0]
        print(f"action server: cannot open the store (STANDIN_DB_URL): {detail}", file=sys.stderr)
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
