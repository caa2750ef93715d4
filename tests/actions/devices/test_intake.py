"""The telemetry intake on a real store (SQLite and PostgreSQL): who may send, what is
refused with which field, and what an accepted event starts."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import func, select

from actions.devices.config import load_telemetry_config
from actions.devices.intake import TelemetryIntake
from actions.owner.profile import Preferences, load_profile
from actions.store.case_memory import CaseMemory
from actions.store.devices import ASK_OWNER, AWAITING_OWNER, PENDING, DeviceStore
from actions.store.notices import DEFERRED, NoticeOutbox
from actions.store.schema import device_incidents, meter_submissions, notices, telemetry_events
from tests.conftest import PROJECT_ROOT

CAR, FRIDGE, WATER, ROUTER = "VIN-5YJ3E1EA7KF317000", "FR-88-2210", "WM-3341", "RT-5521"
TOKENS = {
    "STANDIN_DEVICE_TOKEN_VIN_5YJ3E1EA7KF317000": "car-token-0123456789",
    "STANDIN_DEVICE_TOKEN_FR_88_2210": "fridge-token-0123456789",
    "STANDIN_DEVICE_TOKEN_WM_3341": "water-token-0123456789",
    "STANDIN_DEVICE_TOKEN_RT_5521": "router-token-0123456789",
}
BEARER = {
    CAR: "Bearer car-token-0123456789",
    FRIDGE: "Bearer fridge-token-0123456789",
    WATER: "Bearer water-token-0123456789",
    ROUTER: "Bearer router-token-0123456789",
}
DAY = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)  # a Monday morning in Lisbon
NIGHT = datetime(2026, 11, 24, 0, 30, tzinfo=timezone.utc)  # 00:30 in Lisbon


class Owner:
    """The owner's preferences, changeable per test."""

    def __init__(self) -> None:
        self.prefs = Preferences(
            quiet_hours_start="22:00",
            quiet_hours_end="07:00",
            auto_report_device_faults=True,
            auto_submit_meter_readings=True,
        )


@pytest.fixture
def owner() -> Owner:
    return Owner()


@pytest.fixture
def intake(any_store: CaseMemory, owner: Owner) -> TelemetryIntake:
    woken: list[str] = []
    taken = TelemetryIntake(
        profile=load_profile(PROJECT_ROOT / "owner.yml"),
        config=load_telemetry_config(),
        store=DeviceStore(any_store.engine),
        memory=any_store,
        notices=NoticeOutbox(any_store.engine),
        preferences=lambda: owner.prefs,
        conversation_id="owner-test",
        output_channel="callback",
        token_of=TOKENS.get,
    )
    taken.on_work = lambda: woken.append("work")
    taken.woken = woken  # type: ignore[attr-defined]
    return taken


def post(intake: TelemetryIntake, device: str, body: Any, auth: str | None = "") -> tuple[int, Any]:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return intake.receive(device, BEARER.get(device) if auth == "" else auth, raw)


def fault(n: int, at: datetime = DAY, code: str = "CHG-PORT-07") -> dict[str, Any]:
    return {"event_id": f"f-{n}", "at": at.isoformat(), "type": "fault", "code": code}


def reading(n: int, value: float, at: datetime) -> dict[str, Any]:
    iso = at.isoformat()
    return {"event_id": f"r-{n}", "at": iso, "type": "meter_reading", "value": value, "unit": "m3"}


def metric(n: int, name: str, value: float, at: datetime) -> dict[str, Any]:
    return {
        "event_id": f"m-{n}",
        "at": at.isoformat(),
        "type": "metric",
        "metric": name,
        "value": value,
    }


def count(intake: TelemetryIntake, table: Any) -> int:
    with intake.store.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def rows(intake: TelemetryIntake, table: Any) -> list[dict[str, Any]]:
    with intake.store.engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(table)).mappings().all()]


@pytest.mark.parametrize(
    ("device", "auth"),
    [
        (CAR, None),
        (CAR, "Bearer wrong"),
        (CAR, BEARER[FRIDGE]),  # another device's token
        ("VIN-NOT-MINE", "Bearer car-token-0123456789"),
        ("WM-23-9911", "Bearer anything"),  # a device with no token configured
    ],
)
def test_a_bad_credential_gets_401_and_changes_nothing(intake, device, auth) -> None:
    status, body = post(intake, device, fault(1), auth)
    assert status == 401
    assert body["error"]["code"] == "unauthorized"
    assert count(intake, telemetry_events) == 0


@pytest.mark.parametrize(
    ("device", "body", "field"),
    [
        (CAR, b"{not json", "body"),
        (CAR, json.dumps({**fault(1), "detail": "x" * 20000}).encode(), "body"),
        (CAR, {"event_id": "x", "at": "2026-11-23T10:00:00Z", "type": "fault"}, "code"),
        (CAR, {"event_id": "x", "at": "2026-11-23T10:00:00", "type": "fault", "code": "E"}, "at"),
        (CAR, {"event_id": "x", "at": "2026-11-23T10:00:00Z", "type": "gossip"}, "type"),
        (CAR, {**fault(1), "severity": "catastrophic"}, "severity"),
        (CAR, {**fault(1), "event_id": "has spaces"}, "event_id"),
        (CAR, {**fault(1), "extra": 1}, "extra"),
        (FRIDGE, metric(1, "temperature_c", float("nan"), DAY), "value"),  # JSON's NaN
        (CAR, reading(1, 10.0, DAY), "type"),  # a car has no meter
        (WATER, {**reading(1, 10.0, DAY), "unit": "kWh"}, "unit"),
        (WATER, {**reading(1, 10.0, DAY), "value": -1}, "value"),
    ],
)
def test_a_bad_body_gets_422_naming_the_field_and_changes_nothing(intake, device, body, field):
    status, answer = post(intake, device, body)
    assert status == 422, answer
    assert answer["error"]["details"]["field"] == field, answer
    assert count(intake, telemetry_events) == 0
    assert count(intake, device_incidents) == 0


