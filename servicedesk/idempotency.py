"""Idempotency-Key records, scoped to (account, key) and kept in SQLite.

Only successful (2xx) answers are recorded: a rejected request changed nothing, so repeating it
simply runs again.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from .errors import ApiError
from .store import Store

MAX_KEY_LENGTH = 255


def request_hash(method: str, path: str, body: Any) -> str:
    canonical = json.dumps([method, path, body], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def check_key(key: str) -> str:
    if len(key) > MAX_KEY_LENGTH:
        raise ApiError(
            422,
            "validation_error",
            f"Invalid value for Idempotency-Key: at most {MAX_KEY_LENGTH} characters.",
            {"fields": [{"field": "Idempotency-Key", "message": "too long"}]},
        )
    return key


def lookup(store: Store, account_id: str, key: str, req_hash: str) -> tuple[int, Any] | None:
    """The stored (status, body) for a repeat; 409 if the key was used for another request."""
    row = store.conn.execute(
        "SELECT request_hash, status, body FROM idempotency WHERE account_id = ? AND key = ?",
        (account_id, key),
    ).fetchone()
    if row is None:
        return None
    if row["request_hash"] != req_hash:
        raise ApiError(
            409,
            "idempotency_key_reused",
            "This Idempotency-Key was already used with a different request.",
            {"idempotency_key": key},
        )
    return int(row["status"]), json.loads(row["body"])


def save(
    store: Store, account_id: str, key: str, req_hash: str, status: int, body: Any, at: float
) -> None:
    store.conn.execute(
        "INSERT OR REPLACE INTO idempotency (account_id, key, request_hash, status, body,"
        " created_at) VALUES (?, ?, ?, ?, ?, ?)",
        (account_id, key, req_hash, status, json.dumps(body), at),
    )
