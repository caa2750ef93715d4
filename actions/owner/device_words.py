"""What owners call their devices: the words for each kind in the profile, and the device's own
kind and name. Language, not company data: which company a device is with is the profile's."""

from __future__ import annotations

from actions.core.words import normalise
from actions.owner.profile import Device

# By the device kind in the profile (owner.yml); common misspellings included.
DEVICE_WORDS: dict[str, tuple[str, ...]] = {
    "car": ("car", "vehicle", "ev", "tesla"),
    "router": ("router", "modem", "wifi", "wi fi", "internet", "broadband", "homehub"),
    "fridge": ("fridge", "refrigerator", "freezer", "frige", "fridg"),
    "washing_machine": (
        "washing machine", "washer", "washing", "washingmachine", "washing machne", "washin",
    ),
}  # fmt: skip


def device_words(device: Device) -> list[str]:
    """Every phrase (normalised) that names `device`: its kind's words, its kind and its name."""
    said = [*DEVICE_WORDS.get(device.kind, ()), device.kind.replace("_", " "), device.name]
    return [w for w in dict.fromkeys(normalise(p) for p in said) if w]
