"""The seeded world: providers, owners, accounts, API keys, devices, meters and parts.

Static data lives here as plain dicts; only what changes (meter readings) is copied into SQLite.
More companies come from a YAML file without code (SERVICE_DESK_EXTRA_SEED, extra_seed.py),
which adds to these dicts at start-up. Longer than 400 lines because it is data: five companies
one after another, each read top to bottom.
"""

from __future__ import annotations

from typing import Any

DAYS_MON_FRI = ["mon", "tue", "wed", "thu", "fri"]

# The kinds of question a provider asks on a ticket (see `questions` below).
GENERAL = "general"
IDENTITY = "identity"  # something only the account holder knows (security question, payments)
QUESTION_KINDS = (GENERAL, IDENTITY)


def _leaf(digit: str, label: str, topic: str, queue: str) -> dict[str, Any]:
    return {"digit": digit, "label": label, "topic": topic, "queue": queue}


def _operator() -> dict[str, Any]:
    return _leaf("0", "Operator", "operator", "operator")


def _cat(cid: str, name: str, description: str) -> dict[str, str]:
    return {"id": cid, "name": name, "description": description}


# Each provider's `questions` is a list of (category, question, kind): 30 min after a ticket in
# that category reaches in_progress, the provider asks the question (once). An older single
# `question` tuple, (category, question) or (category, question, kind), is still understood.


