"""The OpenAPI 3.0 document, assembled from the route table and the pydantic models.

pydantic 1.10 writes JSON Schema (draft 6 flavoured), not the OpenAPI 3.0 Schema Object, so the
schemas are translated here: `nullable: true` on every field that may be null (pydantic leaves
that out), `minimum` with a boolean `exclusiveMinimum`, one `items` schema for tuples, and every
reference under `#/components/schemas/`. Each route documents every status it can answer: the
ones all routes of its kind share (derived below from how `api._endpoint` handles a request)
plus the route's own `errors`.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from pydantic import BaseModel
from pydantic.schema import get_flat_models_from_models, get_model_name_map
from pydantic.schema import schema as pydantic_schema

from . import __version__
from .idempotency import MAX_KEY_LENGTH
from .models import Error
from .route_table import ROUTES, RouteSpec

REF = "#/components/schemas/"
STATUS_TEXT = {
    400: "Bad request: the body is not valid JSON",
    401: "Missing or invalid API key",
    404: "Not found (or not yours)",
    409: "Conflict: the resource's state does not allow it (error.code and details say why)",
    422: "Validation error (details.fields names each problem)",
    429: "Rate limited (also an injected fault); retry after Retry-After seconds",
    503: "Unavailable (injected fault)",
    504: "Timed out (injected fault)",
}
SIM_OFF_TEXT = "; every /_sim/* path answers 404 unless SERVICE_DESK_SIM_CONTROL=1"
KEY_REUSED_TEXT = ", or the Idempotency-Key was used for another request (idempotency_key_reused)"
ERROR_HEADERS = {
    401: {
        "WWW-Authenticate": {
            "required": True,
            "schema": {"type": "string", "example": 'Bearer realm="servicedesk"'},
        }
    },
    429: {
        "Retry-After": {
            "description": "Seconds to wait before retrying",
            "required": True,
            "schema": {"type": "integer", "minimum": 0},
        }
    },
}


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": REF + model.__name__}


def _ref_target(prop: dict[str, Any]) -> str | None:
    """The component a property refers to, whether as `$ref` or pydantic's one-item allOf."""
    if "$ref" in prop:
        return str(prop["$ref"])
    all_of = prop.get("allOf")
    if isinstance(all_of, list) and len(all_of) == 1 and "$ref" in all_of[0]:
        return str(all_of[0]["$ref"])
    return None


def _oas30(node: Any) -> Any:
    """JSON Schema as pydantic writes it -> the OpenAPI 3.0 Schema Object, recursively."""
    if isinstance(node, list):
        return [_oas30(x) for x in node]
    if not isinstance(node, dict):
        return node
    out = {k: _oas30(v) for k, v in node.items()}
    for exclusive, bound in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        value = out.get(exclusive)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            # Draft 6 gives the bound itself; OpenAPI 3.0 (draft 4) a bound and a flag.
            out[bound] = value
            out[exclusive] = True
    if isinstance(out.get("items"), list):
        # A tuple: OpenAPI 3.0 has one items schema, so the positions' schemas are merged.
        kinds = out["items"]
        out["items"] = kinds[0] if all(k == kinds[0] for k in kinds) else {"anyOf": kinds}
        out.setdefault("minItems", len(kinds))
        out.setdefault("maxItems", len(kinds))
    if out.get("description") == "An enumeration.":
        del out["description"]  # pydantic's placeholder for an Enum without a docstring
    if "const" in out:
        out["enum"] = [out.pop("const")]
    ref = out.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/definitions/"):
        out["$ref"] = REF + ref[len("#/definitions/") :]
    return out


def _components(models: Iterable[type[BaseModel]]) -> dict[str, Any]:
    """Component schemas of `models` and everything they use, with nullable fields marked."""
    ordered = sorted(set(models), key=lambda m: m.__name__)
    raw = pydantic_schema(ordered, ref_prefix=REF)["definitions"]
    flat = get_flat_models_from_models(ordered)
    names = get_model_name_map(flat)
    by_name = {names[m]: m for m in flat if isinstance(m, type) and issubclass(m, BaseModel)}
    done: dict[str, dict[str, Any]] = {}

    def processed(name: str, inlining: tuple[str, ...] = ()) -> dict[str, Any]:
        if name in done:
            return done[name]
        schema = copy.deepcopy(raw[name])
        model = by_name.get(name)
        props = schema.get("properties", {})
        for field in model.__fields__.values() if model is not None else ():
            if field.allow_none and field.alias in props:
                props[field.alias] = nullable(props[field.alias], (*inlining, name))
        done[name] = schema
        return schema

    def nullable(prop: dict[str, Any], inlining: tuple[str, ...]) -> dict[str, Any]:
        target = _ref_target(prop)
        if target is not None:
            name = target[len(REF) :]
            if name in inlining:
                return prop  # a model that may contain itself: not expressible, left as is
            # OpenAPI 3.0.3: nullable acts only beside a `type` in the same Schema Object, so
            # a reference cannot be made nullable; the referenced schema is inlined instead.
            rest = {k: v for k, v in prop.items() if k not in ("$ref", "allOf")}
            prop = {**copy.deepcopy(processed(name, inlining)), **rest}
        if "type" not in prop:
            return prop  # no type (Any): null is already allowed
        out = {**prop, "nullable": True}
        if "enum" in out and None not in out["enum"]:
            out["enum"] = [*out["enum"], None]
        return out

    return {name: _oas30(processed(name)) for name in raw}


