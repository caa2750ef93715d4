"""Telemetry scenarios: realistic event streams for the owner's seeded devices and meters.

Each scenario turns a start time into a list of events, one `POST /telemetry/{device_id}` body each
(see actions/devices/telemetry_models.py), sorted by time. Everything is deterministic: the same
scenario, start and options give the same events with the same ids, so replaying a stream is
idempotent, while another start gives new ids. The thresholds and codes match telemetry.yml.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

# owner.yml's time zone: the water-leak signal is judged in the owner's local night.
OWNER_TZ = ZoneInfo("Europe/Lisbon")

CAR = "VIN-5YJ3E1EA7KF317000"
FRIDGE = "FR-88-2210"
WASHER = "WM-23-9911"
ROUTER = "RT-5521"
WATER_METER = "WM-3341"
ELECTRICITY_METER = "E-77120"
GAS_METER = "G-77121"

# The service desk's seeded last readings, so a default stream never goes backwards there.
SEEDED_VALUES = {ELECTRICITY_METER: 48211.0, GAS_METER: 9120.5, WATER_METER: 1204.2}
# Per meter: unit, typical daily use, decimals the register shows.
METERS = {
    WATER_METER: ("m3", 0.35, 3),
    ELECTRICITY_METER: ("kWh", 9.0, 1),
    GAS_METER: ("m3", 2.5, 2),
}
OPTIONS = ("repeats", "days", "value")
DEFAULT_REPEATS = 3
DEFAULT_DAYS = 35


@dataclass(frozen=True)
class Event:
    """One telemetry event for `device_id`; `body` is the JSON the endpoint accepts."""

    device_id: str
    body: dict

    @property
    def at(self) -> datetime:
        return datetime.fromisoformat(self.body["at"].replace("Z", "+00:00"))

    @property
    def type(self) -> str:
        return str(self.body["type"])


@dataclass(frozen=True)
class Scenario:
    name: str
    device_id: str
    description: str
    build: Callable[..., list[Event]]  # (start, **options) -> events


def iso(at: datetime) -> str:
    """`at` as ISO UTC with a Z, to the second."""
    return at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _events(
    name: str, device_id: str, start: datetime, items: Iterable[tuple[datetime, dict[str, Any]]]
) -> list[Event]:
    """Stamp (time, body) pairs with `at` and a deterministic event id, sorted by time."""
    epoch = int(start.timestamp())
    ordered = sorted(items, key=lambda item: item[0])
    return [
        Event(
            device_id,
            {"event_id": f"{name}-{device_id}-{index}-{epoch}", "at": iso(at), **body},
        )
        for index, (at, body) in enumerate(ordered)
    ]


def _rng(name: str, start: datetime) -> random.Random:
    # A string seed is hashed the same way in every process: the jitter is reproducible.
    return random.Random(f"{name}:{int(start.timestamp())}")


def _metric(metric: str, value: float) -> dict[str, Any]:
    return {"type": "metric", "metric": metric, "value": round(value, 2)}


def _fault(code: str, severity: str, detail: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"type": "fault", "code": code, "severity": severity}
    if detail:
        body["detail"] = detail
    return body


# --- faults -----------------------------------------------------------------------------------


def _fault_builder(
    name: str,
    device_id: str,
    code: str,
    severity: str,
    detail: str | None = None,
    healthy: tuple[tuple[str, float], ...] = (),
) -> Callable[..., list[Event]]:
    """Healthy metrics a minute apart, then the fault `repeats` times a minute apart."""

    def build(start: datetime, repeats: int = DEFAULT_REPEATS, **_: Any) -> list[Event]:
        minute = timedelta(minutes=1)
        items = [(start + i * minute, _metric(m, v)) for i, (m, v) in enumerate(healthy)]
        first = start + len(healthy) * minute
        items += [(first + i * minute, _fault(code, severity, detail)) for i in range(repeats)]
        return _events(name, device_id, start, items)

    return build


# --- metrics past a threshold -----------------------------------------------------------------


def _threshold_builder(
    name: str,
    device_id: str,
    metric: str,
    every_min: int,
    healthy: tuple[float, float, int],
    bad: tuple[float, float, int],
    ramp: tuple[float, ...] = (),
) -> Callable[..., list[Event]]:
    """`metric` every `every_min` minutes: healthy (low, high, minutes), the `ramp` values, then
    bad (low, high, minutes) - the bad stretch spans at least its minutes, first to last."""

    def build(start: datetime, **_: Any) -> list[Event]:
        rng = _rng(name, start)
        values = [rng.uniform(healthy[0], healthy[1]) for _ in range(healthy[2] // every_min)]
        values += ramp
        values += [rng.uniform(bad[0], bad[1]) for _ in range(bad[2] // every_min + 1)]
        step = timedelta(minutes=every_min)
        items = [(start + i * step, _metric(metric, v)) for i, v in enumerate(values)]
        return _events(name, device_id, start, items)

    return build


def _first_night(start: datetime) -> date:
    """The local date of the first night whose 00:20 (the stream's first reading) is not
    before `start`."""
    day = start.astimezone(OWNER_TZ).date()
    if datetime.combine(day, time(0, 20), OWNER_TZ) < start:
        day += timedelta(days=1)
    return day


def _water_leak(start: datetime, **_: Any) -> list[Event]:
    """Flow all night: one quiet reading at 00:20, then 0.6-1.0 l/min every 10 minutes from
    00:30 to 03:30 local time."""
    name, rng = "water_leak", _rng("water_leak", start)
    day = _first_night(start)
    items = [(datetime.combine(day, time(0, 20), OWNER_TZ), _metric("flow_l_per_min", 0.0))]
    # Step in UTC and stop by the local wall clock, so a night with a DST change stays right.
    at = datetime.combine(day, time(0, 30), OWNER_TZ).astimezone(timezone.utc)
    last = datetime.combine(day, time(3, 30))
    while at.astimezone(OWNER_TZ).replace(tzinfo=None) <= last:
        items.append((at, _metric("flow_l_per_min", rng.uniform(0.6, 1.0))))
        at += timedelta(minutes=10)
    return _events(name, WATER_METER, start, items)


# --- meter readings ---------------------------------------------------------------------------


def _reading(meter_id: str, value: float) -> dict[str, Any]:
    unit, _, decimals = METERS[meter_id]
    return {"type": "meter_reading", "value": round(value, decimals), "unit": unit}


def _month_builder(name: str, meter_id: str) -> Callable[..., list[Event]]:
    """One reading a day at 06:00 UTC, `value` first, then rising by about the daily use."""

    def build(
        start: datetime, days: int = DEFAULT_DAYS, value: float | None = None, **_: Any
    ) -> list[Event]:
        rng = _rng(name, start)
        _, daily, _ = METERS[meter_id]
        register = SEEDED_VALUES[meter_id] if value is None else value
        first = start.replace(hour=6, minute=0, second=0)
        if first < start:
            first += timedelta(days=1)
        items = []
        for day in range(days):
            if day:
                register += daily * rng.uniform(0.8, 1.2)  # always positive: never decreases
            items.append((first + timedelta(days=day), _reading(meter_id, register)))
        return _events(name, meter_id, start, items)

    return build


def _pair_builder(name: str, meter_id: str, change: float) -> Callable[..., list[Event]]:
    """Two readings an hour apart: `value`, then `value + change`."""

    def build(start: datetime, value: float | None = None, **_: Any) -> list[Event]:
        register = SEEDED_VALUES[meter_id] if value is None else value
        if register + change < 0:
            raise ValueError(f"value must be at least {-change} for {name}")
        items = [
            (start, _reading(meter_id, register)),
            (start + timedelta(hours=1), _reading(meter_id, register + change)),
        ]
        return _events(name, meter_id, start, items)

    return build


# --- the table --------------------------------------------------------------------------------


def _scenarios() -> dict[str, Scenario]:
    table = [
        Scenario(
            "car_charging_port",
            CAR,
            "car: healthy metrics, then CHG-PORT-07 (connector does not lock), repeated",
            _fault_builder(
                "car_charging_port",
                CAR,
                "CHG-PORT-07",
                "normal",
                "connector does not lock",
                healthy=(("battery_temp_c", 24.5), ("tyre_pressure_min_bar", 2.5)),
            ),
        ),
        Scenario(
            "car_battery_cooling",
            CAR,
            "car: BMS-COOL-01 (battery cooling, high), repeated",
            _fault_builder(
                "car_battery_cooling",
                CAR,
                "BMS-COOL-01",
                "high",
                "low coolant flow",
                healthy=(("battery_temp_c", 31.0),),
            ),
        ),
        Scenario(
            "car_tyre_pressure",
            CAR,
            "car: tyre pressure 2.5 bar for 10 min, then ~1.8 bar for 30+ min (slow puncture)",
            _threshold_builder(
                "car_tyre_pressure",
                CAR,
                "tyre_pressure_min_bar",
                every_min=2,
                healthy=(2.5, 2.5, 10),
                ramp=(2.3, 2.1),
                bad=(1.76, 1.84, 36),
            ),
        ),
        Scenario(
            "fridge_warm",
            FRIDGE,
            "fridge: ~4 °C for 20 min, then 9-11 °C for 45 min",
            _threshold_builder(
                "fridge_warm",
                FRIDGE,
                "temperature_c",
                every_min=5,
                healthy=(3.7, 4.3, 20),
                bad=(9.0, 11.0, 45),
            ),
        ),
        Scenario(
            "washer_drain",
            WASHER,
            "washing machine: E21 (does not drain), repeated",
            _fault_builder("washer_drain", WASHER, "E21", "normal", "water does not drain"),
        ),
        Scenario(
            "router_packet_loss",
            ROUTER,
            "router: ~0.3 % packet loss for 20 min, then 8-15 % for 45 min",
            _threshold_builder(
                "router_packet_loss",
                ROUTER,
                "packet_loss_pct",
                every_min=5,
                healthy=(0.1, 0.5, 20),
                bad=(8.0, 15.0, 45),
            ),
        ),
        Scenario(
            "water_leak",
            WATER_METER,
            "water meter: flow 0.6-1.0 l/min all night, 00:30-03:30 Lisbon time",
            _water_leak,
        ),
        Scenario(
            "meter_month_water",
            WATER_METER,
            "water meter: a reading a day at 06:00 UTC (~0.35 m3/day)",
            _month_builder("meter_month_water", WATER_METER),
        ),
        Scenario(
            "meter_month_electricity",
            ELECTRICITY_METER,
            "electricity meter: a reading a day at 06:00 UTC (~9 kWh/day)",
            _month_builder("meter_month_electricity", ELECTRICITY_METER),
        ),
        Scenario(
            "meter_month_gas",
            GAS_METER,
            "gas meter: a reading a day at 06:00 UTC (~2.5 m3/day)",
            _month_builder("meter_month_gas", GAS_METER),
        ),
        Scenario(
            "meter_backwards",
            WATER_METER,
            "water meter: two readings an hour apart, the second 3.5 m3 lower",
            _pair_builder("meter_backwards", WATER_METER, -3.5),
        ),
        Scenario(
            "meter_jump",
            WATER_METER,
            "water meter: two readings an hour apart, the second 400 m3 higher (implausible)",
            _pair_builder("meter_jump", WATER_METER, 400.0),
        ),
    ]
    return {scenario.name: scenario for scenario in table}


SCENARIOS: dict[str, Scenario] = _scenarios()


def build(name: str, start: datetime, **options: Any) -> list[Event]:
    """The events of scenario `name` from `start` (aware), sorted by time.

    Options: `repeats` (fault scenarios, default 3), `days` (meter_month_*, default 35),
    `value` (meter scenarios: the starting register, default the desk's seeded value).
    Options a scenario does not use are ignored; unknown or out-of-range ones raise ValueError.
    """
    scenario = SCENARIOS.get(name)
    if scenario is None:
        raise ValueError(f"unknown scenario {name!r}; known: {', '.join(SCENARIOS)}")
    if start.tzinfo is None or start.utcoffset() is None:
        raise ValueError("start needs a time zone (e.g. 2026-11-23T09:00:00Z)")
    unknown = sorted(set(options) - set(OPTIONS))
    if unknown:
        raise ValueError(f"unknown option(s) {', '.join(unknown)}; known: {', '.join(OPTIONS)}")
    options = {key: value for key, value in options.items() if value is not None}
    if not 1 <= options.get("repeats", DEFAULT_REPEATS) <= 1000:
        raise ValueError("repeats must be between 1 and 1000")
    if not 1 <= options.get("days", DEFAULT_DAYS) <= 3660:
        raise ValueError("days must be between 1 and 3660")
    if options.get("value", 0.0) < 0:
        raise ValueError("value must not be negative")
    # Whole seconds: `at` is sent to the second, and the ids use the start's epoch second.
    start = start.astimezone(timezone.utc).replace(microsecond=0)
    return scenario.build(start, **options)
