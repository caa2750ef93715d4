"""An incident's steps: where its part goes comes from the company's directory entry."""

from __future__ import annotations

import asyncio

import pytest

from actions import runtime
from actions.devices.incident_work import IncidentWork, rank_location
from tests.actions.sixth_company import sixth_desk, sixth_env  # noqa: F401 (fixtures)


def fallback_locations(*providers: str) -> list[str | None]:
    async def go() -> list[str | None]:
        work = IncidentWork(runtime.services())
        try:
            return [await work._fallback_location(p) for p in providers]
        finally:
            await runtime.services().desk.close()

    return asyncio.run(go())


@pytest.mark.usefixtures("standin_env")
def test_without_slots_the_part_goes_to_the_delivery_place_or_the_home_city_centre():
    # HomeCare and Nimbus name a parts delivery place; Voltra has a centre in Lisbon, the
    # owner's home city; BrightGrid has neither.
    assert fallback_locations(
        "homecare-appliances", "nimbus-telecom", "voltra-motors", "brightgrid-energy"
    ) == ["HC-HOME", "NT-HOME", "SC-LIS-1", None]


@pytest.mark.usefixtures("sixth_env")
def test_a_sixth_company_needs_no_code_for_it():
    assert fallback_locations("hearthwise-heating") == ["HW-HOME"]


def test_the_nearest_location_is_in_the_home_city_then_the_time_zone():
    lisbon = {"city": "Lisbon", "timezone": "Europe/Lisbon"}
    porto = {"city": "Porto", "timezone": "Europe/Lisbon"}
    berlin = {"city": "Berlin", "timezone": "Europe/Berlin"}
    ranks = [rank_location(loc, "lisbon", "Europe/Lisbon") for loc in (lisbon, porto, berlin)]
    assert ranks == [0, 1, 2]
    assert rank_location({"city": None, "timezone": "Europe/Lisbon"}, None, "Europe/Lisbon") == 1
