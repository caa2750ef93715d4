"""The reason for a call, taken from the owner's request (actions.calls.place_call)."""

from __future__ import annotations

import pytest

from actions.calls.place_call import reason_from
from actions.providers.desk_models import Provider

NIMBUS = Provider(id="nimbus-telecom", name="Nimbus Telecom", aliases=["Nimbus"])


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("call Nimbus about my bill", "my bill"),
        ("Could you please call Nimbus Telecom regarding my router?", "my router"),
        ("hold for me with Nimbus about the outage", "the outage"),
        ("get me someone at Nimbus about my contract", "my contract"),
        ("call Nimbus", ""),
    ],
)
def test_the_reason_is_the_request_without_the_asking_and_the_company(text, reason):
    assert reason_from(text, NIMBUS) == reason


def test_without_a_provider_only_the_request_is_taken_off():
    assert reason_from("ring Nimbus please about my bill", None) == "Nimbus my bill"


def test_a_long_reason_is_cut_to_300_characters():
    assert len(reason_from("call Nimbus about " + "x" * 400, NIMBUS)) == 300
