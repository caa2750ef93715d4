"""The one error shape every failure answers in, and the Sanic handler that enforces it."""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from sanic import Request
from sanic.exceptions import MethodNotSupported, NotFound, SanicException
from sanic.response import HTTPResponse

from .route_table import ROUTES

log = logging.getLogger("servicedesk")


class ApiError(Exception):
    """Raised anywhere in a handler; turned into `{"error": {...}}` with `status`."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details or {}
        self.headers = headers or {}


def not_found(what: str, ident: str) -> ApiError:
    # The same answer whether the resource is missing or belongs to someone else.
    return ApiError(404, "not_found", f"No {what} with id {ident!r} was found.", {"id": ident})


def invalid_state(message: str, state: str) -> ApiError:
    return ApiError(409, "invalid_state", message, {"state": state})


def validation_error(fields: list[dict[str, str]]) -> ApiError:
    parts = [f"{f['field']}: {f['message']}" for f in fields[:4]]
    more = f" (and {len(fields) - 4} more)" if len(fields) > 4 else ""
    return ApiError(
        422,
        "validation_error",
        f"Invalid request: {'; '.join(parts)}{more}.",
        {"fields": fields},
    )


def field_error(field: str, message: str, **extra: Any) -> ApiError:
    err = validation_error([{"field": field, "message": message}])
    err.details.update(extra)
    return err


def error_response(
    status: int,
    code: str,
    message: str,
    details: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> HTTPResponse:
    body = {"error": {"code": code, "message": message, "details": details or {}}}
    return HTTPResponse(
        json.dumps(body), status=status, headers=headers, content_type="application/json"
    )


def api_error_response(err: ApiError) -> HTTPResponse:
    return error_response(err.status, err.code, err.message, err.details, err.headers)


def allowed_methods(path: str) -> list[str]:
    """Methods registered for `path` (for the Allow header of a 405)."""
    out = set()
    for spec in ROUTES:
        pattern = re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(spec.path))
        if re.fullmatch(pattern, path.rstrip("/") or "/"):
            out.add(spec.method)
    return sorted(out)


def _snake(name: str) -> str:
    out = "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")
    return out or "error"


def handle_exception(request: Request, exception: Exception) -> HTTPResponse:
    """Catch-all: Sanic's own errors keep their status; anything else is logged and a 500."""
    if isinstance(exception, ApiError):
        return api_error_response(exception)
    if isinstance(exception, NotFound):
        return error_response(
            404, "not_found", f"No route matches {request.method} {request.path}.", {}
        )
    if isinstance(exception, MethodNotSupported):
        allowed = sorted(
            getattr(exception, "allowed_methods", None) or allowed_methods(request.path)
        )
        return error_response(
            405,
            "method_not_allowed",
            f"{request.method} is not allowed on {request.path}.",
            {"allowed": allowed},
            {"Allow": ", ".join(allowed)} if allowed else None,
        )
    if isinstance(exception, SanicException):
        status = int(getattr(exception, "status_code", 400) or 400)
        return error_response(status, _snake(type(exception).__name__), str(exception), {})
    log.exception("unhandled error on %s %s", request.method, request.path)
    return error_response(500, "internal_error", "The service desk hit an unexpected error.", {})
