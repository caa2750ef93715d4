"""Bearer API keys (one per seeded account) and the X-Machine-Customer client record."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .errors import ApiError
from .seed import API_KEYS


def authenticate(headers: Mapping[str, str]) -> str:
    """The account id for the request's API key, else 401."""
    auth = headers.get("authorization", "")
    scheme, _, token = auth.partition(" ")
    account_id = API_KEYS.get(token.strip()) if scheme.lower() == "bearer" else None
    if account_id is None:
        raise ApiError(
            401,
            "unauthorized",
            "A valid API key is required: send 'Authorization: Bearer <api key>'."
            if not auth
            else "The API key is not valid.",
            {},
            {"WWW-Authenticate": 'Bearer realm="servicedesk"'},
        )
    return account_id


def client_from(headers: Mapping[str, str]) -> dict[str, Any]:
    """Who is calling: a machine customer names its software; otherwise a human is assumed."""
    software = (headers.get("x-machine-customer") or "").strip()
    if not software:
        return {"kind": "human"}
    return {"kind": "machine", "software": software[:200]}
