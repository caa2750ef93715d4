"""A sixth company from a YAML file (SERVICE_DESK_EXTRA_SEED), with no code: the desk serves it
like the seeded five, and a file with any problem stops the desk before anything is added."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from servicedesk import seed
from servicedesk.extra_seed import ExtraSeedError, install_from, load_extra_seed
from tests.servicedesk.test_faults_and_process import run_with_env
from tests.sixth_company import DESK_SEED as SIXTH_SEED
from tests.sixth_company import KEY as HEARTH
from tests.sixth_company import PROVIDER as SIXTH


@pytest.fixture(scope="module")
def sixth_desk(desk_factory):
    return desk_factory(env={"SERVICE_DESK_EXTRA_SEED": str(SIXTH_SEED)})


@pytest.fixture
def hearth_desk(sixth_desk):
    sixth_desk.reset()
    return sixth_desk


def test_the_sixth_company_is_in_the_directory_with_what_it_offers(hearth_desk):
    status, _, body = hearth_desk.get("/v1/providers", key="sk-voltra-demo")
    assert status == 200
    providers = {p["id"]: p for p in body["providers"]}
    assert len(providers) == 6 and "voltra-motors" in providers
    sixth = providers[SIXTH]
    assert sixth["name"] == "Hearthwise Heating"
    assert sixth["services"] == ["boiler_service", "repair"]
    assert "boiler" in sixth["keywords"] and sixth["parts_delivery"] == "HW-HOME"
    assert sixth["general_category"] == "repair"
    assert sixth["service_centres"] == [] and sixth["visit_locations"][0]["id"] == "HW-HOME"
    # The leaves of its menu have no `next`: the desk tells a branch from a leaf by that key.
    assert all("next" not in o for o in sixth["menu"]["options"])
    status, _, one = hearth_desk.get("/v1/providers/hearthwise", key=HEARTH)
    assert status == 200 and one["id"] == SIXTH


def test_the_sixth_companys_account_books_orders_and_takes_a_ticket(hearth_desk):
    status, _, account = hearth_desk.get("/v1/account", key=HEARTH)
    assert status == 200 and account["provider"] == SIXTH
    assert account["owner"]["name"] == "Alex Morgan"
    assert account["devices"][0]["model"] == "Hearthwise Combi 30"

    status, _, body = hearth_desk.get("/v1/parts?model=Hearthwise%20Combi%2030", key=HEARTH)
    assert status == 200
    assert {p["sku"] for p in body["parts"]} == {"HW-C30-PUMP", "HW-C30-IGN"}
    status, _, order = hearth_desk.post(
        "/v1/parts/orders",
        {"sku": "HW-C30-IGN", "quantity": 1, "deliver_to_service_centre": "HW-HOME"},
        key=HEARTH,
    )
    assert status == 201 and order["total"] == 18.5, order
    status, _, refused = hearth_desk.post(
        "/v1/parts/orders",
        {"sku": "HW-C30-IGN", "deliver_to_service_centre": "SC-LIS-1"},
        key=HEARTH,
    )
    assert status == 422, refused

    status, _, body = hearth_desk.get("/v1/appointments/slots?service=boiler_service", key=HEARTH)
    assert status == 200 and body["slots"], body
    slot = body["slots"][0]
    assert slot["location"]["id"] == "HW-HOME" and slot["service"] == "boiler_service"
    status, _, appt = hearth_desk.post(
        "/v1/appointments", {"slot_id": slot["slot_id"], "service": "boiler_service"}, key=HEARTH
    )
    assert status == 201 and appt["status"] == "booked", appt

    ticket_body = {
        "provider": SIXTH,
        "category": "repair",
        "summary": "No hot water",
        "description": "The boiler shows E119.",
        "severity": "normal",
        "on_behalf_of": {"name": "Alex Morgan", "account_id": "HW-5001"},
    }
    status, _, ticket = hearth_desk.post("/v1/tickets", ticket_body, key=HEARTH)
    assert status == 201 and ticket["provider"] == SIXTH
    hearth_desk.advance(3600)  # in progress, then its question 30 min later
    status, _, ticket = hearth_desk.get(f"/v1/tickets/{ticket['id']}", key=HEARTH)
    assert ticket["status"] == "awaiting_customer", ticket
    assert "error code" in ticket["question"]


def test_the_seeded_five_are_as_they_were_beside_it(hearth_desk):
    status, _, body = hearth_desk.get("/v1/parts", key="sk-voltra-demo")
    assert status == 200 and {p["sku"] for p in body["parts"]} >= {"VM-CPA-3"}
    status, _, body = hearth_desk.get("/v1/account", key="sk-homecare-sam")
    assert status == 200 and body["account_id"] == "HC-44200"
    # The sixth company's key opens its own account only.
    status, _, _ = hearth_desk.get("/v1/parts/orders", key=HEARTH)
    assert status == 200


def _bad_file(tmp_path: Path, change) -> Path:
    data = yaml.safe_load(SIXTH_SEED.read_text())
    change(data)
    path = tmp_path / "bad_seed.yml"
    path.write_text(yaml.safe_dump(data))
    return path


BAD_FILES = {
    "a misspelt field": (
        lambda d: d["providers"][0].update(keyword=["boiler"]),
        "providers.0.keyword",
    ),
    "parts delivered to no visit location": (
        lambda d: d["providers"][0].update(parts_delivery="HW-SHOP"),
        "parts_delivery",
    ),
    "a general category that is not one of its categories": (
        lambda d: d["providers"][0].update(general_category="gas"),
        "hearthwise-heating's general_category 'gas' is not one of its categories",
    ),
    "no general category": (
        lambda d: d["providers"][0].pop("general_category"),
        "providers.0.general_category: field required",
    ),
    "an unknown time zone": (
        lambda d: d["providers"][0]["visit_locations"][0].update(timezone="Europe/Atlantis"),
        "Europe/Atlantis",
    ),
    "a seeded provider's id": (
        lambda d: d["providers"][0].update(id="voltra-motors", name="Voltra Two", aliases=[]),
        "exists already",
    ),
    "a seeded account's API key": (
        lambda d: d["accounts"]["HW-5001"].update(api_key="sk-voltra-demo"),
        "API key",
    ),
    "an unknown owner": (
        lambda d: d["accounts"]["HW-5001"].update(owner="nobody"),
        "'nobody' is not an owner",
    ),
    "another company's alias": (
        lambda d: d["providers"][0]["aliases"].append("Voltra"),
        "alias 'voltra'",
    ),
    "a question about no category": (
        lambda d: d["providers"][0]["questions"][0].update(category="gas"),
        "'gas'",
    ),
}


@pytest.mark.parametrize("problem", sorted(BAD_FILES))
def test_a_bad_file_is_refused_whole_naming_the_problem(problem, tmp_path):
    change, expected = BAD_FILES[problem]
    path = _bad_file(tmp_path, change)
    before = (dict(seed.PROVIDERS), dict(seed.ACCOUNTS), dict(seed.API_KEYS), dict(seed.PARTS))
    with pytest.raises(ExtraSeedError) as caught:
        install_from(str(path))
    assert "SERVICE_DESK_EXTRA_SEED" in str(caught.value)
    assert expected in str(caught.value), str(caught.value)
    # Nothing of the file was added, not even its good parts.
    assert (seed.PROVIDERS, seed.ACCOUNTS, seed.API_KEYS, seed.PARTS) == before


def test_the_desk_does_not_start_on_a_bad_file_and_says_why_in_one_line(tmp_path):
    missing = tmp_path / "nowhere.yml"
    not_yaml = tmp_path / "broken.yml"
    not_yaml.write_text("providers: [\n")
    wrong = _bad_file(tmp_path, lambda d: d["providers"][0].update(agents=0))
    for path, words in ((missing, "cannot read"), (not_yaml, "not valid YAML"), (wrong, "agents")):
        result = run_with_env({"SERVICE_DESK_EXTRA_SEED": str(path), "SERVICE_DESK_PORT": "1"})
        assert result.returncode == 2, result
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and "SERVICE_DESK_EXTRA_SEED" in lines[0], result.stderr
        assert words in lines[0] and "Traceback" not in result.stderr, result.stderr


def test_the_fixture_file_itself_is_valid():
    extra = load_extra_seed(SIXTH_SEED)
    assert [p.id for p in extra.providers] == [SIXTH]
    assert list(extra.accounts) == ["HW-5001"] and SIXTH not in seed.PROVIDERS  # not installed
