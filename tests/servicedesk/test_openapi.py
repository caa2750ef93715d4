"""The desk's OpenAPI document is valid OpenAPI 3.0 and true to what the desk answers.

The document is read over HTTP from a running desk and checked with third-party validators:
openapi-spec-validator for the document itself, openapi-schema-validator (OpenAPI 3.0.3 schema
semantics, `nullable` included) for each answer. Every desk the suite starts also checks its own
answers (SERVICE_DESK_CHECK_RESPONSES, see tests/conftest.py); the last test here shows that
checker catching what it must.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from jsonschema import RefResolutionError, RefResolver
from openapi_schema_validator import OAS30Validator
from openapi_schema_validator._format import oas30_format_checker
from openapi_spec_validator import openapi_v30_spec_validator

from tests.conftest import MACHINE, START_TIME, DeskProcess

ALEX = "sk-nimbus-demo"  # Nimbus Telecom, account NT-908812
WATER = "sk-aquaflow-demo"  # AquaFlow Water: meter WM-3341 in m3
MISSING_ID = "NOPE-0"
# The smallest valid body of each POST with a path parameter, so that the unknown id is what
# answers (the body is validated first). A new such route needs its entry here.
VALID_BODIES = {
    "Dtmf": {"digits": "1"},
    "CallbackCreate": {"phone_number": "+15550100"},
    "TransferCreate": {"phone_number": "+15550100"},
    "Reschedule": {"slot_id": "SLOT-x"},
    "NoteCreate": {"text": "more"},
    "TicketEscalate": {"reason": "too slow"},
    "SimTicketStatus": {"status": "resolved"},
}


class Document:
    """The desk's /openapi.json, and what is wrong with an answer according to it."""

    def __init__(self, doc: dict[str, Any]) -> None:
        self.doc = doc
        self.resolver = RefResolver.from_schema(doc, id_of=lambda _schema: "")
        self.templates = [
            (re.compile("^" + re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(p)) + "$"), p)
            for p in doc["paths"]
        ]

    def template(self, method: str, url: str) -> str:
        path, verb = url.split("?")[0], method.lower()
        if verb in self.doc["paths"].get(path, {}):
            return path  # a literal path (/v1/appointments/slots) before any template
        for pattern, template in self.templates:
            if pattern.match(path) and verb in self.doc["paths"][template]:
                return template
        raise AssertionError(f"{method} {path} is not an operation of the document")

    def problems(self, method: str, url: str, status: int, body: Any) -> list[str]:
        template = self.template(method, url)
        responses = self.doc["paths"][template][method.lower()]["responses"]
        where = f"{method} {url} -> {status}"
        if str(status) not in responses:
            return [f"{where}: status not documented (documented: {sorted(responses)})"]
        schema = responses[str(status)].get("content", {}).get("application/json", {})
        if "schema" not in schema:
            return []
        validator = OAS30Validator(
            schema["schema"], resolver=self.resolver, format_checker=oas30_format_checker
        )
        return [
            f"{where}: at /{'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in validator.iter_errors(body)
        ]


class Recorder:
    """Sends requests to the desk and collects every answer's disagreement with the document."""

    def __init__(self, desk: DeskProcess, document: Document) -> None:
        self.desk = desk
        self.document = document
        self.problems: list[str] = []
        self.statuses: dict[tuple[str, str], set[int]] = {}

    def __call__(self, method: str, url: str, **kw: Any) -> tuple[int, dict[str, str], Any]:
        status, headers, body = self.desk.request(method, url, **kw)
        self.problems += self.document.problems(method, url, status, body)
        template = self.document.template(method, url)
        self.statuses.setdefault((method, template), set()).add(status)
        return status, headers, body


@pytest.fixture
def document(desk: DeskProcess) -> Document:
    status, _, doc = desk.get("/openapi.json")
    assert status == 200
    return Document(doc)


@pytest.fixture
def send(desk: DeskProcess, document: Document) -> Recorder:
    return Recorder(desk, document)


def spec_errors(doc: dict[str, Any]) -> list[str]:
    try:
        return [str(e).split("\n")[0] for e in openapi_v30_spec_validator.iter_errors(doc)]
    except RefResolutionError as err:  # the validator raises on a reference it cannot follow
        return [f"unresolvable reference: {err}"]


