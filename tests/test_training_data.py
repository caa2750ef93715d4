"""The training data meets the bar the NLU needs: enough varied examples for every intent,
and the held-out test file never leaks into training."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
MIN_EXAMPLES = 25


def _examples(paths) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in paths:
        for block in (yaml.safe_load(path.read_text()) or {}).get("nlu", []):
            if "intent" in block:
                lines = [
                    line[2:].strip()
                    for line in block["examples"].splitlines()
                    if line.startswith("- ")
                ]
                found.setdefault(block["intent"], []).extend(lines)
    return found


def test_every_intent_has_enough_examples():
    domain = yaml.safe_load((ROOT / "domain.yml").read_text())
    training = _examples(sorted((ROOT / "data").glob("*.yml")))
    short = {
        intent: len(training.get(intent, []))
        for intent in domain["intents"]
        # External events come from the action server, never from the owner's words.
        if not intent.startswith("EXTERNAL_") and len(training.get(intent, [])) < MIN_EXAMPLES
    }
    assert not short, f"intents with fewer than {MIN_EXAMPLES} examples: {short}"


def test_held_out_examples_are_never_trained_on():
    training = {
        t.lower() for lines in _examples((ROOT / "data").glob("*.yml")).values() for t in lines
    }
    for name in ("nlu_heldout.yml", "nlu_heldout_blind.yml"):
        held_out = _examples([ROOT / "tests" / name])
        leaked = [t for lines in held_out.values() for t in lines if t.lower() in training]
        assert not leaked, f"{name}: held-out examples also in training data: {leaked}"
        assert sum(len(v) for v in held_out.values()) >= 60
