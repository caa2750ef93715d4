"""The route table: every endpoint registered once (method, path, body/query/response models).

`api` wraps each route the same way (auth, rate limit, faults, validation, idempotency),
`openapi` documents them from the same table, and `errors` reads it for the Allow header of a
405; it imports nothing of the desk, so each of them can read it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel


@dataclass
class RouteSpec:
    method: str
    path: str  # OpenAPI style: /v1/tickets/{ticket_id}
    handler: Callable[..., Any]
    summary: str
    tag: str
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    status: int = 200
    auth: bool = True
    creates: bool = False  # takes an Idempotency-Key
    sim: bool = False  # only with SERVICE_DESK_SIM_CONTROL=1
    # Statuses the handler itself raises; openapi.error_statuses adds those every route of
    # its kind can answer (401, 429, 400, 404 for an unknown id, ...).
    errors: list[int] = field(default_factory=list)


ROUTES: list[RouteSpec] = []


def route(method: str, path: str, **kwargs: Any) -> Callable[[Callable[..., Any]], Any]:
    """Register a handler: `handler(ctx, [body=...], [query=...], **path_params)`."""

    def register(handler: Callable[..., Any]) -> Callable[..., Any]:
        summary = kwargs.pop("summary", None) or (handler.__doc__ or "").strip().split("\n")[0]
        tag = kwargs.pop("tag", path.split("/")[2] if path.startswith("/v1/") else "desk")
        ROUTES.append(RouteSpec(method, path, handler, summary, tag, **kwargs))
        return handler

    return register
