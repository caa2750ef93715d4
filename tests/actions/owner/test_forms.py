"""What the forms share: which intents never answer, and which may be a misread answer."""

from __future__ import annotations

from actions.owner.forms import MISREAD_INTENTS, NEVER_ANSWERS


def test_misread_intents_are_those_the_text_mappings_refuse_less_the_ones_that_never_answer(
    domain,
) -> None:
    refused = {
        intent
        for slot in domain["slots"].values()
        for mapping in slot.get("mappings") or []
        if mapping.get("type") == "from_text" and mapping.get("conditions")
        for intent in mapping.get("not_intent") or []
    }
    assert MISREAD_INTENTS == refused - NEVER_ANSWERS - {"EXTERNAL_notice"}