# What the directory says of each provider beyond its phone line: `service_centres` (where its
# customers bring what they own) and `visit_locations` (technician visits), where appointments
# happen; `services`, what appointments are for (the first is the default); `keywords`, the
# things a customer has there ("router", "car"), by which a customer's words point to it;
# `parts_delivery`, where parts go when it has no service centres (a visit location: the part
# comes with the technician), None where it sends no parts; and `general_category`, one of its
# categories: where a problem that fits none of the others is filed.
PROVIDERS: dict[str, dict[str, Any]] = {
    "nimbus-telecom": {
        "id": "nimbus-telecom",
        "name": "Nimbus Telecom",
        "aliases": ["Nimbus", "Nimbus Telecom", "nimbus tel"],
        "kind": "internet and mobile",
        "phone_number": "+15550001001",
        "categories": [
            _cat("internet", "Internet", "Home broadband: outages, slow speed, router problems."),
            _cat("mobile", "Mobile", "Mobile line: signal, SIM, roaming, data."),
            _cat("billing", "Billing", "Invoices, charges, payments and refunds."),
            _cat("technician_visit", "Technician visit", "A technician visit to your home."),
            _cat("cancellation", "Cancellation", "Ending a contract or a service."),
        ],
        "menu": {
            "prompt": "Welcome to Nimbus Telecom. For billing, press 1. For technical support,"
            " press 2. To cancel your service, press 3. For an operator, press 0.",
            "options": [
                _leaf("1", "Billing", "billing", "billing"),
                {
                    "digit": "2",
                    "label": "Technical support",
                    "topic": "tech_support",
                    "next": {
                        "prompt": "Technical support. For internet, press 1. For mobile, press 2.",
                        "options": [
                            _leaf("1", "Internet", "internet", "tech_internet"),
                            _leaf("2", "Mobile", "mobile", "tech_mobile"),
                        ],
                    },
                },
                _leaf("3", "Cancel service", "cancellation", "retention"),
                _operator(),
            ],
        },
        "support_hours": {
            "timezone": "Europe/Lisbon",
            "days": DAYS_MON_FRI + ["sat"],
            "open": "08:00",
            "close": "20:00",
        },
        "typical_wait_s": 720,
        "average_handle_time_s": 360,
        "agents": 3,
        "callbacks_offered": True,
        "service_centres": [],
        "services": ["technician_visit"],
        "technician_visits": True,
        "visit_locations": [
            {
                "id": "NT-HOME",
                "name": "Home visit",
                "city": None,
                "address": "The account's service address",
                "timezone": "Europe/Lisbon",
            }
        ],
        "keywords": [
            "internet",
            "router",
            "wifi",
            "wi fi",
            "broadband",
            "modem",
            "fibre",
            "fiber",
            "connection",
        ],
        "parts_delivery": "NT-HOME",
        "general_category": "internet",
        "questions": [
            ("internet", "Which lights on your router are on or blinking right now?", GENERAL),
        ],
    },
    "voltra-motors": {
        "id": "voltra-motors",
        "name": "Voltra Motors",
        "aliases": ["Voltra", "Voltra Motors"],
        "kind": "electric cars",
        "phone_number": "+15550001002",
        "categories": [
            _cat("roadside", "Roadside assistance", "Breakdowns and towing."),
            _cat("battery", "Battery", "High-voltage battery health and range."),
            _cat("charging", "Charging", "Charging port, cable and charging speed."),
            _cat("repairs", "Service and repairs", "Faults, servicing and repairs."),
            _cat("parts", "Parts", "Replacement parts and accessories."),
            _cat("billing", "Billing", "Invoices, charges and payments."),
        ],
        "menu": {
            "prompt": "Voltra Motors. For roadside assistance, press 1. For service and repairs,"
            " press 2. For parts, press 3. For an operator, press 0.",
            "options": [
                _leaf("1", "Roadside assistance", "roadside", "roadside"),
                _leaf("2", "Service and repairs", "repairs", "service"),
                _leaf("3", "Parts", "parts", "parts"),
                _operator(),
            ],
        },
        "support_hours": {
            "timezone": "Europe/Berlin",
            "days": DAYS_MON_FRI + ["sat", "sun"],
            "open": "00:00",
            "close": "24:00",
        },
        "typical_wait_s": 240,
        "average_handle_time_s": 240,
        "agents": 2,
        "callbacks_offered": True,
        "service_centres": [
            {
                "id": "SC-LIS-1",
                "name": "Voltra Service Lisbon",
                "city": "Lisbon",
                "address": "Avenida da Liberdade 190, 1250-147 Lisboa",
                "timezone": "Europe/Lisbon",
            },
            {
                "id": "SC-IST-1",
                "name": "Voltra Service Istanbul",
                "city": "Istanbul",
                "address": "Buyukdere Cd. 121, 34394 Sisli, Istanbul",
                "timezone": "Europe/Istanbul",
            },
            {
                "id": "SC-BER-1",
                "name": "Voltra Service Berlin",
                "city": "Berlin",
                "address": "Friedrichstrasse 68, 10117 Berlin",
                "timezone": "Europe/Berlin",
            },
        ],
        "services": ["repair", "maintenance", "tyre_change"],
        "technician_visits": False,
        "visit_locations": [],
        "keywords": ["car", "vehicle", "ev", "tyre", "tyres", "tire", "tires"],
        "parts_delivery": None,
        "general_category": "repairs",
        "questions": [
            ("charging", "Does the charging port light up when you plug in the cable?", GENERAL),
        ],
    },
    "brightgrid-energy": {
        "id": "brightgrid-energy",
        "name": "BrightGrid Energy",
        "aliases": ["BrightGrid", "Bright Grid", "BrightGrid Energy"],
        "kind": "electricity and gas",
        "phone_number": "+15550001003",
        "categories": [
            _cat("outage", "Outage", "Power or gas supply interruptions."),
            _cat("meter_readings", "Meter readings", "Submitting or correcting readings."),
            _cat("billing", "Billing", "Invoices, tariffs and payments."),
        ],
        "menu": {
            "prompt": "BrightGrid Energy. For meter readings, press 1. For billing, press 2."
            " To report an outage, press 3. For an operator, press 0.",
            "options": [
                _leaf("1", "Meter readings", "meter_readings", "meter_readings"),
                _leaf("2", "Billing", "billing", "billing"),
                _leaf("3", "Outages", "outage", "outages"),
                _operator(),
            ],
        },
        "support_hours": {
            "timezone": "Europe/London",
            "days": DAYS_MON_FRI,
            "open": "08:00",
            "close": "18:00",
        },
        "typical_wait_s": 480,
        "average_handle_time_s": 240,
        "agents": 2,
        "callbacks_offered": False,
        "service_centres": [],
        "services": [],
        "technician_visits": False,
        "visit_locations": [],
        "keywords": [],
        "parts_delivery": None,
        "general_category": "outage",
        "questions": [
            ("outage", "Is the outage affecting your whole street or only your home?", GENERAL),
            # An identity check: only the account holder knows the answer.
            (
                "billing",
                "To confirm it's you: what was the amount of your last payment?",
                IDENTITY,
            ),
        ],
    },
    "aquaflow-water": {
        "id": "aquaflow-water",
        "name": "AquaFlow Water",
        "aliases": ["AquaFlow", "Aqua Flow", "AquaFlow Water"],
        "kind": "water",
        "phone_number": "+15550001004",
        "categories": [
            _cat("leak", "Leak", "Leaks and bursts, inside or outside the home."),
            _cat("water_quality", "Water quality", "Colour, taste, smell or pressure."),
            _cat("meter_readings", "Meter readings", "Submitting or correcting readings."),
            _cat("billing", "Billing", "Invoices and payments."),
        ],
        "menu": {
            "prompt": "AquaFlow Water. To report a leak, press 1. For billing, press 2."
            " For an operator, press 0.",
            "options": [
                _leaf("1", "Leaks", "leak", "leaks"),
                _leaf("2", "Billing", "billing", "billing"),
                _operator(),
            ],
        },
        "support_hours": {
            "timezone": "Europe/London",
            "days": DAYS_MON_FRI,
            "open": "08:00",
            "close": "20:00",
        },
        "typical_wait_s": 360,
        "average_handle_time_s": 240,
        "agents": 2,
        "callbacks_offered": True,
        "service_centres": [],
        "services": [],
        "technician_visits": False,
        "visit_locations": [],
        "keywords": [],
        "parts_delivery": None,
        "general_category": "water_quality",
        "questions": [("leak", "Can you see water outside or inside your home?", GENERAL)],
    },
    "homecare-appliances": {
        "id": "homecare-appliances",
        "name": "HomeCare Appliances",
        "aliases": ["HomeCare", "Home Care", "HomeCare Appliances"],
        "kind": "appliance repairs",
        "phone_number": "+15550001005",
        "categories": [
            _cat("repair", "Repair", "A fault with an appliance."),
            _cat("installation", "Installation", "Installing a new appliance."),
            _cat("parts", "Parts", "Replacement parts."),
            _cat("billing", "Billing", "Invoices and payments."),
        ],
        "menu": {
            "prompt": "HomeCare Appliances. For a new repair, press 1. About an existing repair,"
            " press 2. For an operator, press 0.",
            "options": [
                _leaf("1", "New repair", "new_repair", "new_repairs"),
                _leaf("2", "Existing repair", "existing_repair", "existing_repairs"),
                _operator(),
            ],
        },
        "support_hours": {
            "timezone": "Europe/Lisbon",
            "days": DAYS_MON_FRI,
            "open": "09:00",
            "close": "18:00",
        },
        "typical_wait_s": 300,
        "average_handle_time_s": 300,
        "agents": 2,
        "callbacks_offered": False,
        "service_centres": [],
        "services": ["repair", "installation"],
        "technician_visits": True,
        "visit_locations": [
            {
                "id": "HC-HOME",
                "name": "Home visit",
                "city": None,
                "address": "The account's home address",
                "timezone": "Europe/Lisbon",
            }
        ],
        "keywords": [
            "fridge",
            "refrigerator",
            "freezer",
            "washing machine",
            "washer",
            "washingmachine",
            "dishwasher",
            "appliance",
        ],
        "parts_delivery": "HC-HOME",
        "general_category": "repair",
        "questions": [
            (
                "repair",
                "Is the appliance still under warranty, and when did you buy it?",
                GENERAL,
            ),
        ],
    },
}

