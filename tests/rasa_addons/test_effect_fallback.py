"""The stricter fallback for intents that act at a company (rasa_addons/effect_fallback.py)."""

from __future__ import annotations

from rasa.shared.nlu.training_data.message import Message

from rasa_addons.effect_fallback import EffectAwareFallbackClassifier, doubtful

EFFECTS = {"place_call", "report_problem"}


def ranking(*pairs: tuple[str, float]) -> list[dict]:
    return [{"name": n, "confidence": c} for n, c in pairs]


def test_an_effect_on_a_thin_lead_or_low_confidence_is_doubtful() -> None:
    close = ranking(("place_call", 0.47), ("report_problem", 0.35))
    assert doubtful(close, EFFECTS, threshold=0.6, ambiguity=0.3)
    low = ranking(("place_call", 0.55), ("greet", 0.1))
    assert doubtful(low, EFFECTS, threshold=0.6, ambiguity=0.3)


def test_a_clear_effect_or_any_other_intent_is_not() -> None:
    clear = ranking(("place_call", 0.95), ("report_problem", 0.03))
    assert not doubtful(clear, EFFECTS, threshold=0.6, ambiguity=0.3)
    chat = ranking(("greet", 0.4), ("goodbye", 0.35))
    assert not doubtful(chat, EFFECTS, threshold=0.6, ambiguity=0.3)
    assert not doubtful([], EFFECTS, threshold=0.6, ambiguity=0.3)


def test_the_classifier_turns_a_doubtful_effect_into_nlu_fallback() -> None:
    config = {
        **EffectAwareFallbackClassifier.get_default_config(),
        "threshold": 0.3,
        "ambiguity_threshold": 0.05,
        "effect_intents": sorted(EFFECTS),
    }
    classifier = EffectAwareFallbackClassifier(config)
    doubtful_call = Message(
        data={
            "text": "nimbus broadband is really slow, please log a fault",
            "intent": {"name": "place_call", "confidence": 0.47},
            "intent_ranking": ranking(("place_call", 0.47), ("report_problem", 0.35)),
        }
    )
    greeting = Message(
        data={
            "text": "hi",
            "intent": {"name": "greet", "confidence": 0.5},
            "intent_ranking": ranking(("greet", 0.5), ("goodbye", 0.4)),
        }
    )
    classifier.process([doubtful_call, greeting])
    assert doubtful_call.data["intent"]["name"] == "nlu_fallback"
    assert [r["name"] for r in doubtful_call.data["intent_ranking"][:3]] == [
        "nlu_fallback",
        "place_call",
        "report_problem",
    ]
    assert greeting.data["intent"]["name"] == "greet"


def test_config_yml_uses_it_for_every_intent_the_choice_can_name() -> None:
    import yaml

    from actions.handoff.misunderstanding import CHOICE_LABELS
    from tests.conftest import PROJECT_ROOT

    config = yaml.safe_load((PROJECT_ROOT / "config.yml").read_text())
    (component,) = [
        c for c in config["pipeline"] if c["name"].endswith("EffectAwareFallbackClassifier")
    ]
    assert set(component["effect_intents"]) == set(CHOICE_LABELS)