def test_the_document_is_valid_openapi_3_0(document: Document) -> None:
    assert document.doc["openapi"] == "3.0.3"
    assert spec_errors(document.doc) == []
    # What pydantic writes and OpenAPI 3.0 does not accept is translated, not passed through.
    text = json.dumps(document.doc)
    assert "#/definitions/" not in text
    seconds = document.doc["components"]["schemas"]["Advance"]["properties"]["seconds"]
    assert seconds["minimum"] == 0 and seconds["exclusiveMinimum"] is True
    latency = document.doc["components"]["schemas"]["Faults"]["properties"]["latency_ms"]
    assert latency["items"]["type"] == "integer" and latency["maxItems"] == 2


def test_answers_with_null_fields_match_the_document(send: Recorder) -> None:
    """Optional fields come back as null: the document must say they may."""
    headers = {"X-Machine-Customer": MACHINE}
    ticket = {
        "provider": "nimbus-telecom",
        "category": "internet",
        "summary": "Internet down",
        "description": "The router shows a red light.",
        "severity": "high",
        "on_behalf_of": {"name": "Alex Morgan"},
    }
    status, _, created = send("POST", "/v1/tickets", json=ticket, key=ALEX, headers=headers)
    assert status == 201 and created["device_id"] is None and created["question"] is None
    send("GET", f"/v1/tickets/{created['id']}", key=ALEX)
    send("GET", "/v1/tickets?status=open", key=ALEX)
    status, _, call = send(
        "POST", "/v1/calls", json={"provider": "nimbus-telecom", "reason": "bill"}, key=ALEX
    )
    assert status == 201 and call["agent"] is None and call["callback"] is None
    send("GET", f"/v1/calls/{call['id']}", key=ALEX)
    send("GET", "/v1/calls?state=ivr", key=ALEX)
    status, _, slots = send("GET", "/v1/appointments/slots", key=ALEX)
    assert status == 200 and slots["slots"][0]["location"]["city"] is None
    slot_id = slots["slots"][0]["slot_id"]
    status, _, appointment = send("POST", "/v1/appointments", json={"slot_id": slot_id}, key=ALEX)
    assert status == 201 and appointment["ticket_id"] is None and appointment["notes"] is None
    status, _, order = send(
        "POST", "/v1/parts/orders", json={"sku": "NT-HH5-PSU", "quantity": 1}, key=ALEX
    )
    assert status == 201 and order["shipped_at"] is None
    for url in ("/v1/providers", "/v1/providers/nimbus-telecom", "/v1/account", "/v1/parts"):
        assert send("GET", url, key=ALEX)[0] == 200
    send("GET", "/v1/appointments", key=ALEX)
    send("GET", "/v1/parts/orders", key=ALEX)
    send("GET", "/_sim/faults")
    assert send.problems == []


def _filled(template: str) -> str:
    return re.sub(r"\{\w+\}", MISSING_ID, template)


def test_every_operation_answers_bad_requests_as_documented(send: Recorder) -> None:
    """No key, an unknown id, a body that is not JSON, a body that is not an object: for every
    operation, each answer's status is documented and its body fits that status's schema."""
    for template, item in send.document.doc["paths"].items():
        for method, operation in item.items():
            method = method.upper()
            url = _filled(template)
            if operation.get("security"):
                assert send(method, url)[0] == 401
            body = None
            if method == "POST":
                assert send(method, url, key=ALEX, data=b"{not json")[0] == 400
                assert send(method, url, key=ALEX, json=[1])[0] == 422
                request_body = operation.get("requestBody", {})
                if "{" in template and request_body.get("required"):
                    name = request_body["content"]["application/json"]["schema"]["$ref"]
                    body = VALID_BODIES.get(name.rsplit("/", 1)[1], {})
            status = send(method, url, key=ALEX, json=body)[0]
            if "{" in template:
                assert status == 404, (method, template, status)
    assert send.problems == []


