"""Choosing keys in a company's phone menu for the reason of a call.

The provider directory publishes each menu as a tree of options with topics. An option scores
by how many of its topic's words the reason contains; an option that leads to a sub-menu
scores as its best child. The reason fitting no option means the operator. After a wrong turn
(the menu replays) the next-best option is tried once, then the operator.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from actions.providers.desk_models import MenuNode, MenuOption
from actions.providers.problem_inference import CATEGORY_KEYWORDS, normalise

# Menu topics that are not ticket categories, and extra words for ones that are.
TOPIC_WORDS: dict[str, tuple[str, ...]] = {
    "tech_support": ("technical", "tech support", "support", "not working", "down", "broken"),
    "new_repair": CATEGORY_KEYWORDS["repair"] + ("new",),
    "existing_repair": (
        "existing",
        "ongoing",
        "already",
        "follow up",
        "booked",
        "my repair",
        "the repair",
        "technician",
    ),
    # A car's menu has no charging or battery option: those go to service and repairs.
    "repairs": CATEGORY_KEYWORDS["repairs"]
    + CATEGORY_KEYWORDS["battery"]
    + CATEGORY_KEYWORDS["charging"],
    "parts": CATEGORY_KEYWORDS["parts"] + ("order",),
    "meter_readings": CATEGORY_KEYWORDS["meter_readings"] + ("meter reading",),
}
_OPERATOR = re.compile(r"\b(operator|agent|representative|person|human)\b", re.IGNORECASE)
MAX_WRONG_TURNS_BEFORE_OPERATOR = 2


@dataclass(frozen=True)
class Choice:
    digit: str
    label: str
    why: str  # "best" | "next_best" | "operator" | "fallback"


def _words(option: MenuOption) -> tuple[str, ...]:
    topic = option.topic or ""
    words = (
        CATEGORY_KEYWORDS.get(topic, ())
        + TOPIC_WORDS.get(topic, ())
        + (option.label, topic.replace("_", " "))
    )
    # Each word counts once: "billing" as keyword, label and topic is one hit, not three.
    return tuple(dict.fromkeys(normalise(w) for w in words if w))


def _hits(text: str, words: tuple[str, ...]) -> int:
    return sum(1 for w in words if w and re.search(rf"\b{re.escape(normalise(w))}\b", text))


def is_operator(option: MenuOption) -> bool:
    return option.topic == "operator" or bool(_OPERATOR.search(option.label))


def score(option: MenuOption, reason: str) -> int:
    """How well `option` fits `reason` (normalised); a sub-menu scores as its best child."""
    own = _hits(reason, _words(option))
    if option.next is not None and option.next.options:
        children = [score(o, reason) for o in option.next.options if not is_operator(o)]
        return own + max(children, default=0)
    return own


def ranked(node: MenuNode, reason: str) -> list[MenuOption]:
    """The options that fit `reason`, best first (ties keep the menu's order)."""
    text = normalise(reason)
    scored = [(score(o, text), i, o) for i, o in enumerate(node.options) if not is_operator(o)]
    return [o for s, i, o in sorted(scored, key=lambda t: (-t[0], t[1])) if s > 0]


def operator_digit(node: MenuNode | None) -> tuple[str, str]:
    """The operator option of `node`, else the near-universal 0."""
    for option in node.options if node else []:
        if is_operator(option):
            return option.digit, option.label
    return "0", "Operator"


def choose(node: MenuNode | None, reason: str, wrong_turns: int, tried: set[str]) -> Choice:
    """The key to press at `node` (None: a level the directory does not describe).

    First the best fit; after one wrong turn the next-best untried fit; otherwise, or when
    nothing fits, the operator."""
    operator, operator_label = operator_digit(node)
    if node is not None and wrong_turns < MAX_WRONG_TURNS_BEFORE_OPERATOR:
        fits = [o for o in ranked(node, reason) if o.digit not in tried]
        if fits:
            return Choice(fits[0].digit, fits[0].label, "best" if wrong_turns == 0 else "next_best")
    return Choice(operator, operator_label, "operator" if node is not None else "fallback")


def node_at(menu: MenuNode | None, path: list[str]) -> MenuNode | None:
    """The directory's menu after pressing `path`; None where the directory has no such level."""
    node = menu
    for digit in path:
        if node is None:
            return None
        option = next((o for o in node.options if o.digit == digit), None)
        node = option.next if option is not None else None
    return node