def _path_params(spec: RouteSpec) -> list[str]:
    return re.findall(r"\{(\w+)\}", spec.path)


def error_statuses(spec: RouteSpec) -> set[int]:
    """Every non-2xx status `spec`'s route can answer (mirrors api._endpoint's order)."""
    codes = set(spec.errors)
    if spec.sim:
        codes.add(404)  # sim control off
    if spec.auth:
        codes |= {401, 429, 503, 504}  # key, rate limit, injected faults
    if spec.method in ("POST", "PUT", "PATCH"):
        codes |= {400, 422}  # every such body is parsed: not JSON, or not an object
    if spec.query is not None:
        codes.add(422)
    if spec.creates:
        codes |= {409, 422}  # Idempotency-Key reused for another request, or too long
    if _path_params(spec):
        codes.add(404)  # every path parameter names a resource that may not exist
    return codes


def _query_params(model: type[BaseModel], components: dict[str, Any]) -> list[dict[str, Any]]:
    schema = components[model.__name__]
    required = set(schema.get("required", []))
    params = []
    for name, prop in schema.get("properties", {}).items():
        # A query parameter is absent or a string, never null.
        prop = {k: v for k, v in prop.items() if k != "nullable"}
        if isinstance(prop.get("enum"), list):
            prop["enum"] = [v for v in prop["enum"] if v is not None]
        param: dict[str, Any] = {
            "name": name,
            "in": "query",
            "required": name in required,
            "schema": prop,
        }
        if "description" in prop:
            param["description"] = prop["description"]
        params.append(param)
    return params


def _operation(spec: RouteSpec, components: dict[str, Any]) -> dict[str, Any]:
    success: dict[str, Any] = {"description": "Success"}
    if spec.response is not None:
        success["content"] = {"application/json": {"schema": _ref(spec.response)}}
    if spec.creates:
        success["headers"] = {
            "Idempotent-Replayed": {
                "description": "`true` when this is the stored answer to a repeated key",
                "schema": {"type": "string", "enum": ["true"]},
            }
        }
    op: dict[str, Any] = {
        "summary": spec.summary,
        "operationId": f"{spec.method.lower()}_{spec.path.strip('/').replace('/', '_')}",
        "tags": [spec.tag],
        "responses": {str(spec.status): success},
    }
    params: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in _path_params(spec)
    ]
    if spec.query is not None:
        params += _query_params(spec.query, components)
    if spec.creates:
        params.append(
            {
                "name": "Idempotency-Key",
                "in": "header",
                "required": False,
                "schema": {"type": "string", "maxLength": MAX_KEY_LENGTH},
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
            # An empty body is read as {}: optional where {} is valid (e.g. POST /_sim/faults).
            "required": bool(components[spec.body.__name__].get("required")),
            "content": {"application/json": {"schema": _ref(spec.body)}},
        }
    for code in sorted(error_statuses(spec)):
        text = STATUS_TEXT.get(code, "Error")
        if spec.sim and code == 404:
            text += SIM_OFF_TEXT
        if spec.creates and code == 409:
            text += KEY_REUSED_TEXT
        response: dict[str, Any] = {
            "description": text,
            "content": {"application/json": {"schema": _ref(Error)}},
        }
        if code in ERROR_HEADERS:
            response["headers"] = copy.deepcopy(ERROR_HEADERS[code])
        op["responses"][str(code)] = response
    return op


@lru_cache(maxsize=1)
def build_openapi() -> dict[str, Any]:
    models: set[type[BaseModel]] = {Error}
    queries: set[type[BaseModel]] = set()
    for spec in ROUTES:
        models |= {m for m in (spec.body, spec.response) if m is not None}
        if spec.query is not None:
            queries.add(spec.query)
    components = _components(models | queries)
    paths: dict[str, dict[str, Any]] = {}
    for spec in ROUTES:
        paths.setdefault(spec.path, {})[spec.method.lower()] = _operation(spec, components)
    for query in queries - models:
        # Only their properties are used (as parameters); the enums they refer to stay.
        components.pop(query.__name__, None)
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Stand-in reference service desk",
            "version": __version__,
            "description": "A simulated customer-service organisation for machine customers.",
        },
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }
