"""Find the number the owner means in free text ("my water meter says 1,250.7 m3")."""

from __future__ import annotations

import re

# Identifiers and units carry digits that are not the reading: WM-3341, E-77120, m3, m³.
_IDS = re.compile(r"\b[A-Za-z]+-[A-Za-z0-9-]*\d[A-Za-z0-9-]*\b")  # has a digit: not "ninety-nine"
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
    """The first number in `text` that is not part of an id or a unit, in digits or in words
    ("fifty", "twelve hundred fifty point seven"), or None."""
    cleaned = _UNITS.sub(" ", _IDS.sub(" ", text))
    match = _NUMBER.search(cleaned)
    return _to_float(match.group(1)) if match else words_to_number(cleaned)


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


_UNITS_WORDS = {
    w: i
    for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen"
        " fifteen sixteen seventeen eighteen nineteen".split()
    )
}
_TENS_WORDS = {
    w: 10 * i
    for i, w in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split(), start=2)
}
_SCALES = {"hundred": 100, "thousand": 1_000, "million": 1_000_000}


def words_to_number(text: str) -> float | None:
    """The first number written in words: "twelve hundred fifty point seven" -> 1250.7."""
    tokens = re.findall(r"[a-z]+", text.lower().replace("-", " "))
    start = next((i for i, t in enumerate(tokens) if t in _UNITS_WORDS or t in _TENS_WORDS), None)
    if start is None:
        return None
    total, current, decimals, in_decimals, used = 0, 0, "", False, False
    for token in tokens[start:]:
        if in_decimals and token in _UNITS_WORDS and _UNITS_WORDS[token] < 10:
            decimals += str(_UNITS_WORDS[token])
        elif token in _UNITS_WORDS and not in_decimals:
            current += _UNITS_WORDS[token]
            used = True
        elif token in _TENS_WORDS and not in_decimals:
            current += _TENS_WORDS[token]
            used = True
        elif token == "hundred" and not in_decimals:
            current = max(current, 1) * 100
        elif token in ("thousand", "million") and not in_decimals:
            total += max(current, 1) * _SCALES[token]
            current = 0
        elif token == "point" and used:
            in_decimals = True
        elif token == "and":
            continue
        else:
            break
    if not used:
        return None
    value = float(total + current)
    return value + float(f"0.{decimals}") if decimals else value
