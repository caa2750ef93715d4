"""The telemetry configuration (`telemetry.yml`): the diagnosis table, the providers' meter
reading schedules and the plausibility limits of meter readings.

Loaded once and validated with pydantic: a signal that is neither a code nor a threshold, an
unknown severity or a bad time stops the action server with a line naming the entry.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, Extra, Field, root_validator, validator

from actions.core.settings import PROJECT_ROOT
from actions.core.yaml_files import load_yaml_model

CONFIG_PATH = PROJECT_ROOT / "telemetry.yml"
SEVERITIES = ("low", "normal", "high", "urgent")
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
NAME = r"^[a-z][a-z0-9_]{0,59}$"


class Signal(BaseModel, extra=Extra.forbid):
    """A fault code, or a metric past a threshold for a while (by the device's clock)."""

    code: str | None = Field(None, min_length=1, max_length=60)
    metric: str | None = Field(None, regex=NAME)
    above: float | None = None
    below: float | None = None
    for_minutes: float = Field(0, ge=0, le=7 * 24 * 60)
    between: tuple[str, str] | None = None

    @validator("between")
    def _times(cls, value: tuple[str, str] | None) -> tuple[str, str] | None:  # noqa: N805
        if value is not None and not all(_HHMM.match(v) for v in value):
            raise ValueError("must be two HH:MM times")
        return value

    @root_validator(skip_on_failure=True)
    def _one_kind(cls, values: dict) -> dict:  # noqa: N805
        code, metric = values.get("code"), values.get("metric")
        if bool(code) == bool(metric):
            raise ValueError("a signal is either a code or a metric")
        if metric and (values.get("above") is None) == (values.get("below") is None):
            raise ValueError("a metric signal needs exactly one of above or below")
        if code and (values.get("above") is not None or values.get("below") is not None):
            raise ValueError("a code signal has no threshold")
        return values

    def breached(self, value: float) -> bool:
        if self.above is not None:
            return value > self.above
        return self.below is not None and value < self.below


class Problem(BaseModel, extra=Extra.forbid):
    id: str = Field(..., regex=NAME)
    device_kind: str = Field(..., regex=NAME)
    signal: Signal
    provider: str = Field(..., min_length=1)
    category: str = Field(..., min_length=1)
    severity: str
    summary: str = Field(..., min_length=1, max_length=200)
    description: str = Field(..., min_length=1, max_length=5000)
    part: str | None = Field(None, min_length=1)
    visit: str | None = Field(None, regex=NAME)
    label: str = Field(..., regex=r"^utter_[a-z0-9_]+$")

    @validator("severity")
    def _severity(cls, value: str) -> str:  # noqa: N805
        if value not in SEVERITIES:
            raise ValueError(f"must be one of {', '.join(SEVERITIES)}")
        return value


class MeterSchedule(BaseModel, extra=Extra.forbid):
    # Monthly: the first reading taken on or after this day of the month goes to the provider.
    day: int = Field(1, ge=1, le=28)


class Plausibility(BaseModel, extra=Extra.forbid):
    max_per_hour: float = Field(..., gt=0)


class TelemetryConfig(BaseModel, extra=Extra.forbid):
    version: int = Field(..., ge=1, le=1)
    diagnosis: list[Problem]
    meter_schedules: dict[str, MeterSchedule] = {}
    plausibility: dict[str, Plausibility] = {}

    @validator("diagnosis")
    def _unique_ids(cls, problems: list[Problem]) -> list[Problem]:  # noqa: N805
        ids = [p.id for p in problems]
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            raise ValueError(f"problem ids must be unique; repeated: {', '.join(repeated)}")
        return problems

    def problems_for(self, device_kind: str) -> list[Problem]:
        return [p for p in self.diagnosis if p.device_kind == device_kind]

    def problem(self, problem_id: str) -> Problem | None:
        return next((p for p in self.diagnosis if p.id == problem_id), None)


def load_telemetry_config(path: Path = CONFIG_PATH) -> TelemetryConfig:
    """Read and validate `path`. Raises ConfigError naming the file and the bad entry."""
    return load_yaml_model(path, TelemetryConfig)


@lru_cache(maxsize=1)
def telemetry_config() -> TelemetryConfig:
    return load_telemetry_config()