OWNERS: dict[str, dict[str, str]] = {
    "alex": {"name": "Alex Morgan", "phone": "+15550100"},
    "sam": {"name": "Sam Lee", "phone": "+15550199"},
}


def _device(device_id: str, kind: str, model: str, name: str) -> dict[str, str]:
    return {"device_id": device_id, "kind": kind, "model": model, "name": name}


def _meter(meter_id: str, kind: str, unit: str, value: float) -> dict[str, Any]:
    return {"meter_id": meter_id, "kind": kind, "unit": unit, "initial_value": value}


ACCOUNTS: dict[str, dict[str, Any]] = {
    # Alex Morgan
    "NT-908812": {
        "owner": "alex",
        "provider": "nimbus-telecom",
        "api_key": "sk-nimbus-demo",
        "devices": [_device("RT-5521", "router", "Nimbus HomeHub 5", "Home router")],
        "meters": [],
    },
    "VM-100234": {
        "owner": "alex",
        "provider": "voltra-motors",
        "api_key": "sk-voltra-demo",
        "devices": [_device("VIN-5YJ3E1EA7KF317000", "car", "Voltra V3", "Alex's Voltra V3")],
        "meters": [],
    },
    "BG-220045": {
        "owner": "alex",
        "provider": "brightgrid-energy",
        "api_key": "sk-brightgrid-demo",
        "devices": [],
        "meters": [
            _meter("E-77120", "electricity", "kWh", 48211.0),
            _meter("G-77121", "gas", "m3", 9120.5),
        ],
    },
    "AQ-558812": {
        "owner": "alex",
        "provider": "aquaflow-water",
        "api_key": "sk-aquaflow-demo",
        "devices": [],
        "meters": [_meter("WM-3341", "water", "m3", 1204.2)],
    },
    "HC-44120": {
        "owner": "alex",
        "provider": "homecare-appliances",
        "api_key": "sk-homecare-demo",
        "devices": [
            _device("FR-88-2210", "fridge", "CoolMax FR-88", "Kitchen fridge"),
            _device("WM-23-9911", "washing_machine", "WashPro 23", "Washing machine"),
        ],
        "meters": [],
    },
    # Sam Lee: a second owner so tests can check that accounts are kept apart.
    "NT-908900": {
        "owner": "sam",
        "provider": "nimbus-telecom",
        "api_key": "sk-nimbus-sam",
        "devices": [_device("RT-6604", "router", "Nimbus HomeHub 5", "Home router")],
        "meters": [],
    },
    "VM-100300": {
        "owner": "sam",
        "provider": "voltra-motors",
        "api_key": "sk-voltra-sam",
        "devices": [_device("VIN-7SAYGDEE5NF400812", "car", "Voltra V5", "Sam's Voltra V5")],
        "meters": [],
    },
    "BG-220100": {
        "owner": "sam",
        "provider": "brightgrid-energy",
        "api_key": "sk-brightgrid-sam",
        "devices": [],
        "meters": [
            _meter("E-78300", "electricity", "kWh", 15230.0),
            _meter("G-78301", "gas", "m3", 3050.25),
        ],
    },
    "AQ-558900": {
        "owner": "sam",
        "provider": "aquaflow-water",
        "api_key": "sk-aquaflow-sam",
        "devices": [],
        "meters": [_meter("WM-3400", "water", "m3", 890.7)],
    },
    "HC-44200": {
        "owner": "sam",
        "provider": "homecare-appliances",
        "api_key": "sk-homecare-sam",
        "devices": [
            _device("FR-88-3105", "fridge", "CoolMax FR-88", "Fridge"),
            _device("WM-23-9940", "washing_machine", "WashPro 23", "Washing machine"),
        ],
        "meters": [],
    },
}

API_KEYS: dict[str, str] = {acc["api_key"]: acc_id for acc_id, acc in ACCOUNTS.items()}


def _part(sku: str, name: str, price: float, fits: list[str]) -> dict[str, Any]:
    return {"sku": sku, "name": name, "price": price, "currency": "EUR", "fits": fits}


PARTS: dict[str, list[dict[str, Any]]] = {
    "voltra-motors": [
        _part("VM-CPA-3", "Charging port assembly", 42.00, ["Voltra V3"]),
        _part("VM-BCP-35", "Battery coolant pump", 189.00, ["Voltra V3", "Voltra V5"]),
        _part("VM-TYR-2354518", "Tyre 235/45R18", 129.00, ["Voltra V3", "Voltra V5"]),
        _part("VM-12V-45", "12V auxiliary battery", 95.00, ["Voltra V3", "Voltra V5"]),
    ],
    "homecare-appliances": [
        _part("HC-FR88-SEAL", "Fridge door seal", 29.50, ["CoolMax FR-88"]),
        _part("HC-FR88-THERM", "Fridge thermostat", 48.00, ["CoolMax FR-88"]),
        _part("HC-WP23-PUMP", "Washing machine drain pump", 64.00, ["WashPro 23"]),
        _part("HC-WP23-VALVE", "Inlet valve", 22.00, ["WashPro 23"]),
    ],
    "nimbus-telecom": [
        _part("NT-HH5-PSU", "Replacement router power adapter", 0.00, ["Nimbus HomeHub 5"]),
    ],
    "brightgrid-energy": [],
    "aquaflow-water": [],
}

AGENT_NAMES = [
    "Priya Nair",
    "Jonas Weber",
    "Marta Silva",
    "Kemal Aydin",
    "Lena Fischer",
    "Diego Costa",
    "Aisha Bello",
    "Tom Hughes",
]

SLOT_HOURS_LOCAL = [9, 11, 13, 15]  # 2-hour slots between 09:00 and 17:00 local time
SLOT_LENGTH_S = 2 * 3600


def public_provider(provider: dict[str, Any]) -> dict[str, Any]:
    """The directory entry: internal-only keys dropped, locations of visits included."""
    internal = ("question", "questions", "typical_wait_s")
    out = {k: v for k, v in provider.items() if k not in internal}
    out["typical_wait_s"] = provider["typical_wait_s"]
    return out


def provider_questions(provider_id: str) -> list[tuple[str, str, str]]:
    """The provider's (category, question, kind) triples, the older `question` form included."""
    provider = PROVIDERS[provider_id]
    entries = list(provider.get("questions") or [])
    if provider.get("question"):
        entries.append(provider["question"])
    out = []
    for entry in entries:
        category, question, *rest = entry
        kind = rest[0] if rest else GENERAL
        if kind not in QUESTION_KINDS:
            raise ValueError(f"{provider_id}: question kind {kind!r} is not in {QUESTION_KINDS}")
        out.append((category, question, kind))
    return out


def locations(provider: dict[str, Any]) -> list[dict[str, Any]]:
    """Where a provider's appointments happen: service centres, else home visits."""
    return list(provider["service_centres"]) + list(provider["visit_locations"])


def account_meters(account_id: str) -> list[dict[str, Any]]:
    return ACCOUNTS[account_id]["meters"]


def find_part(provider_id: str, sku: str) -> dict[str, Any] | None:
    return next((p for p in PARTS.get(provider_id, []) if p["sku"] == sku), None)
