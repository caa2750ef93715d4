"""Health, auth, the error shape, the directory, the account and the OpenAPI document."""

from __future__ import annotations

import re

from tests.conftest import DeskProcess

ALEX = "sk-nimbus-demo"
SAM = "sk-nimbus-sam"

TICKET = {
    "provider": "nimbus-telecom",
    "category": "internet",
    "summary": "Internet down",
    "description": "The router shows a red light.",
    "severity": "high",
    "device_id": "RT-5521",
    "on_behalf_of": {"name": "Alex Morgan", "account_id": "NT-908812"},
}


def assert_error(body, code):
    assert set(body) == {"error"}, body
    assert body["error"]["code"] == code, body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert isinstance(body["error"]["details"], dict)


def test_health_needs_no_key(desk):
    status, _, body = desk.get("/health")
    assert status == 200 and body["status"] == "ok"
    # A client attached by URL only (as for a desk started by the launcher) works the same.
    assert DeskProcess.attach(desk.url + "/").get("/health")[0] == 200


def test_missing_or_wrong_key_is_401(desk):
    status, headers, body = desk.get("/v1/tickets")
    assert status == 401
    assert_error(body, "unauthorized")
    assert "bearer" in headers.get("www-authenticate", "").lower()
    status, _, body = desk.get("/v1/providers", key="sk-nope")
    assert status == 401
    assert_error(body, "unauthorized")


def test_other_accounts_ticket_is_404(desk):
    status, _, ticket = desk.post("/v1/tickets", TICKET, key=ALEX)
    assert status == 201
    status, _, body = desk.get(f"/v1/tickets/{ticket['id']}", key=SAM)
    assert status == 404
    assert_error(body, "not_found")
    # Indistinguishable from a ticket that does not exist.
    status, _, missing = desk.get("/v1/tickets/TCK-DOESNOTEXIST", key=SAM)
    assert status == 404 and missing["error"]["code"] == body["error"]["code"]
    status, _, listing = desk.get("/v1/tickets", key=SAM)
    assert listing["tickets"] == []
    status, _, body = desk.post(f"/v1/tickets/{ticket['id']}/notes", {"text": "hi"}, key=SAM)
    assert status == 404


def test_client_is_recorded_as_machine_or_human(desk):
    _, _, machine = desk.post(
        "/v1/tickets", TICKET, key=ALEX, headers={"X-Machine-Customer": "Stand-in/0.1.0"}
    )
    assert machine["client"] == {"kind": "machine", "software": "Stand-in/0.1.0"}
    _, _, human = desk.post("/v1/tickets", TICKET, key=ALEX)
    assert human["client"] == {"kind": "human"}


def test_validation_error_names_the_field(desk):
    status, _, body = desk.post("/v1/tickets", {**TICKET, "severity": "catastrophic"}, key=ALEX)
    assert status == 422
    assert_error(body, "validation_error")
    assert [f["field"] for f in body["error"]["details"]["fields"]] == ["severity"]
    assert "severity" in body["error"]["message"]


def test_ticket_field_rules(desk):
    cases = [
        ({**TICKET, "category": "plumbing"}, "category"),
        ({**TICKET, "provider": "voltra-motors"}, "provider"),
        ({**TICKET, "device_id": "FR-88-2210"}, "device_id"),
        ({**TICKET, "on_behalf_of": {"name": ""}}, "on_behalf_of.name"),
        ({**TICKET, "on_behalf_of": {"name": "A", "account_id": "NT-908900"}}, "on_behalf_of"),
        ({**TICKET, "summary": "x" * 201}, "summary"),
    ]
    for payload, field in cases:
        status, _, body = desk.post("/v1/tickets", payload, key=ALEX)
        assert status == 422, (field, body)
        fields = [f["field"] for f in body["error"]["details"]["fields"]]
        assert any(f.startswith(field) for f in fields), (field, body)
    _, _, body = desk.post("/v1/tickets", {**TICKET, "category": "plumbing"}, key=ALEX)
    assert "internet" in body["error"]["details"]["valid"]


def test_bad_json_is_400(desk):
    status, _, body = desk.request("POST", "/v1/tickets", data=b"{not json", key=ALEX)
    assert status == 400
    assert_error(body, "invalid_json")


def test_unknown_route_404_and_wrong_method_405(desk):
    status, _, body = desk.get("/v1/nothing-here", key=ALEX)
    assert status == 404
    assert_error(body, "not_found")
    status, headers, body = desk.request("DELETE", "/v1/tickets", key=ALEX)
    assert status == 405
    assert_error(body, "method_not_allowed")


def test_query_validation(desk):
    status, _, body = desk.get("/v1/tickets?status=sleeping", key=ALEX)
    assert status == 422 and body["error"]["details"]["fields"][0]["field"] == "status"


