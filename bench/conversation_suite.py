"""The conversation suite: free-text scenarios judged by what happened at the companies.

Each scenario (tests/conversations/*.yml; blind ones under blind/) is a few lines an owner
types, in a conversation of its own, with the desk reset to its seed and Stand-in's memory
emptied first. It passes when:
- the effects at the companies (the desk's state after, against before) are exactly the ones it
  expects, each once, and nothing else happened at any company;
- every `told` pattern matches some reply, and no `never_told` pattern matches any;
- no reply contradicts itself: one turn never both closes the subject ("OK. Anything else I can
  do for you?", a greeting, "stopped") and asks a question.

Used by `python -m bench conversations` (every scenario, the share that passes in
docs/performance.md) and by tests/e2e/test_conversations.py (the scenarios marked `fast`).
"""

from __future__ import annotations

import re
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, Extra, Field, ValidationError, conlist, constr, validator

from launcher.conversation import http_json, owner_headers

SCENARIO_DIR = Path(__file__).resolve().parent.parent / "tests" / "conversations"

EffectKind = Literal[
    "ticket_opened",
    "note_added",
    "ticket_cancelled",
    "ticket_escalated",
    "call_placed",
    "callback_requested",
    "call_hung_up",
    "appointment_booked",
    "appointment_cancelled",
    "appointment_rescheduled",
    "part_ordered",
    "meter_reading",
]
# The question asked before acting on a doubtful reading (actions/journeys/intent_choice.py).
CONFIRMATION = "utter_ask_chosen_intent"
# Responses that close the subject: none of them may share a turn with a question.
CLOSING = {
    "utter_anything_else",
    "utter_greet",
    "utter_goodbye",
    "utter_task_stopped",
    "utter_nothing_to_stop",
    "utter_you_are_welcome",
}


class ExpectedEffect(BaseModel):
    class Config:
        extra = Extra.forbid

    kind: EffectKind
    provider: constr(min_length=1)  # type: ignore[valid-type]
    category: str | None = None
    severity: str | None = None
    service: str | None = None
    sku: str | None = None
    meter: str | None = None


