"""The OpenAPI 3 document, assembled from the route table and the pydantic models."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from pydantic import BaseModel
from pydantic.schema import schema as pydantic_schema

from . import __version__
from .api import ROUTES
from .models import Error

REF = "#/components/schemas/"
STATUS_TEXT = {
    400: "Bad request (invalid JSON)",
    401: "Missing or invalid API key",
    404: "Not found (or not yours)",
    409: "Conflict",
    422: "Validation error",
    429: "Rate limited",
    503: "Injected error",
    504: "Injected timeout",
}


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": REF + model.__name__}


def _query_params(model: type[BaseModel]) -> list[dict[str, Any]]:
    props = model.schema(by_alias=True).get("properties", {})
    return [
        {"name": name, "in": "query", "required": False, "schema": prop}
        for name, prop in props.items()
    ]


@lru_cache(maxsize=1)
def build_openapi() -> dict[str, Any]:
    models: set[type[BaseModel]] = {Error}
    for spec in ROUTES:
        for m in (spec.body, spec.response):
            if m is not None:
                models.add(m)
    components = pydantic_schema(sorted(models, key=lambda m: m.__name__), ref_prefix=REF)
    paths: dict[str, dict[str, Any]] = {}
    for spec in ROUTES:
        op: dict[str, Any] = {
            "summary": spec.summary,
            "operationId": f"{spec.method.lower()}_{spec.path.strip('/').replace('/', '_')}",
            "tags": [spec.tag],
            "responses": {
                str(spec.status): {
                    "description": "Success",
                    "content": {"application/json": {"schema": _ref(spec.response)}}
                    if spec.response
                    else {},
                }
            },
        }
        params = [
            {"name": seg[1:-1], "in": "path", "required": True, "schema": {"type": "string"}}
            for seg in spec.path.split("/")
            if seg.startswith("{")
        ]
        if spec.query is not None:
            params += _query_params(spec.query)
        if spec.creates:
            params.append(
                {
                    "name": "Idempotency-Key",
                    "in": "header",
                    "required": False,
                    "schema": {"type": "string", "maxLength": 255},
                    "description": "Repeat-safe creation: same key and body, same answer.",
                }
            )
        if spec.auth:
            op["security"] = [{"bearer": []}]
            params.append(
                {
                    "name": "X-Machine-Customer",
                    "in": "header",
                    "required": False,
                    "schema": {"type": "string", "example": "Stand-in/0.1.0"},
                }
            )
        if params:
            op["parameters"] = params
        if spec.body is not None:
            op["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": _ref(spec.body)}},
            }
        errors = set(spec.errors) | ({401, 429, 503, 504} if spec.auth else set())
        if spec.body is not None or spec.query is not None:
            errors |= {400, 422}
        for code in sorted(errors):
            op["responses"][str(code)] = {
                "description": STATUS_TEXT.get(code, "Error"),
                "content": {"application/json": {"schema": _ref(Error)}},
            }
        paths.setdefault(spec.path, {})[spec.method.lower()] = op
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Stand-in reference service desk",
            "version": __version__,
            "description": "A simulated customer-service organisation for machine customers.",
        },
        "paths": paths,
        "components": {
            "schemas": components["definitions"],
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }
