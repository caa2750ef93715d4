from datetime import time

import pytest

from actions.core.time_parsing import parse_time_range


@pytest.mark.parametrize(
    "text, expected",
    [
        ("from 10pm to 7am", (time(22), time(7))),
        ("22:30 to 06:45", (time(22, 30), time(6, 45))),
        # Spoken times, as owners say them
        (
            "keep quiet from 11 at night until half seven in the morning",
            (time(23), time(7, 30)),
        ),
        ("quiet between eleven pm and quarter to seven", (time(23), time(6, 45))),
        ("from half past ten at night to 6", (time(22, 30), time(6))),
        ("from 9 in the evening till 8 o'clock in the morning", (time(21), time(8))),
        ("from quarter past eleven pm to 7am", (time(23, 15), time(7))),
    ],
)
def test_ranges_in_the_owners_words(text, expected):
    assert parse_time_range(text) == expected


@pytest.mark.parametrize(
    "text", ["someone rang me at one", "from 25:00 to 7", "from 7 to 7", "quiet please"]
)
def test_no_range_is_none(text):
    assert parse_time_range(text) is None
