"""Which of the owner's devices the owner's words name (the seeded owner.yml: a router at Nimbus,
a car at Voltra, a fridge and a washing machine at HomeCare)."""

from __future__ import annotations

import pytest

from actions.journeys.part_words import find_device
from actions.runtime import services


@pytest.mark.parametrize(
    ("text", "device"),
    [
        ("a new filter for the fridge", "FR-88-2210"),
        ("parts for my washer", "WM-23-9911"),
        ("my frige needs a seal", "FR-88-2210"),
        ("a charging port for the EV", "VIN-5YJ3E1EA7KF317000"),
        # The company the device is with, as the profile says: no company's name in the code.
        ("order a part for my Voltra", "VIN-5YJ3E1EA7KF317000"),
        ("parts for wm-23-9911", "WM-23-9911"),
    ],
)
def test_the_one_device_the_words_name(standin_env, text: str, device: str) -> None:
    assert find_device(services(), text) == device


@pytest.mark.parametrize(
    "text",
    [
        "order a part",  # no device named
        "a part for my HomeCare appliance",  # two devices there
        "parts for the fridge and the washing machine",  # two named
        "a wash cycle part",  # "wash" is not "washing"
    ],
)
def test_no_device_when_the_words_name_none_or_several(standin_env, text: str) -> None:
    assert find_device(services(), text) is None
