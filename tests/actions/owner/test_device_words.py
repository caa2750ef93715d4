"""What owners call their devices."""

from __future__ import annotations

from actions.owner.device_words import device_words
from actions.owner.profile import Device


def test_a_device_is_named_by_its_kinds_words_its_kind_and_its_name() -> None:
    words = device_words(Device(id="WM-1", kind="washing_machine", name="The Bosch!"))
    assert {"washing machine", "washer", "washin", "the bosch"} <= set(words)
    assert len(words) == len(set(words))


def test_a_kind_without_words_is_named_by_its_kind_and_name_only() -> None:
    assert device_words(Device(id="HP-1", kind="heat_pump")) == ["heat pump"]
