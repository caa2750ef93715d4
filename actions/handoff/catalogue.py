"""The handoff catalogue (`handoff.yml`): every point where the owner takes over or decides.

Loaded once and validated with pydantic: an unknown point, a missing field, a safe default the
code does not know or a negative wait stops the action server with a line naming the entry.
The code asks for points by id (`catalogue().point("choose_slot")`), so a point used in code
but missing from the file is an error at start, not at the moment the owner should be asked.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, Extra, Field, validator

from actions.core.settings import PROJECT_ROOT, Settings, settings
from actions.core.yaml_files import load_yaml_model

CATALOGUE_PATH = PROJECT_ROOT / "handoff.yml"

# The points the code raises; the file must declare each exactly once.
POINTS = (
    "agent_connected",
    "choose_slot",
    "approve_cost",
    "identity_check",
    "provider_question",
    "cancel_or_contract",
    "misunderstood",
    "owner_request",
    "device_report",
)

# Safe defaults the code carries out when the owner does not answer. None of them spends money
# or cancels anything: the worst a lapse does is ask the company to call back.
SAFE_DEFAULTS = (
    "callback_or_hang_up",  # ask the agent for a callback where offered, else hang up politely
    "nothing_booked",
    "nothing_paid",
    "nothing_sent",
    "nothing_cancelled",
    "carry_on",
    "stays_with_owner",
)


class HandoffPoint(BaseModel, extra=Extra.forbid):
    id: str
    trigger: str = Field(..., min_length=1)
    ask: str = Field(..., regex=r"^utter_[a-z0-9_]+$")
    while_waiting: str = Field(..., min_length=1)
    # 0: no deadline; the handoff waits until the owner answers.
    wait_s: int = Field(..., ge=0, le=30 * 86400)
    on_no_answer: str
    no_answer_told: str = Field(..., regex=r"^utter_[a-z0-9_]+$")

    @validator("id")
    def _known_point(cls, value: str) -> str:  # noqa: N805 (pydantic validators take cls)
        if value not in POINTS:
            raise ValueError(f"unknown handoff point {value!r}; known: {', '.join(POINTS)}")
        return value

    @validator("on_no_answer")
    def _safe_default(cls, value: str) -> str:  # noqa: N805
        if value not in SAFE_DEFAULTS:
            raise ValueError(f"unknown safe default {value!r}; known: {', '.join(SAFE_DEFAULTS)}")
        return value


class HandoffCatalogue(BaseModel, extra=Extra.forbid):
    version: int = Field(..., ge=1, le=1)
    points: list[HandoffPoint]

    @validator("points")
    def _each_point_once(cls, points: list[HandoffPoint]) -> list[HandoffPoint]:  # noqa: N805
        ids = [p.id for p in points]
        missing = [p for p in POINTS if p not in ids]
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if missing or repeated:
            raise ValueError(
                "every point exactly once"
                + (f"; missing: {', '.join(missing)}" if missing else "")
                + (f"; repeated: {', '.join(repeated)}" if repeated else "")
            )
        return points

    def point(self, point_id: str) -> HandoffPoint:
        for point in self.points:
            if point.id == point_id:
                return point
        raise KeyError(point_id)


def load_catalogue(path: Path = CATALOGUE_PATH) -> HandoffCatalogue:
    """Read and validate `path`. Raises ConfigError naming the file and the bad entry."""
    return load_yaml_model(path, HandoffCatalogue)


@lru_cache(maxsize=1)
def catalogue() -> HandoffCatalogue:
    return load_catalogue()


def wait_s(point_id: str, config: Settings | None = None) -> float:
    """How long the point waits for the owner (0: no deadline): the catalogue, unless the
    environment says otherwise.

    `STANDIN_HANDOFF_WAITS` overrides any point; `STANDIN_ANSWER_TIMEOUT_S` stays the name of
    the agent_connected wait, which operators set most often.
    """
    config = config or settings()
    if point_id in config.handoff_waits:
        return config.handoff_waits[point_id]
    if point_id == "agent_connected" and config.answer_timeout_s is not None:
        return config.answer_timeout_s
    return float(catalogue().point(point_id).wait_s)
