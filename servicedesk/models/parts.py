"""Parts and part orders."""

from __future__ import annotations

from pydantic import Field, conint, constr

from .base import (
    Client,
    Request,
    Response,
)


class PartsQuery(Request):
    provider: str | None = None
    model: str | None = None


class Part(Response):
    sku: str
    name: str
    price: float
    currency: str
    fits: list[str]


class PartList(Response):
    parts: list[Part]


class PartOrderCreate(Request):
    sku: constr(min_length=1)  # type: ignore[valid-type]
    quantity: conint(ge=1, le=10)  # type: ignore[valid-type]
    deliver_to_service_centre: str | None = None
    appointment_id: str | None = None


class PartOrder(Response):
    id: str
    provider: str
    account_id: str
    sku: str
    name: str
    quantity: int
    unit_price: float
    total: float
    currency: str
    deliver_to_service_centre: str | None
    appointment_id: str | None
    status: str = Field(..., description="ordered, shipped or cancelled")
    client: Client
    created_at: str
    updated_at: str
    shipped_at: str | None


class PartOrderList(Response):
    orders: list[PartOrder]