def test_conflicts_limits_and_faults_are_documented(desk: DeskProcess, send: Recorder) -> None:
    # 409: an Idempotency-Key reused for another request.
    key = {"Idempotency-Key": "openapi-test-1"}
    call = {"provider": "nimbus-telecom", "reason": "bill"}
    status, _, placed = send("POST", "/v1/calls", json=call, key=ALEX, headers=key)
    assert status == 201
    assert send("POST", "/v1/calls", json={**call, "reason": "x"}, key=ALEX, headers=key)[0] == 409
    # 409: a call that left the phone menu takes no digits.
    assert send("POST", f"/v1/calls/{placed['id']}/hangup", json={}, key=ALEX)[0] == 200
    assert send("POST", f"/v1/calls/{placed['id']}/dtmf", json={"digits": "1"}, key=ALEX)[0] == 409
    # 409: a slot taken twice.
    slot = send("GET", "/v1/appointments/slots", key=ALEX)[2]["slots"][0]["slot_id"]
    assert send("POST", f"/_sim/slots/{slot}/take")[0] == 200
    assert send("POST", f"/_sim/slots/{slot}/take")[0] == 409
    # 404: readings of a meter that is not the account's.
    assert send("GET", f"/v1/meter-readings?meter_id={MISSING_ID}", key=ALEX)[0] == 404
    # 422: a reading in the wrong unit, one that goes backwards.
    reading = {"meter_id": "WM-3341", "value": 9999, "unit": "kWh", "read_at": START_TIME}
    assert send("POST", "/v1/meter-readings", json=reading, key=WATER)[2]["error"]["code"] == (
        "unit_mismatch"
    )
    status, _, body = send(
        "POST", "/v1/meter-readings", json={**reading, "value": 1, "unit": "m3"}, key=WATER
    )
    assert status == 422 and body["error"]["code"] == "reading_decreased"
    # 429 from the rate limit (burst 1, then about 1000 s to wait).
    assert send("POST", "/_sim/rate-limit", json={"rate": 0.001})[0] == 200
    assert send("GET", "/v1/providers", key=ALEX)[0] == 200
    status, headers, _ = send("GET", "/v1/providers", key=ALEX)
    assert status == 429 and int(headers["retry-after"]) > 0
    assert send("POST", "/_sim/rate-limit", json={"rate": 0})[0] == 200
    # 429, 503 and 504 injected.
    for faults, expected in (
        ({"rate_limit_rate": 1}, 429),
        ({"error_rate": 1}, 503),
        ({"timeout_rate": 1, "timeout_s": 0}, 504),
    ):
        assert send("POST", "/_sim/faults", json=faults)[0] == 200
        assert send("POST", "/v1/tickets", json={}, key=ALEX)[0] == expected
        assert send("GET", f"/v1/calls/{placed['id']}", key=ALEX)[0] == expected
    assert send("POST", "/_sim/faults")[0] == 200  # an empty body clears them
    assert send.problems == []


def test_sim_paths_answer_404_as_documented_when_sim_control_is_off(
    desk_factory: Any, document: Document
) -> None:
    off = desk_factory(env={"SERVICE_DESK_SIM_CONTROL": "0"})
    recorder = Recorder(off, document)
    assert recorder("GET", "/_sim/state")[0] == 404
    assert recorder("POST", "/_sim/advance", json={"seconds": 1})[0] == 404
    assert recorder.problems == []


def test_the_desk_records_answers_that_do_not_match(tmp_path: Path, document: Document) -> None:
    """The checker every test desk runs: an undocumented status and a null where the document
    allows none are recorded, without the value; a matching answer is not."""
    from servicedesk.response_check import ResponseChecker

    out = tmp_path / "violations.jsonl"
    checker = ResponseChecker(document.doc, out)
    good = json.dumps({"status": "ok", "now": START_TIME}).encode()
    assert checker.check("GET", "/health", "/health", 200, "application/json", good) == []
    assert not out.exists()
    bad = json.dumps({"status": None}).encode()
    found = checker.check("GET", "/health", "/health", 200, "application/json", bad)
    assert found == [
        {
            "problem": "body does not match the schema",
            "at": "/status",
            "rule": "type",
            "expected": "string",
            "got_type": "null",
        }
    ]
    secret = json.dumps({"status": ["secret words"]}).encode()
    found = checker.check("GET", "/health", "/health", 200, "application/json", secret)
    assert [(p["at"], p["got_type"]) for p in found] == [("/status", "array")]
    url = "/v1/tickets/TCK-1"
    assert checker.check("GET", "/v1/tickets/{ticket_id}", url, 418, "application/json", b"{}")
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    assert [(line["operation"], line["status"]) for line in lines] == [
        ("/health", 200),
        ("/health", 200),
        ("/v1/tickets/{ticket_id}", 418),
    ]
    assert lines[2]["url_path"] == url
    assert lines[2]["problems"][0]["problem"] == "status not documented"
    assert "secret words" not in out.read_text()
    # The file's folder removed meanwhile (a temp dir cleaned up): made again, not an error.
    moved = tmp_path / "gone" / "violations.jsonl"
    checker.out_path = moved
    assert checker.check("GET", "/health", "/health", 200, "application/json", bad)
    assert len(moved.read_text().splitlines()) == 1
