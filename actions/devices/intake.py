"""`POST /telemetry/{device_id}`: a device's event taken in, judged and remembered.

In order, and nothing is changed unless all of it passes:
1. the device is the owner's and shows its own token (`Authorization: Bearer ...`): else 401;
2. the body is one valid event for that device (pydantic; a meter's unit): else 422 naming the
   field;
3. an event id the device sent before is answered 200 `duplicate` and changes nothing.

Then, in one transaction, the event is stored and judged:
- a meter reading that goes backwards or jumps implausibly is held back and the owner told;
  a plausible one that is the first of its billing period (telemetry.yml's schedule) becomes
  that period's submission, sent once by the worker (or offered to the owner when automatic
  submission is off);
- a fault code or a metric past its threshold that the diagnosis table names becomes an
  incident, unless an open one covers the same problem on the same device (a fault repeating
  every minute opens one ticket). The worker takes it from there.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from actions.devices.config import Problem, TelemetryConfig
from actions.devices.diagnosis import code_matches, implausible, period_of, threshold_held, window
from actions.devices.telemetry_models import (
    FaultEvent,
    MeterReadingEvent,
    MetricEvent,
    TelemetryAccepted,
    TelemetryBody,
    TelemetryEvent,
)
from actions.owner.profile import Account, Device, Meter, OwnerProfile, Preferences
from actions.owner.quiet_hours import in_quiet_hours, quiet_window
from actions.store.case_memory import CaseMemory
from actions.store.devices import ASK_OWNER, AWAITING_OWNER, DISMISSED, PENDING, DeviceStore
from actions.store.notices import Notice, NoticeOutbox

logger = logging.getLogger(__name__)

FINAL_CASE = ("resolved", "closed", "cancelled")
ASK_AGAIN_AFTER = timedelta(days=1)
UNIT_ALIASES = {"kwh": "kWh", "m3": "m3", "m³": "m3", "m^3": "m3"}
SEVERITY_ORDER = ("low", "normal", "high", "urgent")
MAX_BODY_BYTES = 16 * 1024  # one event; a device never needs more
BRANCHES = ("MeterReadingEvent", "FaultEvent", "MetricEvent")


def error(status: int, code: str, message: str, field: str | None = None) -> dict[str, Any]:
    details = {"field": field} if field else {}
    return {"error": {"code": code, "message": message, "details": details}}


def _unit(unit: str) -> str:
    return UNIT_ALIASES.get(unit.strip().lower(), unit.strip())


def _higher(a: str, b: str) -> str:
    return max(a, b, key=lambda s: SEVERITY_ORDER.index(s) if s in SEVERITY_ORDER else 1)


@dataclass
class Judged:
    status: str = "accepted"
    reason: str | None = None
    detected: list[str] | None = None
    notices: int = 0
    work: bool = False


class TelemetryIntake:
    def __init__(
        self,
        profile: OwnerProfile,
        config: TelemetryConfig,
        store: DeviceStore,
        memory: CaseMemory,
        notices: NoticeOutbox,
        preferences: Callable[[], Preferences],
        conversation_id: str,
        output_channel: str,
        token_of: Callable[[str], str | None],
    ) -> None:
        self.profile = profile
        self.config = config
        self.store = store
        self.memory = memory
        self.notices = notices
        self.preferences = preferences
        self.conversation_id = conversation_id
        self.output_channel = output_channel
        self.token_of = token_of  # the device's token from the environment, or None
        self.on_work: Callable[[], None] = lambda: None  # wakes the device worker

    # --- the boundary -----------------------------------------------------------------------

    def receive(
        self, device_id: str, authorization: str | None, raw: bytes
    ) -> tuple[int, dict[str, Any]]:
        found = self.profile.reporter(device_id)
        token = self.token_of(found[1].token_variable()) if found else None
        given = (authorization or "").removeprefix("Bearer ").strip()
        if found is None or not token or not hmac.compare_digest(given.encode(), token.encode()):
            # The same answer for an unknown device: whether it exists is not revealed.
            return 401, error(401, "unauthorized", "a valid device token is required")
        account, item = found
        if len(raw) > MAX_BODY_BYTES:
            return 422, error(
                422, "too_large", f"one event is at most {MAX_BODY_BYTES} bytes", "body"
            )
        try:
            payload = json.loads(raw or b"null")
        except ValueError:
            return 422, error(422, "invalid_json", "the body is not JSON", "body")
        try:
            event = TelemetryBody.parse_obj(payload).__root__
        except ValidationError as err:
            first = err.errors()[0]
            loc = [str(p) for p in first["loc"] if p != "__root__"]
            if loc and loc[0] in BRANCHES:
                loc = loc[1:]  # the union's branch is not a field
            if not loc and "discriminator" in first["type"]:
                loc = ["type"]
            field = ".".join(loc) or "body"
            return 422, error(422, "validation_error", f"{field}: {first['msg']}", field)
        problem = self._fits_device(event, item)
        if problem is not None:
            return 422, problem
        try:
            judged = self._take(account, item, event)
        except IntegrityError:
            judged = None  # the same event id, sent twice at once: the other one was stored
        if judged is None:
            body = TelemetryAccepted(
                event_id=event.event_id, device_id=device_id, status="duplicate"
            )
            return 200, body.dict()
        if judged.notices:
            self.notices.queued()
        if judged.work:
            self.on_work()
        body = TelemetryAccepted(
            event_id=event.event_id,
            device_id=device_id,
            status=judged.status,  # type: ignore[arg-type]
            reason=judged.reason,
            detected=judged.detected or [],
        )
        return 202, body.dict()

    @staticmethod
    def _fits_device(event: TelemetryEvent, item: Device | Meter) -> dict[str, Any] | None:
        is_meter = isinstance(item, Meter)
        if isinstance(event, MeterReadingEvent):
            if not is_meter:
                return error(
                    422, "validation_error", f"a {item.kind} sends no meter readings", "type"
                )
            if _unit(event.unit) != _unit(item.unit):
                return error(
                    422,
                    "unit_mismatch",
                    f"meter {item.id} measures {item.unit}, not {event.unit}",
                    "unit",
                )
        return None

    # --- judging, in one transaction --------------------------------------------------------

    def _take(self, account: Account, item: Device | Meter, event: TelemetryEvent) -> Judged | None:
        prefs = self.preferences()
        judged = Judged()
        with self.store.engine.begin() as conn:
            if self.store.has_event(conn, item.id, event.event_id):
                return None
            values: dict[str, Any] = {
                "event_id": event.event_id,
                "type": event.type,
                "at": event.at,
            }
            if isinstance(event, MeterReadingEvent):
                self._reading(conn, account, item, event, prefs, judged)  # type: ignore[arg-type]
                values |= {"value": event.value, "unit": _unit(event.unit)}
            elif isinstance(event, FaultEvent):
                values |= {"code": event.code, "severity": event.severity, "detail": event.detail}
            elif isinstance(event, MetricEvent):
                values |= {"metric": event.metric, "value": event.value}
            values |= {"status": judged.status, "reason": judged.reason}
            self.store.add_event(conn, item.id, values)
            if not isinstance(event, MeterReadingEvent):
                self._diagnose(conn, account, item, event, prefs, judged)
        released = self.notices.release_deferred(event.at)  # the device's clock says it's later
        if released:
            logger.info("%d notice(s) held for quiet hours released", released)
        return judged

    def _reading(
        self,
        conn: Connection,
        account: Account,
        meter: Meter,
        event: MeterReadingEvent,
        prefs: Preferences,
        judged: Judged,
    ) -> None:
        last = self.store.last_reading(conn, meter.id)
        limit = self.config.plausibility.get(meter.kind)
        reason = implausible(event.value, event.at, last, limit.max_per_hour if limit else None)
        if reason is not None:
            judged.status, judged.reason = "held", reason
            judged.notices += self._notify(
                conn,
                Notice(
                    "meter_reading_held",
                    {
                        "meter_id": meter.id,
                        "kind": meter.kind,
                        "value": event.value,
                        "unit": meter.unit,
                        "previous": last.value if last else None,
                        "reason": reason,
                        "at": event.at.isoformat(),
                    },
                    subject=meter.id,
                    dedupe_key=f"telemetry:{meter.id}:{event.event_id}:held",
                ),
                event.at,
                prefs,
            )
            return
        schedule = self.config.meter_schedules.get(account.provider)
        if schedule is None:
            return
        period = period_of(event.at, schedule, self.profile.owner.timezone)
        if self.store.has_submission(conn, meter.id, period):
            return  # this period's reading is taken: one per period, never more
        auto = prefs.auto_submit_meter_readings
        submission_id = self.store.add_submission(
            conn,
            meter_id=meter.id,
            provider=account.provider,
            period=period,
            event_id=event.event_id,
            value=event.value,
            unit=meter.unit,
            read_at=event.at,
            conversation_id=self.conversation_id,
            status=PENDING if auto else AWAITING_OWNER,
            # The same key for every attempt: the company records the period's reading once.
            idempotency_key=f"standin:meter:{meter.id}:{period}",
        )
        judged.work = auto
        if not auto:
            judged.notices += self._notify(
                conn,
                Notice(
                    "meter_reading_due",
                    {
                        "submission_id": submission_id,
                        "meter_id": meter.id,
                        "kind": meter.kind,
                        "provider": account.provider,
                        "value": event.value,
                        "unit": meter.unit,
                        "period": period,
                    },
                    subject=meter.id,
                    dedupe_key=f"meter:{meter.id}:{period}:due",
                ),
                event.at,
                prefs,
            )

    def _diagnose(
        self,
        conn: Connection,
        account: Account,
        item: Device | Meter,
        event: FaultEvent | MetricEvent,
        prefs: Preferences,
        judged: Judged,
    ) -> None:
        judged.detected = []
        for problem in self.config.problems_for(item.kind):
            if problem.provider != account.provider:
                continue  # the table names the company; the owner's account there is the one
            if not self._signalled(conn, problem, item, event):
                continue
            judged.detected.append(problem.id)
            self._incident(conn, problem, item, event, prefs, judged)

    def _signalled(
        self, conn: Connection, problem: Problem, item: Device | Meter, event: TelemetryEvent
    ) -> bool:
        signal = problem.signal
        if isinstance(event, FaultEvent):
            return code_matches(problem, event.code)
        if not isinstance(event, MetricEvent) or signal.metric != event.metric:
            return False
        samples = self.store.metric_samples(conn, item.id, event.metric, event.at, window(signal))
        return threshold_held(signal, samples, self.profile.owner.timezone)

    def _incident(
        self,
        conn: Connection,
        problem: Problem,
        item: Device | Meter,
        event: FaultEvent | MetricEvent,
        prefs: Preferences,
        judged: Judged,
    ) -> None:
        existing = self.store.open_incident(conn, item.id, problem.id)
        if existing is not None:
            case = (
                self.memory.case(existing.provider, existing.ticket_id)
                if existing.ticket_id
                else None
            )
            over = case is not None and case.status in FINAL_CASE
            # A "no" from the owner stands while the problem keeps recurring; after a day of
            # silence a new occurrence is asked about again.
            if existing.stage == DISMISSED and event.at - existing.last_at > ASK_AGAIN_AFTER:
                over = True
            if not over:
                self.store.note_repeat(conn, existing.id, event.at)
                return  # covered: the open incident (and its ticket) already has it
            self.store.close(conn, existing.id)  # its case is over: this is a new occurrence
        severity = problem.severity
        if isinstance(event, FaultEvent):
            severity = _higher(severity, event.severity)
        auto = prefs.auto_report_device_faults
        detail = {
            "code": getattr(event, "code", None),
            "detail": getattr(event, "detail", None),
            "metric": getattr(event, "metric", None),
            "value": getattr(event, "value", None),
            "event_id": event.event_id,
        }
        incident_id = self.store.create_incident(
            conn,
            device_id=item.id,
            problem_id=problem.id,
            provider=problem.provider,
            stage="report" if auto else ASK_OWNER,
            severity=severity,
            conversation_id=self.conversation_id,
            first_at=event.at,
            last_at=event.at,
            data={"signal": detail, "detected_at": event.at.isoformat()},
        )
        judged.work = judged.work or auto
        if not auto:
            judged.notices += self._notify(
                conn,
                Notice(
                    "device_problem_noticed",
                    {"incident_id": incident_id, "provider": problem.provider},
                    subject=f"incident:{incident_id}",
                    urgent=severity == "urgent",
                    dedupe_key=f"incident:{incident_id}:noticed",
                ),
                event.at,
                prefs,
            )

    def _notify(self, conn: Connection, notice: Notice, at: datetime, prefs: Preferences) -> int:
        return int(
            add_device_notice(
                self.notices,
                conn,
                notice,
                self.conversation_id,
                self.output_channel,
                at,
                prefs,
                self.profile.owner.timezone,
            )
            is not None
        )


def add_device_notice(
    outbox: NoticeOutbox,
    conn: Connection,
    notice: Notice,
    conversation_id: str,
    output_channel: str,
    at: datetime,
    prefs: Preferences,
    tz: str,
) -> int | None:
    """Queue a device notice; outside urgent ones, held until the owner's quiet hours end
    (judged on the world's clock `at`, the device's or the company's)."""
    hold_until = None
    if not notice.urgent and in_quiet_hours(prefs, tz, at):
        hold_until = quiet_window(prefs, tz, at)[0]
    return outbox.add(conn, notice, conversation_id, output_channel, hold_until=hold_until)
