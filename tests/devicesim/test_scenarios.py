"""The device simulator's scenarios and token lookup, without a network."""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from actions.core.samples import Sample
from actions.devices.config import load_telemetry_config
from actions.devices.diagnosis import threshold_held
from actions.devices.telemetry_models import TelemetryBody
from actions.owner.profile import load_profile
from devicesim import sender
from devicesim.scenarios import SCENARIOS, Event, build

PROJECT_ROOT = Path(__file__).resolve().parents[2]
PROFILE = load_profile(PROJECT_ROOT / "owner.yml")
CONFIG = load_telemetry_config(PROJECT_ROOT / "telemetry.yml")
LISBON = ZoneInfo(PROFILE.owner.timezone)
T0 = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)  # the desk's test start, 09:00 Lisbon
STARTS = [
    T0,
    datetime(2026, 3, 28, 14, 0, tzinfo=timezone.utc),  # the night clocks go forward
    datetime(2026, 10, 24, 23, 59, 30, tzinfo=timezone.utc),  # the night clocks go back
]
THRESHOLDS = ["car_tyre_pressure", "fridge_warm", "router_packet_loss", "water_leak"]
MONTHS = ["meter_month_water", "meter_month_electricity", "meter_month_gas"]


def _steps(values: list[Any]) -> list[Any]:
    """The differences between consecutive values."""
    return [b - a for a, b in zip(values, values[1:], strict=False)]


def _kind(device_id: str) -> str:
    found = PROFILE.reporter(device_id)
    assert found is not None, device_id
    return found[1].kind


@pytest.mark.parametrize("start", STARTS)
@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_every_scenario_builds_valid_sorted_deterministic_events(
    name: str, start: datetime
) -> None:
    events = build(name, start)
    assert events and all(e.device_id == SCENARIOS[name].device_id for e in events)
    times = [e.at for e in events]
    assert times == sorted(times) and times[0] >= start
    ids = [e.body["event_id"] for e in events]
    assert len(set(ids)) == len(ids)
    assert build(name, start) == events  # the same start: the same stream, ids included
    later = {e.body["event_id"] for e in build(name, start + timedelta(seconds=1))}
    assert later.isdisjoint(ids)  # another start: new ids
    for event in events:
        assert event.body["at"].endswith("Z")
        TelemetryBody.parse_obj(event.body)


def test_options_are_checked() -> None:
    with pytest.raises(ValueError, match="unknown scenario"):
        build("toaster_fire", T0)
    with pytest.raises(ValueError, match="time zone"):
        build("washer_drain", T0.replace(tzinfo=None))
    with pytest.raises(ValueError, match="unknown option"):
        build("washer_drain", T0, colour="red")
    with pytest.raises(ValueError, match="repeats"):
        build("washer_drain", T0, repeats=0)


@pytest.mark.parametrize(
    ("name", "code", "severity"),
    [
        ("car_charging_port", "CHG-PORT-07", "normal"),
        ("car_battery_cooling", "BMS-COOL-01", "high"),
        ("washer_drain", "E21", "normal"),
    ],
)
def test_fault_scenarios_repeat_the_code_a_minute_apart(
    name: str, code: str, severity: str
) -> None:
    events = build(name, T0, repeats=4)
    faults = [e for e in events if e.type == "fault"]
    assert [f.body["code"] for f in faults] == [code] * 4
    assert {f.body["severity"] for f in faults} == {severity}
    assert set(_steps([f.at for f in faults])) == {timedelta(minutes=1)}
    assert len([e for e in build(name, T0) if e.type == "fault"]) == 3
    # The code is one the diagnosis table knows for this kind of device.
    problem = CONFIG.problem(name)
    assert problem is not None and problem.signal.code == code
    assert problem.device_kind == _kind(SCENARIOS[name].device_id)


def test_the_charging_port_fault_follows_healthy_metrics() -> None:
    events = build("car_charging_port", T0)
    assert [e.type for e in events[:2]] == ["metric", "metric"]
    assert events[-1].body["detail"] == "connector does not lock"


@pytest.mark.parametrize("start", STARTS)
@pytest.mark.parametrize("name", THRESHOLDS)
def test_threshold_scenarios_breach_for_longer_than_the_table_asks(
    name: str, start: datetime
) -> None:
    problem = CONFIG.problem(name)
    assert problem is not None and problem.signal.metric is not None
    assert problem.device_kind == _kind(SCENARIOS[name].device_id)
    events = build(name, start)
    assert {e.body["metric"] for e in events} == {problem.signal.metric}
    samples = [Sample(e.at, e.body["value"]) for e in events]
    tz = PROFILE.owner.timezone

    def held(upto: int) -> bool:
        return threshold_held(problem.signal, list(reversed(samples[:upto])), tz)

    # Healthy at first, detected by the end, and only once the stream has held long enough.
    assert not held(1)
    assert held(len(samples))
    first = next(i for i in range(1, len(samples) + 1) if held(i))
    breaching = [s for s in samples if problem.signal.breached(s.value)]
    assert samples[first - 1].at - breaching[0].at >= timedelta(minutes=problem.signal.for_minutes)
    span, need = samples[-1].at - breaching[0].at, timedelta(minutes=problem.signal.for_minutes)
    # The night the clocks go forward is an hour short: 00:30-03:30 local is exactly 2 h.
    short_night = name == "water_leak" and start == STARTS[1]
    assert span >= need if short_night else span > need


