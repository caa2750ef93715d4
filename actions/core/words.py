"""Words compared as words: case, punctuation and spacing folded, phrases found whole."""

from __future__ import annotations

import re
from collections.abc import Iterable

_NOT_WORD = re.compile(r"[^a-z0-9]+")


def normalise(text: str) -> str:
    """Lower case, punctuation and spacing folded: "Nimbus-Telecom!" -> "nimbus telecom"."""
    return _NOT_WORD.sub(" ", text.lower()).strip()


def has_phrase(words: str, phrase: str) -> bool:
    """Whether normalised `words` hold normalised `phrase` as whole words."""
    return f" {phrase} " in f" {words} "


# What owners say when they cannot or will not pick an option, normalised: phrases found
# anywhere in the answer, and words that say it only as the whole answer ("any" is also in
# "no signal on any device").
UNSURE_PHRASES = (
    "i don t know", "i dont know", "don t know", "dont know", "dunno", "no idea", "not sure",
    "no clue", "you choose", "you pick", "you decide", "none of them", "none of those",
    "none of these", "doesn t matter", "does not matter", "no preference",
)  # fmt: skip
UNSURE_ANSWERS = {"any", "anything", "none", "whatever", "skip", "skip it", "pass", "idk"}


def says_any(text: str, phrases: Iterable[str]) -> bool:
    """Whether the owner's `text` holds any of `phrases` (normalised) as whole words."""
    words = normalise(text)
    return any(has_phrase(words, p) for p in phrases)


def says_unsure(text: str) -> bool:
    """Whether `text` says the owner cannot or will not pick ("no idea", "you choose")."""
    words = normalise(text)
    return words in UNSURE_ANSWERS or says_any(words, UNSURE_PHRASES)


# How a refusal starts ("no, ...", "never mind, ..."), and the words that may follow it without
# answering anything ("no, I'll do it later"). A refusal with other words in it ("no, the gas
# one") is an answer.
REFUSAL_OPENERS = (
    "no", "nope", "nah", "never mind", "nevermind", "forget it", "forget about it", "leave it",
    "cancel that", "cancel it", "cancel", "don t", "dont", "do not", "not now", "stop",
    "none of those", "none of these", "none of them",
)  # fmt: skip
REFUSAL_FILLER = set(
    """
    i ll i will do it later that this keep the original time thanks thank you please don t dont
    order anymore right now for leave as is book anything suit suits me work works them want
    need bother mind actually ok okay not it s fine myself go ahead yet just forget about those
    these of none cancel never stop no nope nah any more at all again sort out handle deal with
    another time day sometime later
    """.split()
)


def says_no_more(text: str) -> bool:
    """Whether `text` only refuses: it opens with a refusal and says nothing else."""
    words = normalise(text)
    for opener in REFUSAL_OPENERS:
        if words == opener or words.startswith(opener + " "):
            rest = words[len(opener) :].split()
            return all(w in REFUSAL_FILLER for w in rest)
    return False


def one_typo_away(said: str, word: str) -> bool:
    """Whether `said` is `word` with one letter missing, added, changed or two swapped, the
    first letter kept ("internt", "brokne"); both at least four letters, so short words never
    match each other."""
    if said == word or min(len(said), len(word)) < 4 or said[0] != word[0]:
        return False
    if abs(len(said) - len(word)) > 1:
        return False
    if len(said) == len(word):
        diff = [i for i, (a, b) in enumerate(zip(said, word, strict=True)) if a != b]
        if len(diff) == 1:
            return True
        return (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and said[diff[0]] == word[diff[1]]
            and said[diff[1]] == word[diff[0]]
        )
    short, long = (said, word) if len(said) < len(word) else (word, said)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))
