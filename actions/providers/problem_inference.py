"""Work out what a problem report is about from the owner's own words.

Keyword evidence only, on purpose: it is predictable, explainable to the owner, and when the
evidence is weak or ambiguous the form asks instead of guessing.
"""

from __future__ import annotations

import re

from actions.core.words import has_phrase, normalise, one_typo_away
from actions.owner.device_words import device_words
from actions.owner.profile import OwnerProfile
from actions.providers.desk_models import Provider

# Words that point at a category id. A category counts only if the provider offers it.
CATEGORY_KEYWORDS: dict[str, tuple[str, ...]] = {
    "internet": (
        "internet",
        "wifi",
        "wi fi",
        "broadband",
        "connection",
        "dropping",
        "drops",
        "offline",
        "router",
        "slow",
        "disconnect",
        "disconnects",
        "disconnecting",
        "online",
        "signal",
        "hub",
        "homehub",
        "home hub",
        "restarts",
        "reboots",
        "rebooting",
        "fibre",
        "fiber",
        "mbps",
        "speed",
        "speeds",
    ),
    "mobile": ("mobile", "phone", "sim", "calls", "texts", "sms", "data", "roaming", "4g", "5g"),
    "billing": (
        "bill",
        "billing",
        "invoice",
        "charge",
        "charged",
        "overcharged",
        "payment",
        "refund",
        "price",
        "fee",
        "direct debit",
        "double charged",
    ),
    "technician_visit": ("technician", "engineer", "visit", "install", "installation"),
    "cancellation": ("cancel", "cancellation", "terminate", "end my contract"),
    "roadside": (
        "breakdown",
        "broke down",
        "stranded",
        "roadside",
        "tow",
        "flat tyre",
        "flat tire",
        "broken down",
        "hard shoulder",
        "motorway",
        "highway",
        "side of the road",
        "car died",
        "won t start",
        "wont start",
    ),
    "battery": ("battery", "range", "coolant", "cooling"),
    "charging": (
        "charging",
        "charge port",
        "charging port",
        "charger",
        "won t charge",
        "wont charge",
        "doesn t charge",
        "not charging",
        "wallbox",
        "wall box",
        "plug",
    ),
    "repairs": (
        "repair",
        "service",
        "noise",
        "brake",
        "brakes",
        "warning light",
        "fault",
        "heating",
        "heater",
        "air con",
        "aircon",
        "wipers",
        "headlight",
        "rattle",
        "rattling",
        "squeaking",
    ),
    "parts": ("part", "parts", "spare", "replacement"),
    "outage": (
        "outage",
        "power cut",
        "no power",
        "blackout",
        "no electricity",
        "no gas",
        "power off",
        "power s off",
        "power s been off",
        "power out",
        "power s out",
        "power is out",
        "power has gone",
        "power went",
        "lights went out",
        "electricity off",
    ),
    "meter_readings": ("meter", "reading", "readings"),
    "leak": (
        "leak",
        "leaking",
        "leaks",
        "burst",
        "flood",
        "flooding",
        "dripping",
        "drip",
        "drips",
        "pipe",
        "water main",
        "puddle",
    ),
    "water_quality": (
        "brown",
        "cloudy",
        "smell",
        "smells",
        "taste",
        "tastes",
        "discoloured",
        "discolored",
        "yellow",
        "yellowish",
        "rusty",
        "murky",
        "metal",
        "metallic",
        "pressure",
        "quality",
    ),
    "repair": (
        "broken",
        "not working",
        "stopped working",
        "leaking",
        "fridge",
        "freezer",
        "washing",
        "washer",
        "drain",
        "door",
        "noise",
        "warm",
        "error",
        "repair",
    ),
    "installation": ("install", "installation", "set up", "setup", "fit"),
}

SEVERITY_KEYWORDS: dict[str, tuple[str, ...]] = {
    "urgent": (
        "urgent",
        "emergency",
        "asap",
        "right now",
        "flood",
        "flooding",
        "burst",
        "dangerous",
    ),
    "high": (
        "completely",
        "no internet",
        "not working at all",
        "can t work",
        "stranded",
        "no power",
    ),
    "low": ("no rush", "whenever", "not urgent", "minor", "low priority"),
}

# The owner's request around the problem ("can you report it to X", "tell X that ...").
_CLAUSE_END = re.compile(r"[.!?;\n]|,\s*(?:can|could|would|will|please|so)\b", re.IGNORECASE)
_VERB = r"(?:report|tell|inform|notify|raise|let|open|file|log)"
_OBJECT = (
    r"(?:\s+(?:it|this|them|that|(?:a|an|the)\s+(?:ticket|complaint|problem|issue|fault|repair)))?"
)
_LEADING_REQUEST = re.compile(
    rf"^(?:please\s+)?(?:(?:can|could|would|will)\s+you\s+)?"
    rf"(?:(?:i\s+(?:want|need|would\s+like|wish)\s+to|i\s*'?\s*d\s+like\s+to|i\s+wanna)\s+)?"
    rf"{_VERB}\b{_OBJECT}"
    rf"(?:\s+(?:to|with))?(?:\s+know)?(?:\s+that)?(?:\s+|$)",
    re.IGNORECASE,
)
_TRAILING_REQUEST = re.compile(
    rf"[,\s]*\b(?:and\s+)?(?:please\s+)?(?:(?:can|could|would|will)\s+you\s+)?"
    rf"{_VERB}\b{_OBJECT}(?:\s+(?:to|with))?(?:\s+know)?\s*$",
    re.IGNORECASE,
)
_FILLER = {
    "a",
    "an",
    "the",
    "my",
    "i",
    "it",
    "is",
    "to",
    "of",
    "and",
    "with",
    "for",
    "at",
    "me",
    "our",
    "this",
    "that",
    "problem",
    "issue",
    "report",
    "ticket",
    "open",
    "something",
    "wrong",
    "there",
    "hi",
    "hello",
    "hey",
    "please",
    "can",
    "you",
    "want",
    "need",
    "have",
    "has",
    "got",
    "fault",
    # "something's broken and I need it reported" says nothing of what is broken
    "s",
    "reported",
    "logged",
    "raised",
    "thing",
    "things",
    "stuff",
}


