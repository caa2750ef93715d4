import pytest

from actions.core.number_parsing import find_number, normalise_unit


@pytest.mark.parametrize(
    "text, value",
    [
        ("my water meter says 1250.7", 1250.7),
        ("WM-3341 reads 1,250.7 m3", 1250.7),
        ("electricity meter E-77120: 48300 kWh", 48300.0),
        ("gas 9130,5", 9130.5),
        ("meter at 1250,7 m³", 1250.7),
        ("my water meter is on 1,270 cubic meters", 1270.0),
        ("no number here", None),
    ],
)
def test_the_reading_is_found_and_ids_and_units_are_not(text, value):
    assert find_number(text) == value


def test_units():
    assert normalise_unit("m³") == normalise_unit("cubic metres") == normalise_unit("M3") == "m3"
    assert normalise_unit("KWH") == "kWh"
    assert normalise_unit(None) is None


@pytest.mark.parametrize(
    "text, value",
    [
        ("set my limit to fifty", 50.0),
        ("my water meter says twelve hundred fifty point seven", 1250.7),
        ("one thousand two hundred and fifty", 1250.0),
        ("forty eight thousand three hundred kWh", 48300.0),
        ("ninety-nine euros", 99.0),
        ("a bit more", None),
    ],
)
def test_numbers_written_as_words(text, value):
    assert find_number(text) == value
