"""The provider directory and the caller's own account."""

from __future__ import annotations

from typing import Any

from ..api import Ctx
from ..clock import to_iso
from ..errors import not_found
from ..models import Account, Provider, ProviderList
from ..route_table import route
from ..seed import OWNERS, PROVIDERS, public_provider


def find_provider(ident: str) -> dict[str, Any] | None:
    """By id, or leniently by name or alias (case-insensitive)."""
    if ident in PROVIDERS:
        return PROVIDERS[ident]
    wanted = ident.strip().lower()
    for p in PROVIDERS.values():
        if wanted == p["name"].lower() or wanted in (a.lower() for a in p["aliases"]):
            return p
    return None


@route("GET", "/v1/providers", response=ProviderList)
def list_providers(ctx: Ctx) -> dict[str, Any]:
    """The provider directory."""
    return {"providers": [public_provider(p) for p in PROVIDERS.values()]}


@route("GET", "/v1/providers/{provider_id}", response=Provider, errors=[404])
def get_provider(ctx: Ctx, provider_id: str) -> dict[str, Any]:
    """One provider: categories, phone menu, hours, queue figures, service centres."""
    provider = find_provider(provider_id)
    if provider is None:
        raise not_found("provider", provider_id)
    return public_provider(provider)


@route("GET", "/v1/account", response=Account)
def get_account(ctx: Ctx) -> dict[str, Any]:
    """The account the API key belongs to: owner, devices and meters with last readings."""
    meters = [
        {
            "meter_id": r["meter_id"],
            "kind": r["kind"],
            "unit": r["unit"],
            "last_reading": {"value": r["last_value"], "read_at": to_iso(r["last_read_at"])},
        }
        for r in ctx.desk.store.conn.execute(
            "SELECT * FROM meters WHERE account_id = ? ORDER BY meter_id", (ctx.account_id,)
        )
    ]
    return {
        "account_id": ctx.account_id,
        "provider": ctx.provider_id,
        "owner": OWNERS[ctx.account["owner"]],
        "devices": ctx.account["devices"],
        "meters": meters,
    }
