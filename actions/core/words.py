"""Words compared as words: case, punctuation and spacing folded, phrases found whole."""

from __future__ import annotations

import re

_NOT_WORD = re.compile(r"[^a-z0-9]+")


def normalise(text: str) -> str:
    """Lower case, punctuation and spacing folded: "Nimbus-Telecom!" -> "nimbus telecom"."""
    return _NOT_WORD.sub(" ", text.lower()).strip()


def has_phrase(words: str, phrase: str) -> bool:
    """Whether normalised `words` hold normalised `phrase` as whole words."""
    return f" {phrase} " in f" {words} "
