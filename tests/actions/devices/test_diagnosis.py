"""The diagnosis rules and the meter reading checks, on hand-made samples."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from actions.core.samples import Sample
from actions.devices.config import MeterSchedule, Signal, load_telemetry_config
from actions.devices.diagnosis import (
    IMPLAUSIBLE_JUMP,
    OUT_OF_ORDER,
    WENT_BACKWARDS,
    code_matches,
    implausible,
    period_of,
    threshold_held,
    within_hours,
)

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
LISBON = "Europe/Lisbon"
WARM = Signal(metric="temperature_c", above=8.0, for_minutes=30)


def series(values: list[float], every_min: float = 5, start: datetime = T0) -> list[Sample]:
    """Samples `every_min` apart, returned newest first (as the store returns them)."""
    out = [Sample(start + timedelta(minutes=i * every_min), v) for i, v in enumerate(values)]
    return list(reversed(out))


def test_a_threshold_must_hold_for_the_whole_duration() -> None:
    assert not threshold_held(WARM, series([4, 9, 9, 9, 9, 9]), LISBON)  # 25 min above
    assert threshold_held(WARM, series([4, 9, 9, 9, 9, 9, 9, 9]), LISBON)  # 30 min above
    # One sample back under the line breaks the streak.
    assert not threshold_held(WARM, series([9, 9, 9, 9, 5, 9, 9, 9]), LISBON)


def test_a_silence_longer_than_the_gap_breaks_the_streak() -> None:
    before = series([9, 9], start=T0)
    after = series([9, 9, 9], start=T0 + timedelta(minutes=40))
    assert not threshold_held(WARM, after + before, LISBON)


def test_below_thresholds_and_empty_series() -> None:
    tyre = Signal(metric="tyre_pressure_min_bar", below=2.0, for_minutes=10)
    assert threshold_held(tyre, series([1.8, 1.8, 1.7], every_min=5), LISBON)
    assert not threshold_held(tyre, series([2.4, 2.4, 2.4]), LISBON)
    assert not threshold_held(tyre, [], LISBON)


def test_night_hours_are_local_and_may_cross_midnight() -> None:
    night = Signal(metric="flow", above=0.2, for_minutes=60, between=("23:00", "05:00"))
    # 01:00 UTC in November is 01:00 in Lisbon: night. 12:00 is not.
    assert within_hours(night, datetime(2026, 11, 24, 1, 0, tzinfo=timezone.utc), LISBON)
    assert within_hours(night, datetime(2026, 11, 23, 23, 30, tzinfo=timezone.utc), LISBON)
    assert not within_hours(night, datetime(2026, 11, 24, 12, 0, tzinfo=timezone.utc), LISBON)
    at_night = datetime(2026, 11, 24, 0, 30, tzinfo=timezone.utc)
    assert threshold_held(night, series([0.8] * 13, every_min=5, start=at_night), LISBON)
    by_day = datetime(2026, 11, 24, 10, 0, tzinfo=timezone.utc)
    assert not threshold_held(night, series([0.8] * 13, every_min=5, start=by_day), LISBON)


def test_codes_match_whatever_their_case() -> None:
    table = load_telemetry_config()
    port = table.problem("car_charging_port")
    assert port is not None
    assert code_matches(port, "CHG-PORT-07")
    assert code_matches(port, "chg-port-07")
    assert not code_matches(port, "BMS-COOL-01")


def test_readings_that_go_backwards_jump_or_come_late_are_implausible() -> None:
    last = Sample(T0, 1204.2)
    hour = T0 + timedelta(hours=1)
    assert implausible(1204.5, hour, last, 2.0) is None
    assert implausible(1204.5, hour, None, 2.0) is None
    assert implausible(1200.0, hour, last, 2.0) == WENT_BACKWARDS
    assert implausible(1604.2, hour, last, 2.0) == IMPLAUSIBLE_JUMP
    assert implausible(1205.0, T0 - timedelta(minutes=1), last, 2.0) == OUT_OF_ORDER
    # Without a limit only the direction counts.
    assert implausible(9999.0, hour, last, None) is None


def test_the_period_is_the_month_of_the_latest_due_day() -> None:
    first = MeterSchedule(day=1)
    fifteenth = MeterSchedule(day=15)
    assert period_of(datetime(2026, 11, 23, 6, tzinfo=timezone.utc), first, LISBON) == "2026-11"
    assert period_of(datetime(2026, 12, 3, 6, tzinfo=timezone.utc), fifteenth, LISBON) == "2026-11"
    assert period_of(datetime(2026, 1, 3, 6, tzinfo=timezone.utc), fifteenth, LISBON) == "2025-12"
    # 23:30 UTC on 30 April is 00:30 on 1 May in Lisbon (summer time): May's reading.
    assert period_of(datetime(2026, 4, 30, 23, 30, tzinfo=timezone.utc), first, LISBON) == "2026-05"
