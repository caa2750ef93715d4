"""The provider directory: what each company offers, read from the desk, never coded."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import pytest

from actions import runtime
from actions.providers.desk_models import Provider
from actions.providers.directory import ProviderDirectory
from tests.actions.sixth_company import sixth_desk, sixth_env  # noqa: F401 (fixtures)

T = TypeVar("T")


def read(ask: Callable[[ProviderDirectory], Awaitable[T]]) -> T:
    """Ask the running services' directory once, in a loop of its own."""

    async def go() -> T:
        try:
            return await ask(runtime.services().directory)
        finally:
            await runtime.services().desk.close()

    return asyncio.run(go())


@pytest.mark.usefixtures("standin_env")
def test_what_each_company_offers_comes_from_its_directory_entry():
    centres = read(lambda d: d.service_centres("voltra-motors"))
    assert [(c.id, c.city) for c in centres] == [
        ("SC-LIS-1", "Lisbon"),
        ("SC-IST-1", "Istanbul"),
        ("SC-BER-1", "Berlin"),
    ]
    assert read(lambda d: d.service_centres("homecare-appliances")) == []
    assert read(lambda d: d.parts_delivery("homecare-appliances")) == "HC-HOME"
    assert read(lambda d: d.parts_delivery("nimbus-telecom")) == "NT-HOME"
    assert read(lambda d: d.parts_delivery("voltra-motors")) is None
    assert read(lambda d: d.services("voltra-motors")) == ["repair", "maintenance", "tyre_change"]
    assert read(lambda d: d.services("brightgrid-energy")) == []
    assert "wi fi" in read(lambda d: d.keywords("nimbus-telecom"))  # normalised as words are
    assert "washing machine" in read(lambda d: d.keywords("homecare-appliances"))


@pytest.mark.usefixtures("standin_env")
def test_each_company_names_where_a_problem_that_fits_no_category_goes():
    providers = read(lambda d: d.providers())
    general = {p.id: getattr(p.general(), "id", None) for p in providers}
    assert general == {
        "nimbus-telecom": "internet",
        "voltra-motors": "repairs",
        "brightgrid-energy": "outage",
        "aquaflow-water": "water_quality",
        "homecare-appliances": "repair",
    }
    # A directory entry without one (an older desk), or naming no category it lists, has none.
    assert Provider(id="acme", name="Acme").general() is None
    unknown = Provider(id="acme", name="Acme", general_category="repair", categories=[])
    assert unknown.general() is None


@pytest.mark.usefixtures("standin_env")
def test_a_company_the_directory_does_not_know_offers_nothing():
    assert read(lambda d: d.service_centres("acme")) == []
    assert read(lambda d: d.parts_delivery("acme")) is None
    assert read(lambda d: d.services("acme")) == []
    assert read(lambda d: d.keywords("acme")) == []


@pytest.mark.usefixtures("sixth_env")
def test_a_sixth_company_is_read_like_the_five():
    assert read(lambda d: d.services("hearthwise-heating")) == ["boiler_service", "repair"]
    assert read(lambda d: d.parts_delivery("hearthwise-heating")) == "HW-HOME"
    assert "boiler" in read(lambda d: d.keywords("hearthwise-heating"))
    assert "Hearthwise Heating" in read(lambda d: d.known_names())
    hearthwise = read(lambda d: d.get("hearthwise-heating"))
    assert hearthwise is not None and getattr(hearthwise.general(), "id", None) == "repair"
