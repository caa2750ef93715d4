"""Rasa's FallbackClassifier, stricter where a guess would act at a company.

An intent in `effect_intents` (a call, a ticket, an order, a booking, ...) stands only when its
confidence is at least `effect_threshold` and it leads the next intent by `effect_ambiguity`;
otherwise the message becomes `nlu_fallback`, and Stand-in asks which was meant
(actions/journeys/intent_choice.py). Every other intent keeps Rasa's own thresholds. The
numbers are chosen on the held-out file (docs/performance.md, "Nothing on a guess"). In
config.yml, in place of FallbackClassifier:

    - name: rasa_addons.effect_fallback.EffectAwareFallbackClassifier
      threshold: 0.35
      ambiguity_threshold: 0.05
      effect_threshold: 0.6
      effect_ambiguity: 0.3
      effect_intents: [report_problem, place_call, ...]
"""

from __future__ import annotations

from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.classifiers.fallback_classifier import FallbackClassifier
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, PREDICTED_CONFIDENCE_KEY
from rasa.shared.nlu.training_data.message import Message

INTENT_RANKING = "intent_ranking"


def doubtful(
    ranking: list[dict[str, Any]], effects: set[str], threshold: float, ambiguity: float
) -> bool:
    """Whether the leading intent of `ranking` would act at a company on too thin a lead."""
    if not ranking or ranking[0].get(INTENT_NAME_KEY) not in effects:
        return False
    first = float(ranking[0].get(PREDICTED_CONFIDENCE_KEY) or 0.0)
    second = float(ranking[1].get(PREDICTED_CONFIDENCE_KEY) or 0.0) if len(ranking) > 1 else 0.0
    return first < threshold or first - second < ambiguity


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class EffectAwareFallbackClassifier(FallbackClassifier):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            **FallbackClassifier.get_default_config(),
            "effect_threshold": 0.6,
            "effect_ambiguity": 0.3,
            "effect_intents": [],
        }

    def _should_fallback(self, message: Message) -> bool:
        if super()._should_fallback(message):
            return True
        config = self.component_config
        ranking = message.data.get(INTENT_RANKING) or [message.data.get(INTENT) or {}]
        return doubtful(
            ranking,
            set(config["effect_intents"]),
            float(config["effect_threshold"]),
            float(config["effect_ambiguity"]),
        )
