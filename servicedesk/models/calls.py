"""Calls: placing one, DTMF, callbacks, transfers, and the call as the desk reports it."""

from __future__ import annotations

from typing import Any

from pydantic import Field, constr

from .base import (
    PHONE_RE,
    CallState,
    Client,
    Request,
    Response,
    UtcTime,
)


class CallCreate(Request):
    provider: str
    reason: constr(min_length=1, max_length=500)  # type: ignore[valid-type]


class CallsQuery(Request):
    state: CallState | None = None


class Dtmf(Request):
    digits: constr(regex=r"^[0-9*#]{1,10}$")  # type: ignore[valid-type]


class CallbackCreate(Request):
    phone_number: constr(regex=PHONE_RE)  # type: ignore[valid-type]
    not_before: UtcTime | None = None
    not_after: UtcTime | None = None


class TransferCreate(Request):
    phone_number: constr(regex=PHONE_RE)  # type: ignore[valid-type]


class PublicMenuOption(Response):
    digit: str
    label: str


class PublicMenu(Response):
    prompt: str
    options: list[PublicMenuOption]


class Agent(Response):
    id: str
    name: str


class CallHistory(Response):
    state: str
    at: str
    detail: str | None


class Callback(Response):
    phone_number: str
    due_at: str
    not_before: str | None
    not_after: str | None
    status: str = Field(..., description="scheduled or due")


class Call(Response):
    id: str
    provider: str
    account_id: str
    reason: str
    state: CallState
    menu: PublicMenu | None
    path: list[str]
    queue: str | None
    position: int | None
    estimated_wait_s: int | None
    agent: Agent | None
    ended_reason: str | None
    wrong_attempts: int
    replayed: bool | None = None
    history: list[CallHistory]
    callback: Callback | None
    transfer: dict[str, Any] | None
    client: Client
    created_at: str
    updated_at: str


class CallList(Response):
    calls: list[Call]
