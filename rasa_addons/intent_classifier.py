"""Rasa's LogisticRegressionClassifier with its regularisation strength configurable (`C`).

Rasa fixes C at scikit-learn's default of 1.0, which spreads the probability over Stand-in's
fifty-odd intents so thinly that right answers fall under the FallbackClassifier's threshold.
A weaker regularisation (a larger C) gives the confidences a live assistant can act on; the
rest (features, class weights, storage) is Rasa's own. In config.yml:
`- name: rasa_addons.intent_classifier.TunedLogisticRegressionClassifier` with `C: 10`.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class TunedLogisticRegressionClassifier(LogisticRegressionClassifier):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {**LogisticRegressionClassifier.get_default_config(), "C": 1.0}

    def __init__(
        self,
        config: dict[str, Any],
        name: str,
        model_storage: ModelStorage,
        resource: Resource,
    ) -> None:
        super().__init__(config, name, model_storage, resource)
        self.clf.set_params(C=float(self.config["C"]))