def test_the_same_event_twice_is_taken_once(intake) -> None:
    status, body = post(intake, CAR, fault(1))
    assert (status, body["status"], body["detected"]) == (202, "accepted", ["car_charging_port"])
    status, body = post(intake, CAR, fault(1))
    assert (status, body["status"]) == (200, "duplicate")
    assert count(intake, telemetry_events) == 1
    assert count(intake, device_incidents) == 1


def test_a_fault_repeating_every_minute_opens_one_incident(intake) -> None:
    for n in range(5):
        post(intake, CAR, fault(n, DAY + timedelta(minutes=n)))
    (incident,) = rows(intake, device_incidents)
    assert incident["stage"] == "report" and incident["repeats"] == 4
    assert incident["open_key"] == f"{CAR}:car_charging_port"
    assert intake.woken  # type: ignore[attr-defined]
    # Another problem on the same device is an incident of its own.
    post(intake, CAR, fault(9, DAY, code="BMS-COOL-01"))
    assert count(intake, device_incidents) == 2


def test_a_threshold_opens_an_incident_only_once_it_has_held(intake) -> None:
    for n in range(6):  # 25 minutes above 8 °C
        _, body = post(
            intake, FRIDGE, metric(n, "temperature_c", 9.5, DAY + timedelta(minutes=5 * n))
        )
        assert body["detected"] == []
    _, body = post(intake, FRIDGE, metric(6, "temperature_c", 9.8, DAY + timedelta(minutes=30)))
    assert body["detected"] == ["fridge_warm"]
    assert count(intake, device_incidents) == 1


def test_with_automatic_reports_off_the_owner_is_asked_first(intake, owner) -> None:
    owner.prefs = owner.prefs.copy(update={"auto_report_device_faults": False})
    post(intake, CAR, fault(1))
    (incident,) = rows(intake, device_incidents)
    assert incident["stage"] == ASK_OWNER
    (notice,) = rows(intake, notices)
    assert notice["kind"] == "device_problem_noticed" and notice["status"] == "pending"
    assert not intake.woken  # type: ignore[attr-defined]  (nothing for the worker to do)


def test_in_quiet_hours_a_question_waits_for_morning_but_a_leak_does_not(intake, owner) -> None:
    owner.prefs = owner.prefs.copy(update={"auto_report_device_faults": False})
    post(intake, CAR, fault(1, NIGHT))
    for n in range(14):  # two hours and more of flow at night
        post(intake, WATER, metric(n, "flow_l_per_min", 0.8, NIGHT + timedelta(minutes=10 * n)))
    car, leak = rows(intake, notices)  # both ask the owner: automatic reports are off
    assert car["status"] == DEFERRED and not car["urgent"]
    assert car["hold_until"] == datetime(2026, 11, 24, 7, 0)  # 07:00 Lisbon, naive UTC
    assert leak["status"] == "pending" and leak["urgent"]
    # The world's clock passing 07:00 releases the held one.
    assert intake.notices.release_deferred(datetime(2026, 11, 24, 7, 1, tzinfo=timezone.utc)) == 1
    assert {n["status"] for n in rows(intake, notices)} == {"pending"}


def test_a_reading_that_goes_backwards_or_jumps_is_held_and_shown(intake) -> None:
    start = datetime(2026, 11, 2, 6, 0, tzinfo=timezone.utc)
    post(intake, WATER, reading(1, 1204.5, start))
    status, body = post(intake, WATER, reading(2, 1201.0, start + timedelta(hours=1)))
    assert (status, body["status"], body["reason"]) == (202, "held", "went_backwards")
    _, body = post(intake, WATER, reading(3, 1604.5, start + timedelta(hours=2)))
    assert (body["status"], body["reason"]) == ("held", "implausible_jump")
    held = [n for n in rows(intake, notices) if n["kind"] == "meter_reading_held"]
    assert len(held) == 2
    assert count(intake, meter_submissions) == 1  # only the first, plausible one


def test_one_submission_per_period_whatever_the_samples(intake, owner) -> None:
    for day in range(40):
        at = datetime(2026, 11, 10, 6, 0, tzinfo=timezone.utc) + timedelta(days=day)
        post(intake, WATER, reading(day, 1204.5 + 0.3 * day, at))
    subs = sorted(rows(intake, meter_submissions), key=lambda r: r["period"])
    assert [s["period"] for s in subs] == ["2026-11", "2026-12"]
    assert [s["value"] for s in subs] == [1204.5, pytest.approx(1204.5 + 0.3 * 21)]
    assert {s["status"] for s in subs} == {PENDING}
    assert subs[0]["idempotency_key"] == "standin:meter:WM-3341:2026-11"


def test_with_automatic_submission_off_the_due_reading_is_offered(intake, owner) -> None:
    owner.prefs = owner.prefs.copy(update={"auto_submit_meter_readings": False})
    post(intake, WATER, reading(1, 1205.0, DAY))
    (sub,) = rows(intake, meter_submissions)
    assert sub["status"] == AWAITING_OWNER
    assert [n["kind"] for n in rows(intake, notices)] == ["meter_reading_due"]
