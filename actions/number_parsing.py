"""Find the number the owner means in free text ("my water meter says 1,250.7 m3")."""

from __future__ import annotations

import re

# Identifiers and units carry digits that are not the reading: WM-3341, E-77120, m3, m³.
_IDS = re.compile(r"\b[A-Za-z]+(?:-[A-Za-z0-9]+)+\b")
_UNITS = re.compile(r"(?i)\b(?:m3|m³|kwh|cubic\s+met(?:er|re)s?)\b|m³")
_NUMBER = re.compile(r"(?<![\w.])(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:[.,]\d+)?)(?![\w])")


def _to_float(raw: str) -> float:
    if "," in raw and "." in raw:
        return float(raw.replace(",", ""))  # 1,250.7: the comma groups thousands
    if "," in raw:
        whole, _, frac = raw.partition(",")
        # 1250,7 is a decimal comma; 1,250 groups thousands.
        return float(f"{whole}.{frac}") if len(frac) != 3 else float(whole + frac)
    return float(raw)


def find_number(text: str) -> float | None:
    """The first number in `text` that is not part of an id or a unit, or None."""
    cleaned = _UNITS.sub(" ", _IDS.sub(" ", text))
    match = _NUMBER.search(cleaned)
    return _to_float(match.group(1)) if match else None


def normalise_unit(text: str | None) -> str | None:
    """'m³', 'cubic metres', 'M3' -> 'm3'; 'KWH' -> 'kWh'; anything else unchanged."""
    if not text:
        return None
    clean = text.strip().lower().replace(" ", "")
    if clean in {"m3", "m³", "cubicmeters", "cubicmetres", "cubicmeter", "cubicmetre"}:
        return "m3"
    if clean in {"kwh", "kilowatthours", "kilowatthour"}:
        return "kWh"
    return text.strip()
