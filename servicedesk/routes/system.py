"""Health check and the OpenAPI document (no API key needed)."""

from __future__ import annotations

from typing import Any

from ..api import Ctx
from ..clock import to_iso
from ..models import Generic, Health
from ..route_table import route


@route("GET", "/health", response=Health, auth=False, tag="desk")
def health(ctx: Ctx) -> dict[str, Any]:
    """Liveness: 200 when the desk can answer."""
    return {"status": "ok", "now": to_iso(ctx.now)}


@route("GET", "/openapi.json", response=Generic, auth=False, tag="desk")
def openapi_document(ctx: Ctx) -> dict[str, Any]:
    """This API's OpenAPI 3 document, generated from the route table and pydantic models."""
    from ..openapi import build_openapi

    return build_openapi()
