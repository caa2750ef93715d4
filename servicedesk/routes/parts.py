"""The parts catalogue and part orders (which ship 24 simulated hours after ordering)."""

from __future__ import annotations

from typing import Any

from ..api import Ctx
from ..clock import to_iso
from ..errors import field_error, invalid_state, not_found
from ..ids import new_id
from ..models import PartList, PartOrder, PartOrderCreate, PartOrderList, PartsQuery, Request
from ..route_table import route
from ..seed import PARTS, PROVIDERS, find_part, locations
from ..simulation import ORDER_SHIP_S


class OrderCancel(Request):
    reason: str | None = None


@route("GET", "/v1/parts", query=PartsQuery, response=PartList, errors=[422])
def catalogue(ctx: Ctx, query: PartsQuery) -> dict[str, Any]:
    """Parts of a provider (default: the caller's), optionally only those fitting `model`."""
    provider_id = query.provider or ctx.provider_id
    if provider_id not in PROVIDERS:
        raise field_error("provider", "is not a known provider id", valid=sorted(PROVIDERS))
    parts = PARTS.get(provider_id, [])
    if query.model:
        wanted = query.model.lower()
        parts = [p for p in parts if wanted in (m.lower() for m in p["fits"])]
    return {"parts": parts}


def owned_order(ctx: Ctx, order_id: str) -> dict[str, Any]:
    order = ctx.desk.store.get_owned("part_orders", order_id, ctx.account_id or "")
    if order is None:
        raise not_found("part order", order_id)
    return order


@route(
    "POST",
    "/v1/parts/orders",
    body=PartOrderCreate,
    response=PartOrder,
    status=201,
    creates=True,
    errors=[422],
)
def order_part(ctx: Ctx, body: PartOrderCreate) -> dict[str, Any]:
    """Order a part, delivered to one of the provider's service centres (or with the visit)."""
    store = ctx.desk.store
    part = find_part(ctx.provider_id, body.sku)
    if part is None:
        skus = [p["sku"] for p in PARTS.get(ctx.provider_id, [])]
        raise field_error("sku", f"is not in {ctx.provider['name']}'s catalogue", valid=skus)
    centre_ids = [c["id"] for c in ctx.provider["service_centres"]]
    allowed = [loc["id"] for loc in locations(ctx.provider)]
    target = body.deliver_to_service_centre
    if target is None and centre_ids:
        raise field_error(
            "deliver_to_service_centre",
            f"is required: one of {', '.join(centre_ids)}",
            valid=centre_ids,
        )
    if target is not None and target not in allowed:
        raise field_error(
            "deliver_to_service_centre",
            f"must be one of {', '.join(allowed)}"
            if allowed
            else "must be left out: this provider delivers parts with the technician",
            valid=allowed,
        )
    if body.appointment_id is not None and not store.get_owned(
        "appointments", body.appointment_id, ctx.account_id or ""
    ):
        raise field_error("appointment_id", "is not an appointment of this account")
    at = to_iso(ctx.now)
    order = {
        "id": new_id("ORD"),
        "provider": ctx.provider_id,
        "account_id": ctx.account_id,
        "sku": part["sku"],
        "name": part["name"],
        "quantity": body.quantity,
        "unit_price": part["price"],
        "total": round(part["price"] * body.quantity, 2),
        "currency": part["currency"],
        "deliver_to_service_centre": target,
        "appointment_id": body.appointment_id,
        "status": "ordered",
        "client": ctx.client,
        "created_at": at,
        "updated_at": at,
        "shipped_at": None,
        "expected_ship_at": to_iso(ctx.now + ORDER_SHIP_S),
    }
    store.insert("part_orders", order)
    store.schedule(ctx.now + ORDER_SHIP_S, "order.ship", order["id"])
    return order


@route("GET", "/v1/parts/orders", response=PartOrderList)
def list_orders(ctx: Ctx) -> dict[str, Any]:
    """The account's part orders."""
    return {"orders": ctx.desk.store.list("part_orders", account_id=ctx.account_id)}


@route("GET", "/v1/parts/orders/{order_id}", response=PartOrder, errors=[404])
def get_order(ctx: Ctx, order_id: str) -> dict[str, Any]:
    """One part order."""
    return owned_order(ctx, order_id)


@route(
    "POST",
    "/v1/parts/orders/{order_id}/cancel",
    body=OrderCancel,
    response=PartOrder,
    creates=True,
    errors=[404, 409],
)
def cancel_order(ctx: Ctx, body: OrderCancel, order_id: str) -> dict[str, Any]:
    """Cancel an order that has not shipped yet."""
    order = owned_order(ctx, order_id)
    if order["status"] != "ordered":
        raise invalid_state(
            f"The order is {order['status']} and cannot be cancelled.", order["status"]
        )
    order["status"] = "cancelled"
    order["updated_at"] = to_iso(ctx.now)
    ctx.desk.store.cancel_jobs(order["id"])
    ctx.desk.store.update("part_orders", order)
    return order
