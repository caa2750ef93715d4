"""Words compared as words."""

from __future__ import annotations

from actions.core.words import has_phrase, normalise


def test_case_punctuation_and_spacing_are_folded() -> None:
    assert normalise("  Nimbus-Telecom!  is   DOWN ") == "nimbus telecom is down"
    assert normalise("?!") == ""


def test_a_phrase_is_found_only_as_whole_words() -> None:
    words = normalise("my washing machine won't drain")
    assert has_phrase(words, "washing machine")
    assert has_phrase(words, "drain")
    assert not has_phrase(words, "wash")
    assert not has_phrase(words, "machine won drain")