@pytest.mark.parametrize(
    ("start", "night"),
    [
        (datetime(2026, 11, 23, 14, 0, tzinfo=LISBON), (2026, 11, 24)),
        (datetime(2026, 11, 23, 0, 10, tzinfo=LISBON), (2026, 11, 23)),
        (datetime(2026, 7, 1, 0, 10, tzinfo=LISBON), (2026, 7, 1)),  # summer time (UTC+1)
        (datetime(2026, 7, 1, 0, 25, tzinfo=LISBON), (2026, 7, 2)),
        (datetime(2026, 3, 28, 14, 0, tzinfo=LISBON), (2026, 3, 29)),  # no 01:00-02:00
        (datetime(2026, 10, 24, 14, 0, tzinfo=LISBON), (2026, 10, 25)),  # 01:00-02:00 twice
    ],
)
def test_the_water_leak_runs_in_the_first_night_at_or_after_start(
    start: datetime, night: tuple[int, int, int]
) -> None:
    events = build("water_leak", start.astimezone(timezone.utc))
    local = [e.at.astimezone(LISBON) for e in events]
    assert all(t.date() == datetime(*night).date() for t in local)
    assert all(time(0, 20) <= t.time() <= time(3, 30) for t in local)
    assert local[0].time() == time(0, 20) and events[0].body["value"] == 0.0
    assert local[1].time() == time(0, 30) and local[-1].time() == time(3, 30)
    assert all(0.6 <= e.body["value"] <= 1.0 for e in events[1:])
    assert set(_steps([e.at for e in events[1:]])) == {timedelta(minutes=10)}


@pytest.mark.parametrize("name", MONTHS)
def test_month_readings_rise_daily_in_the_meters_unit(name: str) -> None:
    meter_id = SCENARIOS[name].device_id
    found = PROFILE.reporter(meter_id)
    assert found is not None
    events = build(name, T0)
    assert len(events) == 35 and {e.type for e in events} == {"meter_reading"}
    assert {e.body["unit"] for e in events} == {found[1].unit}
    assert events[0].at == datetime(2026, 11, 24, 6, 0, tzinfo=timezone.utc)  # after 09:00
    assert set(_steps([e.at for e in events])) == {timedelta(days=1)}
    values = [e.body["value"] for e in events]
    assert all(step > 0 for step in _steps(values))
    limit = CONFIG.plausibility[found[1].kind].max_per_hour
    assert all(step / 24 <= limit for step in _steps(values))
    early = build(name, T0.replace(hour=5), days=3, value=100.0)
    assert early[0].at == T0.replace(hour=6) and len(early) == 3
    assert early[0].body["value"] == 100.0


def test_the_month_defaults_start_at_the_desks_seeded_registers() -> None:
    firsts = {name: build(name, T0)[0].body["value"] for name in MONTHS}
    assert firsts == {
        "meter_month_water": 1204.2,
        "meter_month_electricity": 48211.0,
        "meter_month_gas": 9120.5,
    }


def test_the_odd_meter_pairs() -> None:
    backwards = build("meter_backwards", T0, value=1300.0)
    jump = build("meter_jump", T0)
    assert [e.body["value"] for e in backwards] == [1300.0, 1296.5]
    assert [e.body["value"] for e in jump] == [1204.2, 1604.2]
    for pair in (backwards, jump):
        assert pair[1].at - pair[0].at == timedelta(hours=1)
        assert {e.body["unit"] for e in pair} == {"m3"}


def test_token_for_reads_the_environment_first_then_demo_env(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    profile = PROJECT_ROOT / "owner.yml"
    car = "VIN-5YJ3E1EA7KF317000"
    variable = "STANDIN_DEVICE_TOKEN_VIN_5YJ3E1EA7KF317000"
    monkeypatch.delenv(variable, raising=False)
    assert sender.token_for(car, profile) == "demo-device-token-car"
    monkeypatch.setenv(variable, "from-the-environment")
    assert sender.token_for(car, profile) == "from-the-environment"
    with pytest.raises(ValueError, match="TOASTER-1"):
        sender.token_for("TOASTER-1", profile)


def test_play_moves_the_desk_then_sends_in_order(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, Any]] = []
    monkeypatch.setattr(sender, "token_for", lambda device_id: f"token-{device_id}")
    monkeypatch.setattr(sender, "advance_desk_to", lambda url, at: calls.append(("desk", at)))

    def fake_send(url: str, event: Event, token: str | None = None) -> tuple[int, Any]:
        calls.append(("send", event.at))
        assert token == f"token-{event.device_id}"
        return 401, {"error": {"code": "unauthorized"}}

    monkeypatch.setattr(sender, "send", fake_send)
    events = build("meter_jump", T0)
    seen: list[int] = []
    results = sender.play(
        "http://x", events, desk_url="http://d", on_sent=lambda e, s, b: seen.append(s)
    )
    assert [status for _, status, _ in results] == seen == [401, 401]
    assert calls == [(kind, e.at) for e in events for kind in ("desk", "send")]
