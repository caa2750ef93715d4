"""Which company questions Stand-in may answer from the profile, and which are the owner's."""

from __future__ import annotations

import pytest

from actions.handoff.provider_questions import (
    answer_from_profile,
    is_identity_question,
    subject_for,
)
from actions.owner.profile import load_profile
from tests.conftest import PROJECT_ROOT

PROFILE = load_profile(PROJECT_ROOT / "owner.yml")


@pytest.mark.parametrize(
    "question",
    [
        "Please confirm your date of birth.",
        "What is the answer to your security question?",
        "To confirm it's you: what was the amount of your last payment?",
        "What is your mother's maiden name?",
        "Please give us the last four digits of your card.",
        "What is your PIN?",
    ],
)
def test_identity_questions_are_recognised_by_their_words(question):
    assert is_identity_question(question, None)
    assert answer_from_profile(PROFILE, "nimbus-telecom", question) is None


def test_the_company_can_mark_any_question_as_an_identity_check():
    assert is_identity_question("Which colour is your car?", "identity")
    assert not is_identity_question("Which lights on your router are on?", "general")


@pytest.mark.parametrize(
    ("provider", "question", "answer"),
    [
        ("nimbus-telecom", "What is the serial number of your router?", "RT-5521"),
        ("nimbus-telecom", "What is your account number?", "NT-908812"),
        ("aquaflow-water", "What phone number can we reach you on?", "+15550100"),
        ("voltra-motors", "Which VIN is the car?", "VIN-5YJ3E1EA7KF317000"),
    ],
)
def test_facts_the_profile_holds_for_certain_are_answered(provider, question, answer):
    assert answer_from_profile(PROFILE, provider, question) == answer


@pytest.mark.parametrize(
    ("provider", "question"),
    [
        ("nimbus-telecom", "Which lights on your router are on?"),  # only the owner can look
        ("homecare-appliances", "What is the serial number of the appliance?"),  # two devices
        ("nimbus-telecom", "To confirm it's you: what is your phone number?"),  # identity
        ("unknown-provider", "What is your account number?"),
    ],
)
def test_anything_else_goes_to_the_owner(provider, question):
    assert answer_from_profile(PROFILE, provider, question) is None


def test_the_same_question_on_the_same_ticket_is_one_subject():
    assert subject_for("TCK-1", "Why?") == subject_for("TCK-1", "Why?")
    assert subject_for("TCK-1", "Why?") != subject_for("TCK-1", "How?")
    assert subject_for("TCK-1", "Why?") != subject_for("TCK-2", "Why?")