def test_provider_directory(desk):
    status, _, body = desk.get("/v1/providers", key="sk-aquaflow-sam")
    assert status == 200
    providers = {p["id"]: p for p in body["providers"]}
    assert set(providers) == {
        "nimbus-telecom",
        "voltra-motors",
        "brightgrid-energy",
        "aquaflow-water",
        "homecare-appliances",
    }
    nimbus = providers["nimbus-telecom"]
    assert nimbus["name"] == "Nimbus Telecom" and "Nimbus" in nimbus["aliases"]
    assert [c["id"] for c in nimbus["categories"]] == [
        "internet",
        "mobile",
        "billing",
        "technician_visit",
        "cancellation",
    ]
    assert [o["digit"] for o in nimbus["menu"]["options"]] == ["1", "2", "3", "0"]
    tech = nimbus["menu"]["options"][1]["next"]
    assert [(o["digit"], o["queue"]) for o in tech["options"]] == [
        ("1", "tech_internet"),
        ("2", "tech_mobile"),
    ]
    assert nimbus["agents"] == 3 and nimbus["callbacks_offered"] is True
    assert providers["brightgrid-energy"]["callbacks_offered"] is False
    assert providers["homecare-appliances"]["callbacks_offered"] is False
    centres = [c["id"] for c in providers["voltra-motors"]["service_centres"]]
    assert centres == ["SC-LIS-1", "SC-IST-1", "SC-BER-1"]
    # What each company offers is the directory's, so that Stand-in codes none of it.
    assert providers["voltra-motors"]["services"] == ["repair", "maintenance", "tyre_change"]
    assert providers["homecare-appliances"]["services"] == ["repair", "installation"]
    assert "router" in nimbus["keywords"] and "car" in providers["voltra-motors"]["keywords"]
    assert "fridge" in providers["homecare-appliances"]["keywords"]
    # Without service centres, parts go to the place the directory names: a visit location.
    delivery = {p: providers[p]["parts_delivery"] for p in providers}
    assert delivery == {
        "nimbus-telecom": "NT-HOME",
        "voltra-motors": None,
        "brightgrid-energy": None,
        "aquaflow-water": None,
        "homecare-appliances": "HC-HOME",
    }
    for provider in providers.values():
        visits = [loc["id"] for loc in provider["visit_locations"]]
        assert provider["parts_delivery"] is None or provider["parts_delivery"] in visits
    # A problem that fits none of a company's categories is filed in the one it names.
    general = {p: providers[p]["general_category"] for p in providers}
    assert general == {
        "nimbus-telecom": "internet",
        "voltra-motors": "repairs",
        "brightgrid-energy": "outage",
        "aquaflow-water": "water_quality",
        "homecare-appliances": "repair",
    }
    for provider in providers.values():
        categories = [c["id"] for c in provider["categories"]]
        assert provider["general_category"] in categories, provider["id"]
    status, _, one = desk.get("/v1/providers/voltra-motors", key=ALEX)
    assert status == 200 and one["name"] == "Voltra Motors"
    status, _, body = desk.get("/v1/providers/acme", key=ALEX)
    assert status == 404
    assert_error(body, "not_found")


def test_account(desk):
    status, _, body = desk.get("/v1/account", key="sk-brightgrid-demo")
    assert status == 200
    assert body["account_id"] == "BG-220045"
    assert body["owner"] == {"name": "Alex Morgan", "phone": "+15550100"}
    meters = {m["meter_id"]: m for m in body["meters"]}
    assert meters["E-77120"]["unit"] == "kWh"
    assert meters["E-77120"]["last_reading"]["value"] == 48211.0
    assert meters["G-77121"]["last_reading"]["value"] == 9120.5
    _, _, sam = desk.get("/v1/account", key="sk-aquaflow-sam")
    assert sam["account_id"] == "AQ-558900" and sam["meters"][0]["meter_id"] == "WM-3400"


CONTRACT_PATHS = [
    ("get", "/v1/providers"),
    ("get", "/v1/providers/{}"),
    ("post", "/v1/tickets"),
    ("get", "/v1/tickets"),
    ("get", "/v1/tickets/{}"),
    ("post", "/v1/tickets/{}/notes"),
    ("post", "/v1/tickets/{}/cancel"),
    ("post", "/v1/calls"),
    ("post", "/v1/calls/{}/dtmf"),
    ("get", "/v1/calls/{}"),
    ("post", "/v1/calls/{}/callback"),
    ("post", "/v1/calls/{}/transfer"),
    ("post", "/v1/calls/{}/hangup"),
    ("get", "/v1/appointments/slots"),
    ("post", "/v1/appointments"),
    ("get", "/v1/appointments"),
    ("post", "/v1/appointments/{}/cancel"),
    ("post", "/v1/appointments/{}/reschedule"),
    ("get", "/v1/parts"),
    ("post", "/v1/parts/orders"),
    ("get", "/v1/parts/orders"),
    ("post", "/v1/parts/orders/{}/cancel"),
    ("post", "/v1/meter-readings"),
    ("get", "/v1/meter-readings"),
    ("post", "/v1/webhooks"),
    ("get", "/v1/webhooks"),
    ("delete", "/v1/webhooks/{}"),
]


def test_openapi_lists_every_contract_path(desk):
    status, _, doc = desk.get("/openapi.json")
    assert status == 200 and doc["openapi"].startswith("3.")
    paths = {re.sub(r"\{[^}]+\}", "{}", p): ops for p, ops in doc["paths"].items()}
    for method, path in CONTRACT_PATHS:
        assert method in paths.get(path, {}), (method, path)
    assert doc["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    schemas = doc["components"]["schemas"]
    for name in ("TicketCreate", "Ticket", "Call", "Error", "MeterReadingCreate"):
        assert name in schemas
    create = doc["paths"]["/v1/tickets"]["post"]
    assert create["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/TicketCreate"
    )
