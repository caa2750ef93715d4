"""Simulation control: the clock, faults, ticket status, rate limits and the IVR."""

from __future__ import annotations

from pydantic import Field, confloat, conint, constr, validator

from .base import (
    MAX_ADVANCE_S,
    QuestionKind,
    Request,
    Response,
    TicketStatus,
)


class Advance(Request):
    seconds: confloat(gt=0, le=MAX_ADVANCE_S)  # type: ignore[valid-type]


class Advanced(Response):
    now: str
    processed: int


Rate = confloat(ge=0, le=1)


class Faults(Request):
    error_rate: Rate | None = None  # type: ignore[valid-type]
    latency_ms: tuple[conint(ge=0, le=60000), conint(ge=0, le=60000)] | None = None  # type: ignore[valid-type]
    timeout_rate: Rate | None = None  # type: ignore[valid-type]
    rate_limit_rate: Rate | None = None  # type: ignore[valid-type]
    seed: int | None = None
    timeout_s: confloat(ge=0, le=300) | None = None  # type: ignore[valid-type]

    @validator("latency_ms")
    def _ordered(cls, value: tuple[int, int] | None) -> tuple[int, int] | None:  # noqa: N805
        if value is not None and value[0] > value[1]:
            raise ValueError("must be [min, max] with min <= max")
        return value


class SimTicketStatus(Request):
    status: TicketStatus
    question: constr(min_length=1, max_length=1000) | None = None  # type: ignore[valid-type]
    question_kind: QuestionKind | None = Field(
        None,
        description="general or identity; defaults to the seeded question's kind, else general",
    )


class SimRateLimit(Request):
    rate: confloat(ge=0)  # type: ignore[valid-type]


MAX_MISHEARD_DIGITS = 10


class SimIvr(Request):
    provider: constr(min_length=1, max_length=100)  # type: ignore[valid-type]
    misheard_digits: conint(strict=True, ge=0, le=MAX_MISHEARD_DIGITS) = Field(  # type: ignore[valid-type]
        ...,
        description="How many of the next digits pressed on any call to the provider the phone"
        " menu does not recognise (each replays the menu like a wrong digit).",
    )


class SimIvrSettings(Response):
    provider: str
    misheard_digits: int = Field(..., description="Misheard digits still to come")


class Generic(Response):
    """Free-form JSON (simulation/test helpers)."""
