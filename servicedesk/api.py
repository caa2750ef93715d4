"""The one wrapper every endpoint goes through, and the context its handler is given.

Every route is registered once in `route_table`; `install` wraps each the same way (auth, rate
limit, faults, validation, idempotency), and openapi.py documents the same table, so the two
cannot drift apart."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError
from sanic import Request, Sanic
from sanic.response import HTTPResponse

from . import idempotency
from .auth import authenticate, client_from
from .errors import ApiError, validation_error
from .route_table import ROUTES, RouteSpec
from .seed import ACCOUNTS, PROVIDERS

if TYPE_CHECKING:
    from .desk import Desk


@dataclass
class Result:
    body: Any
    status: int | None = None
    headers: dict[str, str] | None = None


@dataclass
class Ctx:
    desk: Desk
    request: Request
    account_id: str | None
    client: dict[str, Any]
    now: float

    @property
    def account(self) -> dict[str, Any]:
        assert self.account_id is not None
        return ACCOUNTS[self.account_id]

    @property
    def provider_id(self) -> str:
        return str(self.account["provider"])

    @property
    def provider(self) -> dict[str, Any]:
        return PROVIDERS[self.provider_id]


def pydantic_fields(err: ValidationError) -> list[dict[str, str]]:
    out = []
    for e in err.errors():
        loc = [str(p) for p in e["loc"] if p != "__root__"]
        out.append({"field": ".".join(loc) or "body", "message": e["msg"]})
    return out


def _json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> HTTPResponse:
    return HTTPResponse(
        json.dumps(body), status=status, headers=headers, content_type="application/json"
    )


def _parse_body(request: Request) -> Any:
    raw = request.body or b""
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as err:
        raise ApiError(
            400, "invalid_json", f"The request body is not valid JSON: {err}.", {}
        ) from None
    if not isinstance(data, dict):
        raise validation_error([{"field": "body", "message": "must be a JSON object"}])
    return data


def _validate(model: type[BaseModel], data: dict[str, Any]) -> BaseModel:
    try:
        return model.parse_obj(data)
    except ValidationError as err:
        raise validation_error(pydantic_fields(err)) from None


def _endpoint(spec: RouteSpec) -> Callable[..., Any]:
    async def endpoint(request: Request, **params: str) -> HTTPResponse:
        desk: Desk = request.app.ctx.desk
        request.ctx.route_spec = spec  # which documented operation answers (response_check)
        if spec.sim and not desk.settings.sim_control:
            raise ApiError(404, "not_found", f"No route matches {request.method} {request.path}.")
        account_id = None
        if spec.auth:
            account_id = authenticate(request.headers)
            retry_after = desk.limiter.check(account_id)
            if retry_after is not None:
                raise ApiError(
                    429,
                    "rate_limited",
                    f"Too many requests; retry after {retry_after} second(s).",
                    {"retry_after_s": retry_after, "limit_per_s": desk.limiter.rate},
                    {"Retry-After": str(retry_after)},
                )
            # Faults strike before anything is read or written, so a failed call changed nothing.
            await desk.faults.inject()
        raw = _parse_body(request) if request.method in ("POST", "PUT", "PATCH") else {}
        kwargs: dict[str, Any] = dict(params)
        if spec.body is not None:
            kwargs["body"] = _validate(spec.body, raw)
        if spec.query is not None:
            args = {k: v[0] for k, v in request.args.items() if v}
            kwargs["query"] = _validate(spec.query, args)
        idem_key = request.headers.get("idempotency-key") if spec.creates else None
        if idem_key is not None:
            idem_key = idempotency.check_key(idem_key.strip()) or None
        # Bring the simulated world up to now before reading or changing it.
        desk.process_due()
        ctx = Ctx(desk, request, account_id, client_from(request.headers), desk.now())
        with desk.store.tx():
            if idem_key and account_id:
                req_hash = idempotency.request_hash(spec.method, request.path, raw)
                prior = idempotency.lookup(desk.store, account_id, idem_key, req_hash)
                if prior is not None:
                    return _json_response(prior[0], prior[1], {"Idempotent-Replayed": "true"})
            result = spec.handler(ctx, **kwargs)
            if not isinstance(result, Result):
                result = Result(result)
            status = result.status or spec.status
            if idem_key and account_id and 200 <= status < 300:
                idempotency.save(
                    desk.store, account_id, idem_key, req_hash, status, result.body, ctx.now
                )
        desk.notify_outbox()
        return _json_response(status, result.body, result.headers)

    endpoint.__name__ = f"{spec.method.lower()}_{re.sub(r'[^a-zA-Z0-9]+', '_', spec.path)}"
    return endpoint


def install(app: Sanic) -> None:
    for spec in ROUTES:
        sanic_path = re.sub(r"\{(\w+)\}", r"<\1>", spec.path)
        handler = _endpoint(spec)
        app.add_route(handler, sanic_path, methods=[spec.method], name=handler.__name__)
