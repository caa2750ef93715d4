"""SERVICE_DESK_CHECK_RESPONSES: hold every answer the desk sends to its own OpenAPI document.

For tests. Each answer of a documented operation must have a documented status and a JSON body
valid against that status's schema, read with OpenAPI 3.0.3 semantics (`nullable`, boolean
`exclusiveMinimum`) by openapi-schema-validator. A violation is appended to the file as one
JSON line and logged; the answer itself goes out unchanged. A line names the operation, the
status and, per problem, where in the body and which rule, with the JSON type of the value but
never the value (bodies carry owners' words and identity answers).
"""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path
from typing import Any

from jsonschema import RefResolver
from openapi_schema_validator import OAS30Validator
from openapi_schema_validator._format import oas30_format_checker

log = logging.getLogger("servicedesk")
MAX_PROBLEMS = 10
JSON_TYPES = {
    type(None): "null",
    bool: "boolean",
    int: "integer",
    float: "number",
    str: "string",
    list: "array",
    dict: "object",
}


class ResponseChecker:
    """Validators for every (method, path, status) of the document, built once at start."""

    def __init__(self, document: dict[str, Any], out_path: Path) -> None:
        self.out_path = out_path
        self.out_path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        resolver = RefResolver.from_schema(document, id_of=lambda _schema: "")
        self.statuses: dict[tuple[str, str], set[str]] = {}
        self.validators: dict[tuple[str, str, str], Any] = {}
        for path, item in document["paths"].items():
            for method, operation in item.items():
                key = (method.upper(), path)
                self.statuses[key] = set(operation["responses"])
                for status, response in operation["responses"].items():
                    schema = response.get("content", {}).get("application/json", {}).get("schema")
                    if schema is not None:
                        self.validators[(*key, status)] = OAS30Validator(
                            schema, resolver=resolver, format_checker=oas30_format_checker
                        )

    def problems(
        self, method: str, path: str, status: int, content_type: str | None, body: bytes
    ) -> list[dict[str, Any]]:
        """What is wrong with this answer to `method path` (path as in the document)."""
        key = (method.upper(), path)
        documented = self.statuses.get(key)
        if documented is None:
            return [{"problem": "operation not in the document"}]
        if str(status) not in documented:
            return [{"problem": "status not documented", "documented": sorted(documented)}]
        validator = self.validators.get((*key, str(status)))
        if validator is None:
            return [] if not body else [{"problem": "body where none is documented"}]
        if not (content_type or "").startswith("application/json"):
            return [{"problem": "content type is not application/json", "got": content_type}]
        try:
            instance = json.loads(body)
        except ValueError:
            return [{"problem": "body is not JSON"}]
        out: list[dict[str, Any]] = []
        for error in validator.iter_errors(instance):
            problem = {
                "problem": "body does not match the schema",
                "at": "/" + "/".join(str(p) for p in error.absolute_path),
                "rule": error.validator,
                "expected": error.validator_value,
                "got_type": JSON_TYPES.get(type(error.instance), type(error.instance).__name__),
            }
            # OpenAPI's `type` reports a null twice (not nullable, not of the type): once here.
            if problem not in out:
                out.append(problem)
            if len(out) == MAX_PROBLEMS:
                break
        return out

    def check(
        self,
        method: str,
        path: str,
        url_path: str,
        status: int,
        content_type: str | None,
        body: bytes,
    ) -> list[dict[str, Any]]:
        """Check one answer; record and return its problems."""
        found = self.problems(method, path, status, content_type, body)
        if found:
            line = {
                "method": method.upper(),
                "operation": path,
                "url_path": url_path,
                "status": status,
                "problems": found,
            }
            log.warning("answer does not match the OpenAPI document: %s", json.dumps(line))
            try:
                with self._lock:
                    self.out_path.parent.mkdir(parents=True, exist_ok=True)
                    with self.out_path.open("a", encoding="utf-8") as out:
                        out.write(json.dumps(line) + "\n")
            except OSError:
                log.exception("could not record the mismatch in %s", self.out_path)
        return found
