"""Webhook subscriptions (the secret is never echoed back)."""

from __future__ import annotations

from typing import Any

from ..api import Ctx
from ..clock import to_iso
from ..errors import not_found
from ..ids import new_id
from ..models import Deleted, Webhook, WebhookCreate, WebhookList
from ..route_table import route


def public_webhook(sub: dict[str, Any]) -> dict[str, Any]:
    return {k: sub.get(k) for k in ("id", "url", "events", "created_at", "client")}


@route(
    "POST",
    "/v1/webhooks",
    body=WebhookCreate,
    response=Webhook,
    status=201,
    creates=True,
    errors=[422],
)
def subscribe(ctx: Ctx, body: WebhookCreate) -> dict[str, Any]:
    """Subscribe a URL to events of this account (signed with `secret`)."""
    sub = {
        "id": new_id("WH"),
        "account_id": ctx.account_id,
        "url": str(body.url),
        "events": body.events,
        "secret": body.secret,
        "created_at": to_iso(ctx.now),
        "client": ctx.client,
    }
    ctx.desk.store.insert("webhooks", sub, ref=sub["url"])
    return public_webhook(sub)


@route("GET", "/v1/webhooks", response=WebhookList)
def list_webhooks(ctx: Ctx) -> dict[str, Any]:
    """The account's subscriptions."""
    subs = ctx.desk.store.list("webhooks", account_id=ctx.account_id)
    return {"webhooks": [public_webhook(s) for s in subs]}


@route("DELETE", "/v1/webhooks/{webhook_id}", response=Deleted, errors=[404])
def unsubscribe(ctx: Ctx, webhook_id: str) -> dict[str, Any]:
    """Delete a subscription; its undelivered events are dropped."""
    sub = ctx.desk.store.get_owned("webhooks", webhook_id, ctx.account_id or "")
    if sub is None:
        raise not_found("webhook", webhook_id)
    ctx.desk.store.delete("webhooks", webhook_id)
    return {"id": webhook_id, "deleted": True}
