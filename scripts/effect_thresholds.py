"""Choose the thresholds of rasa_addons/effect_fallback.py on data: for each pair (confidence,
lead over the next intent), how many of a file's messages whose leading intent acts at a
company would be acted on wrongly, and how many right ones would be asked about first.

    .venv/bin/python scripts/effect_thresholds.py tests/nlu_heldout.yml

Reads the newest model in models/ (make train first) and the effect intents from config.yml.
Never run it on tests/nlu_heldout_blind.yml to choose anything: that file only reports.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rasa.core.agent import Agent  # noqa: E402
from rasa.shared.nlu.training_data.loading import load_data  # noqa: E402

from launcher.stack import latest_model  # noqa: E402
from rasa_addons.effect_fallback import doubtful  # noqa: E402

GRID_T = (0.35, 0.5, 0.6, 0.7, 0.8)
GRID_M = (0.05, 0.2, 0.3, 0.4)


def effect_intents() -> set[str]:
    pipeline = yaml.safe_load((ROOT / "config.yml").read_text())["pipeline"]
    (component,) = [c for c in pipeline if c["name"].endswith("EffectAwareFallbackClassifier")]
    return set(component["effect_intents"])


async def rankings(path: str) -> list[tuple[str, list[dict]]]:
    agent = Agent.load(str(latest_model()))
    rows = []
    for example in load_data(path).intent_examples:
        parsed = await agent.parse_message(example.get("text"))
        ranking = [r for r in parsed["intent_ranking"] if r["name"] != "nlu_fallback"]
        rows.append((example.get("intent"), ranking))
    return rows


def main() -> int:
    rows = asyncio.run(rankings(sys.argv[1]))
    effects = effect_intents()
    acting = [(gold, r) for gold, r in rows if r and r[0]["name"] in effects]
    right = sum(gold == r[0]["name"] for gold, r in acting)
    print(f"{len(rows)} messages; {len(acting)} led by an intent that acts, {right} of them right")
    print("| confidence below | lead below | wrong ones that would act | right ones asked first |")
    print("|---|---|---|---|")
    for t in GRID_T:
        for m in GRID_M:
            asked = [(g, r) for g, r in acting if doubtful(r, effects, t, m)]
            wrong_acting = sum(g != r[0]["name"] for g, r in acting if (g, r) not in asked)
            right_asked = sum(g == r[0]["name"] for g, r in asked)
            print(f"| {t} | {m} | {wrong_acting} | {right_asked} of {right} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
