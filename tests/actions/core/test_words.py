"""Words compared as words."""

from __future__ import annotations

from actions.core.words import (
    has_phrase,
    normalise,
    one_typo_away,
    says_any,
    says_no_more,
    says_unsure,
)


def test_case_punctuation_and_spacing_are_folded() -> None:
    assert normalise("  Nimbus-Telecom!  is   DOWN ") == "nimbus telecom is down"
    assert normalise("?!") == ""


def test_a_phrase_is_found_only_as_whole_words() -> None:
    words = normalise("my washing machine won't drain")
    assert has_phrase(words, "washing machine")
    assert has_phrase(words, "drain")
    assert not has_phrase(words, "wash")
    assert not has_phrase(words, "machine won drain")


def test_an_owner_who_cannot_pick_is_heard() -> None:
    for said in ("I don't know", "no idea, you choose", "None of those fit", "whatever", "Skip"):
        assert says_unsure(said), said
    for said in ("no signal on any device", "the screen", "anything under 2 mbps", "billing"):
        assert not says_unsure(said), said


def test_a_refusal_that_answers_nothing_is_told_from_one_that_answers() -> None:
    for said in (
        "no",
        "No, I'll do it later",
        "never mind, keep the original time",
        "none of those suit me, leave it",
        "no, don't order it",
        "cancel that",
        "never mind, I'll sort it out later",
        "forget it, I'll deal with it myself",
    ):
        assert says_no_more(said), said
    for said in (
        "no signal on any device",
        "no, the gas one",
        "nope, berlin",
        "the first one",
        "never mind, the heater is out too",
    ):
        assert not says_no_more(said), said


def test_one_typo_away_is_one_letter_missing_added_changed_or_swapped() -> None:
    for said, word in (
        ("internt", "internet"),
        ("internnet", "internet"),
        ("intirnet", "internet"),
        ("itnernet", "internet"),
    ):
        assert one_typo_away(said, word), said
    for said, word in (
        ("internet", "internet"),  # the same word is not a typo
        ("intrnt", "internet"),  # two letters missing
        ("nternet", "internet"),  # the first letter kept
        ("cat", "car"),  # too short to tell
    ):
        assert not one_typo_away(said, word), said


def test_says_any_finds_a_phrase_whole_in_the_owners_words() -> None:
    assert says_any("Actually, just RING them instead!", ("instead", "rather"))
    assert not says_any("the installer came", ("instead", "install"))