class Scenario(BaseModel):
    class Config:
        extra = Extra.forbid

    id: constr(regex=r"^[a-z0-9][a-z0-9-]*$")  # type: ignore[valid-type]
    say: conlist(constr(min_length=1), min_items=1, max_items=8)  # type: ignore[valid-type]
    effects: list[ExpectedEffect]
    told: list[str] = []
    never_told: list[str] = []
    note: str | None = None
    fast: bool = False  # also run in `make test` (tests/e2e/test_conversations.py)
    blind: bool = Field(False, description="set from the file's place, never in the file")

    @validator("told", "never_told", each_item=True)
    def _a_pattern(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as err:
            raise ValueError(f"not a regular expression: {err}") from None
        return value


class ScenarioError(ValueError):
    """A scenario file that is not valid: named, with the reason."""


def load_scenarios(root: Path = SCENARIO_DIR) -> list[Scenario]:
    """Every scenario under `root` (blind ones from `root/blind/`), ids unique."""
    scenarios: list[Scenario] = []
    for path in sorted(root.rglob("*.yml")):
        try:
            items = yaml.safe_load(path.read_text()) or []
        except yaml.YAMLError as err:
            raise ScenarioError(f"{path}: not YAML: {err}") from None
        if not isinstance(items, list):
            raise ScenarioError(f"{path}: a list of scenarios expected")
        blind = "blind" in path.relative_to(root).parts[:-1]
        for n, item in enumerate(items, start=1):
            if isinstance(item, dict) and "blind" in item:
                raise ScenarioError(f"{path} #{n}: `blind` comes from the file's place")
            try:
                scenarios.append(Scenario.parse_obj({**(item or {}), "blind": blind}))
            except (ValidationError, TypeError) as err:
                raise ScenarioError(f"{path} #{n}: {err}") from None
    seen = Counter(s.id for s in scenarios)
    twice = sorted(i for i, n in seen.items() if n > 1)
    if twice:
        raise ScenarioError(f"scenario ids used twice: {', '.join(twice)}")
    return scenarios


@dataclass(frozen=True)
class Effect:
    kind: str
    provider: str
    details: tuple[tuple[str, str], ...] = ()

    def detail(self, name: str) -> str | None:
        return dict(self.details).get(name)

    def __str__(self) -> str:
        extra = "".join(f", {k}={v}" for k, v in self.details)
        return f"{self.kind}({self.provider}{extra})"


def _by_id(rows: Iterable[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {row["id"]: row for row in rows}


def _machine_notes(ticket: dict[str, Any]) -> int:
    notes = ticket.get("notes") or []
    return sum(1 for n in notes if (n.get("client") or {}).get("kind") == "machine")


def effects_between(
    before: dict[str, Any], after: dict[str, Any], providers: dict[str, str] | None = None
) -> list[Effect]:
    """What was done at the companies between two `/_sim/state` snapshots of the desk.

    Only what a customer does counts: the desk's own simulation (a ticket moving to in progress,
    a queue moving, an agent's note) is not an effect. `providers`: account id -> provider id,
    for meter readings (the desk keeps a reading by account)."""
    found: list[Effect] = []
    old = _by_id(before.get("tickets", []))
    for tid, ticket in _by_id(after.get("tickets", [])).items():
        p = ticket["provider"]
        was = old.get(tid)
        if was is None:
            details = (("category", ticket["category"]), ("severity", ticket["severity"]))
            found.append(Effect("ticket_opened", p, details))
            was = {"notes": [], "status": "open", "escalated": False}
        found += [Effect("note_added", p)] * max(0, _machine_notes(ticket) - _machine_notes(was))
        if ticket["status"] == "cancelled" and was.get("status") != "cancelled":
            found.append(Effect("ticket_cancelled", p))
        if ticket.get("escalated") and not was.get("escalated"):
            found.append(Effect("ticket_escalated", p))
    old = _by_id(before.get("calls", []))
    for cid, call in _by_id(after.get("calls", [])).items():
        p = call["provider"]
        was = old.get(cid)
        if was is None:
            found.append(Effect("call_placed", p))
            was = {}
        if call.get("callback") and not was.get("callback"):
            found.append(Effect("callback_requested", p))
        hung_up = call.get("ended_reason") == "customer_hangup"
        if hung_up and was.get("ended_reason") != "customer_hangup":
            found.append(Effect("call_hung_up", p))
    # An appointment's history says each change, even several in one scenario (booked, moved).
    old = _by_id(before.get("appointments", []))
    changes = {"booked": "appointment_booked", "cancelled": "appointment_cancelled"}
    changes["rescheduled"] = "appointment_rescheduled"
    for aid, appt in _by_id(after.get("appointments", [])).items():
        seen = len((old.get(aid) or {}).get("history") or [])
        for entry in (appt.get("history") or [])[seen:]:
            kind = changes.get(str(entry.get("status")))
            if kind == "appointment_booked":
                found.append(Effect(kind, appt["provider"], (("service", appt["service"]),)))
            elif kind is not None:
                found.append(Effect(kind, appt["provider"]))
    old = _by_id(before.get("part_orders", []))
    for oid, order in _by_id(after.get("part_orders", [])).items():
        if oid not in old:
            found.append(Effect("part_ordered", order["provider"], (("sku", order["sku"]),)))
    old = _by_id(before.get("meter_readings", []))
    for rid, reading in _by_id(after.get("meter_readings", [])).items():
        if rid not in old:
            account = reading["account_id"]
            provider = (providers or {}).get(account, account)
            found.append(Effect("meter_reading", provider, (("meter", reading["meter_id"]),)))
    return found


def _matches(effect: Effect, wanted: ExpectedEffect) -> bool:
    if effect.kind != wanted.kind or effect.provider != wanted.provider:
        return False
    for name in ("category", "severity", "service", "sku", "meter"):
        value = getattr(wanted, name)
        if value is not None and effect.detail(name) != value:
            return False
    return True


def unexpected_effects(
    observed: list[Effect], expected: list[ExpectedEffect]
) -> tuple[list[ExpectedEffect], list[Effect]]:
    """(expected but missing, happened but not asked for), each effect matched at most once."""
    left = list(observed)
    missing = []
    for wanted in expected:
        hit = next((e for e in left if _matches(e, wanted)), None)
        if hit is None:
            missing.append(wanted)
        else:
            left.remove(hit)
    return missing, left


def contradictions(turns: list[list[str]]) -> list[str]:
    """Turns (the response names of each) that both close the subject and ask a question."""
    found = []
    for n, names in enumerate(turns, start=1):
        closing = [r for r in names if r in CLOSING]
        asking = [r for r in names if r.startswith("utter_ask_")]
        if closing and asking:
            found.append(f"turn {n}: {', '.join(closing)} with {', '.join(asking)}")
    return found


@dataclass
class Transcript:
    replies: list[list[str]] = field(default_factory=list)  # texts, per turn
    responses: list[list[str]] = field(default_factory=list)  # response names, per turn


@dataclass
class Verdict:
    scenario: str
    blind: bool
    passed: bool
    reasons: list[str]
    effects: list[str]
    transcript: Transcript

    def as_dict(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "blind": self.blind,
            "passed": self.passed,
            "reasons": self.reasons,
            "effects": self.effects,
            "replies": self.transcript.replies,
            "confirmations": self.confirmations,
        }

    @property
    def confirmations(self) -> int:
        """How many times the owner was asked which they meant before anything was done."""
        return sum(turn.count(CONFIRMATION) for turn in self.transcript.responses)


def judge(scenario: Scenario, observed: list[Effect], transcript: Transcript) -> Verdict:
    reasons = []
    missing, extra = unexpected_effects(observed, scenario.effects)
    reasons += [f"did not happen: {w.kind}({w.provider})" for w in missing]
    reasons += [f"not asked for: {e}" for e in extra]
    said = [text for turn in transcript.replies for text in turn]
    for pattern in scenario.told:
        if not any(re.search(pattern, text, re.I) for text in said):
            reasons.append(f"never told /{pattern}/")
    for pattern in scenario.never_told:
        hits = [text for text in said if re.search(pattern, text, re.I)]
        if hits:
            reasons.append(f'told /{pattern}/: "{hits[0][:120]}"')
    reasons += [f"contradicts itself in {c}" for c in contradictions(transcript.responses)]
    return Verdict(
        scenario.id, scenario.blind, not reasons, reasons, [str(e) for e in observed], transcript
    )


class SuiteTarget:
    """A running stack the suite talks to: Rasa's REST channel and API, and the desk."""

    def __init__(
        self,
        rasa_url: str,
        desk_url: str,
        owner_token: str,
        rasa_token: str,
        forget: Callable[[], None],
        providers: dict[str, str],
    ) -> None:
        self.rasa_url = rasa_url
        self.desk_url = desk_url
        self.owner_token = owner_token
        self.rasa_token = rasa_token
        self._forget = forget
        self.providers = providers

    def desk_state(self) -> dict[str, Any]:
        status, body = http_json("GET", f"{self.desk_url}/_sim/state")
        if status != 200 or not isinstance(body, dict):
            raise RuntimeError(f"the desk's state: {status} {body}")
        return body

    def fresh_start(self) -> None:
        """The desk back to its seed and Stand-in's memory emptied. Webhook subscriptions come
        back on the action server's own recheck; the judge reads the desk, not the webhooks."""
        status, body = http_json("POST", f"{self.desk_url}/_sim/reset")
        if status != 200:
            raise RuntimeError(f"desk reset: {status} {body}")
        http_json("POST", f"{self.desk_url}/_sim/faults", {})
        self._forget()

    def say(self, sender: str, text: str) -> tuple[list[str], list[str]]:
        """One owner message: the replies' texts and the names of the responses said."""
        status, replies = http_json(
            "POST",
            f"{self.rasa_url}/webhooks/rest/webhook",
            {"sender": sender, "message": text},
            headers=owner_headers(self.owner_token),
            timeout_s=120,
        )
        if status != 200 or not isinstance(replies, list):
            raise RuntimeError(f"Rasa answered {status}: {replies}")
        texts = [str(r.get("text") or "") for r in replies if r.get("text")]
        status, tracker = http_json(
            "GET",
            f"{self.rasa_url}/conversations/{sender}/tracker?token={self.rasa_token}",
        )
        if status != 200 or not isinstance(tracker, dict):
            raise RuntimeError(f"Rasa's tracker: {status}")
        names: list[str] = []
        for event in reversed(tracker.get("events") or []):
            if event.get("event") == "user":
                break
            if event.get("event") == "bot":
                names.append(str((event.get("metadata") or {}).get("utter_action") or ""))
        return texts, names[::-1]


def run_scenario(target: SuiteTarget, scenario: Scenario) -> Verdict:
    target.fresh_start()
    before = target.desk_state()
    sender = f"suite-{scenario.id}-{uuid.uuid4().hex[:8]}"
    transcript = Transcript()
    for line in scenario.say:
        texts, names = target.say(sender, line)
        transcript.replies.append(texts)
        transcript.responses.append(names)
    observed = effects_between(before, target.desk_state(), target.providers)
    return judge(scenario, observed, transcript)


def run_suite(
    target: SuiteTarget,
    scenarios: list[Scenario],
    log: Callable[[str], None] = lambda message: None,
) -> dict[str, Any]:
    """Every scenario, in order; the verdicts and the shares that passed."""
    started = time.monotonic()
    verdicts = []
    for n, scenario in enumerate(scenarios, start=1):
        verdict = run_scenario(target, scenario)
        verdicts.append(verdict)
        mark = "pass" if verdict.passed else "FAIL " + "; ".join(verdict.reasons)
        log(f"[{n}/{len(scenarios)}] {scenario.id}: {mark}")
    return summarise(verdicts, time.monotonic() - started)


def summarise(verdicts: list[Verdict], seconds: float) -> dict[str, Any]:
    def share(group: list[Verdict]) -> dict[str, Any]:
        passed = sum(v.passed for v in group)
        rate = round(passed / len(group), 3) if group else None
        return {"passed": passed, "of": len(group), "share": rate}

    unasked = [v for v in verdicts if any(r.startswith("not asked for") for r in v.reasons)]
    return {
        "all": share(verdicts),
        "main": share([v for v in verdicts if not v.blind]),
        "blind": share([v for v in verdicts if v.blind]),
        "with_an_effect_not_asked_for": [v.scenario for v in unasked],
        # Too many confirmations is a defect too: how many, in how many conversations.
        "confirmations": {
            "asked": sum(v.confirmations for v in verdicts),
            "conversations_asked": sum(v.confirmations > 0 for v in verdicts),
            "conversations": len(verdicts),
            "turns": sum(len(v.transcript.replies) for v in verdicts),
        },
        "seconds": round(seconds, 1),
        "verdicts": [v.as_dict() for v in verdicts],
    }
