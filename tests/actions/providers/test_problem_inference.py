import pytest

from actions.owner.profile import load_profile
from actions.providers.desk_models import Provider
from actions.providers.problem_inference import (
    describes_a_problem,
    device_provider,
    infer_category,
    infer_severity,
    match_category,
    summarise,
)
from tests.conftest import PROJECT_ROOT


def provider(pid: str, name: str, aliases: list[str], categories: list[str]) -> Provider:
    return Provider(
        id=pid,
        name=name,
        aliases=aliases,
        categories=[{"id": c, "name": c.replace("_", " ").title()} for c in categories],
    )


NIMBUS = provider(
    "nimbus-telecom",
    "Nimbus Telecom",
    ["Nimbus"],
    ["internet", "mobile", "billing", "technician_visit", "cancellation"],
)
HOMECARE = provider(
    "homecare-appliances",
    "HomeCare Appliances",
    ["HomeCare"],
    ["repair", "installation", "parts", "billing"],
)
VOLTRA = provider(
    "voltra-motors",
    "Voltra Motors",
    ["Voltra"],
    ["roadside", "battery", "charging", "repairs", "parts", "billing"],
)
AQUAFLOW = provider(
    "aquaflow-water",
    "AquaFlow Water",
    ["AquaFlow"],
    ["leak", "water_quality", "meter_readings", "billing"],
)
BRIGHTGRID = provider(
    "brightgrid-energy",
    "BrightGrid Energy",
    ["BrightGrid"],
    ["outage", "meter_readings", "billing"],
)


@pytest.mark.parametrize(
    "text, prov, expected",
    [
        ("my internet keeps dropping, can you report it to Nimbus?", NIMBUS, "internet"),
        ("wifi not working", NIMBUS, "internet"),
        ("i was overcharged on my nimbus bill", NIMBUS, "billing"),
        ("my phone has no signal", NIMBUS, None),  # phone vs signal: a tie, so ask
        ("the fridge is leaking", HOMECARE, "repair"),
        ("report a problem to Nimbus", NIMBUS, None),
        # Owners' own words, from the conversation suite (tests/conversations/report_problem.yml)
        ("the water from every tap has turned yellowish, tell aquaflow", AQUAFLOW, "water_quality"),
        ("the tap water tastes of metal", AQUAFLOW, "water_quality"),
        ("there's a steady drip from the water main outside", AQUAFLOW, "leak"),
        ("the power's been off in the whole house since six", BRIGHTGRID, "outage"),
        ("the homehub restarts by itself about once an hour", NIMBUS, "internet"),
        ("nimbus charged me twice this month", NIMBUS, "billing"),
        # "charge port" is a charging phrase; its "charge" does not also count for billing
        ("the charge port flap won't open", VOLTRA, "charging"),
        ("the car died on the motorway and I'm stuck on the hard shoulder", VOLTRA, "roadside"),
    ],
)
def test_category(text, prov, expected):
    assert infer_category(text, prov) == expected


def test_answer_to_the_category_question():
    assert match_category("2", NIMBUS) == "mobile"
    assert match_category("Technician Visit", NIMBUS) == "technician_visit"
    assert match_category("the bill", NIMBUS) == "billing"
    assert match_category("pizza", NIMBUS) is None


def test_severity():
    assert infer_severity("URGENT the pipe burst") == "urgent"
    assert infer_severity("no internet at all since yesterday") == "high"
    assert infer_severity("no rush, the bill looks odd") == "low"
    assert infer_severity("my internet keeps dropping") == "normal"


def test_a_request_without_a_problem_is_not_a_description():
    assert not describes_a_problem("I want to report a problem to Nimbus", NIMBUS)
    assert not describes_a_problem("report a problem", None)
    assert not describes_a_problem("i need to report an issue", None)
    assert not describes_a_problem("can you report something for me", None)
    assert not describes_a_problem("i have a problem", None)
    # It says something is broken, not what: the form asks what is going wrong.
    assert not describes_a_problem("something's broken and I need it reported", None)
    assert describes_a_problem("my wifi is broken", None)
    assert not describes_a_problem("I'd like to report an issue to voltra", None)
    assert not describes_a_problem("i wanna report a fault", None)
    assert describes_a_problem("my internet keeps dropping, can you report it to Nimbus?", NIMBUS)
    assert describes_a_problem("the fridge is leaking", None)


def test_summary_keeps_the_problem_and_drops_the_request():
    assert summarise("my internet keeps dropping, can you report it to Nimbus?", NIMBUS) == (
        "My internet keeps dropping"
    )
    for said, summary in [
        ("tell Nimbus my wifi is down", "My wifi is down"),
        (
            "the wifi keeps disconnecting, please tell Nimbus Telecom",
            "The wifi keeps disconnecting",
        ),
        ("the router keeps rebooting, let Nimbus know", "The router keeps rebooting"),
        (
            "raise a ticket with Nimbus my internet keeps disconnecting",
            "My internet keeps disconnecting",
        ),
        ("report that my bill is wrong to nimbus", "My bill is wrong"),
        ("my internet is down. Please sort it out", "My internet is down"),
    ]:
        assert summarise(said, NIMBUS) == summary, said
    long = "x" * 300
    assert len(summarise(long, None)) == 120


def test_the_company_of_the_one_device_the_words_name() -> None:
    profile = load_profile(PROJECT_ROOT / "owner.yml")
    assert device_provider("my washer is leaking", profile) == "homecare-appliances"
    assert device_provider("the wifi keeps dropping", profile) == "nimbus-telecom"
    assert device_provider("the fridge and the router", profile) is None
    assert device_provider("it is broken", profile) is None


def test_a_misspelt_long_keyword_still_names_the_category() -> None:
    assert infer_category("my internt is brokn agian", NIMBUS) == "internet"
    assert infer_category("the billng is wrong", NIMBUS) == "billing"


def test_a_denied_urgency_is_low() -> None:
    assert infer_severity("the washer squeaks, not urgent at all") == "low"
    assert infer_severity("no rush, whenever suits") == "low"
    assert infer_severity("it's urgent, water everywhere") == "urgent"


def test_a_car_that_wont_charge_is_charging_not_billing() -> None:
    voltra = provider(
        "voltra-motors",
        "Voltra Motors",
        ["Voltra"],
        ["roadside", "battery", "charging", "repairs", "parts", "billing"],
    )
    assert infer_category("my voltra wont charge on the wallbox at home", voltra) == "charging"
    assert infer_category("they charged me twice on my last invoice", voltra) == "billing"
