"""The provider directory: what each company offers, read from the desk, never coded."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import pytest

from actions import runtime
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
