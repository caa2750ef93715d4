"""Webhook subscriptions and the envelope of an event delivered to one."""

from __future__ import annotations

from typing import Any

from pydantic import AnyHttpUrl, Field, constr, validator

from .base import (
    EVENT_TYPES,
    Request,
    Response,
)


class WebhookCreate(Request):
    class Config:
        anystr_strip_whitespace = False  # the secret is used byte for byte by both sides

    url: AnyHttpUrl
    events: list[str] = Field(..., min_items=1)
    secret: constr(min_length=16, max_length=256)  # type: ignore[valid-type]

    @validator("events")
    def _known_events(cls, value: list[str]) -> list[str]:  # noqa: N805 (pydantic API)
        unknown = [e for e in value if e != "*" and e not in EVENT_TYPES]
        if unknown:
            raise ValueError(
                f"unknown event type(s) {', '.join(unknown)}; use '*' or one of "
                + ", ".join(EVENT_TYPES)
            )
        return list(dict.fromkeys(value))


class Webhook(Response):
    id: str
    url: str
    events: list[str]
    created_at: str


class WebhookList(Response):
    webhooks: list[Webhook]


class Deleted(Response):
    id: str
    deleted: bool


class EventEnvelope(Response):
    id: str
    type: str
    created_at: str
    data: dict[str, Any]