def _problem_words(text: str, provider: Provider | None) -> str:
    """The part of the owner's first sentence that says what is wrong, in their own words."""
    core = _CLAUSE_END.split(text.strip(), maxsplit=1)[0]
    if provider is not None:
        for name in sorted({provider.name, provider.id, *provider.aliases}, key=len, reverse=True):
            core = re.sub(
                rf"\s*\b(?:to|with|at|from)?\s*{re.escape(name)}\b", " ", core, flags=re.I
            )
    core = re.sub(r"\s+", " ", core).strip(" ,-")
    core = _TRAILING_REQUEST.sub("", _LEADING_REQUEST.sub("", core))
    core = re.sub(r"\bplease\b", " ", core, flags=re.IGNORECASE)
    return re.sub(r"\s+", " ", core).strip(" ,-")


def _hits(text: str, words: tuple[str, ...]) -> int:
    """How many of `words` the normalised `text` holds: phrases exactly, and a single word of
    seven letters or more also with one letter missing, extra, wrong or swapped ("internt");
    shorter words only exactly, since one letter turns them into others ("charge", "change")."""
    said = text.split()
    phrases = (normalise(w) for w in words)
    return sum(
        1
        for p in phrases
        if has_phrase(text, p)
        or (" " not in p and len(p) >= 7 and any(one_typo_away(t, p) for t in said))
    )


def _without_provider(text: str, provider: Provider | None) -> str:
    clean = normalise(text)
    if provider is not None:
        for name in sorted({provider.name, provider.id, *provider.aliases}, key=len, reverse=True):
            clean = re.sub(rf"\b{re.escape(normalise(name))}\b", " ", clean)
    return clean


def infer_category(text: str, provider: Provider) -> str | None:
    """The provider's category with the most keyword hits; None when none or tied."""
    best = category_candidates(text, provider)
    return best[0] if len(best) == 1 else None


def category_candidates(text: str, provider: Provider) -> list[str]:
    """The provider's categories with the most keyword hits (several when tied); [] when the
    words point at none."""
    clean = _without_provider(text, provider)
    keywords = {c.id: CATEGORY_KEYWORDS.get(c.id, ()) + (c.name, c.id) for c in provider.categories}
    # Phrases first, and the words a phrase took count for no other category: "charge port"
    # is charging, and its "charge" is not also billing's.
    counts = dict.fromkeys(keywords, 0)
    spaced = f" {clean} "
    for category, words in keywords.items():
        for phrase in {normalise(w) for w in words if " " in normalise(w)}:
            if f" {phrase} " in spaced:
                counts[category] += 1
                spaced = spaced.replace(f" {phrase} ", " _ ")
    rest = spaced.strip()
    scores = []
    for category, words in keywords.items():
        single = tuple(w for w in words if " " not in normalise(w))
        scores.append((counts[category] + _hits(rest, single), category))
    top = max((score for score, _ in scores), default=0)
    return [category for score, category in scores if top and score == top]


def match_category(answer: str, provider: Provider) -> str | None:
    """The category the owner picked when asked: by id, name, number or keywords."""
    clean = normalise(answer)
    for index, category in enumerate(provider.categories, start=1):
        if clean in (normalise(category.id), normalise(category.name), str(index)):
            return category.id
    return infer_category(answer, provider)


def infer_severity(text: str) -> str:
    # "Low" first: its phrases deny urgency ("not urgent", "no rush"), which the urgent words
    # would otherwise find inside them.
    clean = normalise(text)
    for severity in ("low", "urgent", "high"):
        if _hits(clean, SEVERITY_KEYWORDS[severity]):
            return severity
    return "normal"


def describes_a_problem(text: str, provider: Provider | None) -> bool:
    """True when the words say what is wrong, not only "report a problem to X"."""
    words = [w for w in normalise(_problem_words(text, provider)).split() if w not in _FILLER]
    return len(words) >= 2


# Words that say something is wrong, as opposed to asking for a routine service ("book the
# fridge repair visit" asks for a visit; "it won't drain" reports a fault).
FAULT_WORDS = (
    "won t",
    "wont",
    "doesn t",
    "isn t",
    "not working",
    "stopped",
    "broken",
    "broke",
    "faulty",
    "fault",
    "dead",
    "stuck",
    "leak",
    "leaks",
    "leaking",
    "dripping",
    "noise",
    "noisy",
    "error",
    "smell",
    "burning",
    "keeps",
    "failed",
    "failing",
    "can t",
)


def describes_a_fault(text: str) -> bool:
    """True when the words say something is wrong, not only which service is wanted."""
    return _hits(normalise(text), FAULT_WORDS) > 0


def summarise(text: str, provider: Provider | None, limit: int = 120) -> str:
    """A one-line summary: the owner's first clause, without the request to report it."""
    core = _problem_words(text, provider) or text.strip()
    core = core[0].upper() + core[1:]
    return core if len(core) <= limit else core[: limit - 1].rstrip() + "…"


def device_provider(text: str, profile: OwnerProfile) -> str | None:
    """The provider of the one device of the owner's that `text` mentions, else None."""
    clean = normalise(text)
    providers = {
        account.provider
        for account in profile.accounts
        for device in account.devices
        if any(has_phrase(clean, w) for w in device_words(device))
    }
    return providers.pop() if len(providers) == 1 else None
