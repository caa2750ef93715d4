"""How the owner hears where a part goes, from the company's directory entry."""

from __future__ import annotations

from actions.providers.desk_models import Location, Provider
from actions.providers.part_destinations import HOME, destination

VOLTRA = Provider(
    id="voltra-motors",
    name="Voltra Motors",
    aliases=["Voltra", "Voltra Motors"],
    service_centres=[Location(id="SC-LIS-1", name="Voltra Service Lisbon", city="Lisbon")],
)
HOMECARE = Provider(id="homecare-appliances", name="HomeCare Appliances", parts_delivery="HC-HOME")


def test_a_service_centre_is_named_by_the_companys_short_name_and_city():
    assert destination(VOLTRA, "SC-LIS-1") == "Voltra Lisbon (SC-LIS-1)"


def test_anything_else_is_the_owners_home():
    assert destination(HOMECARE, "HC-HOME") == HOME == "your home"
    assert destination(VOLTRA, "SC-XXX-9") == HOME
    assert destination(None, "SC-LIS-1") == HOME
    assert destination(VOLTRA, None) == HOME


def test_without_aliases_or_a_city_the_full_names_are_used():
    plain = Provider(
        id="acme",
        name="Acme Repairs",
        service_centres=[Location(id="AC-1", name="Acme North")],
    )
    assert destination(plain, "AC-1") == "Acme Repairs Acme North (AC-1)"
