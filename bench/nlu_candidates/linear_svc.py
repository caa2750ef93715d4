"""A linear support vector machine as Rasa intent classifier, for the cross-validation of
scripts/nlu_cross_validation.py only (bench/nlu_candidates/linear_svc.yml); no assistant runs
it.

Rasa's LogisticRegressionClassifier with scikit-learn's LinearSVC in its place: the same
sentence features, class weights and storage. An SVM gives margins, not probabilities; the
ranking's confidences are a softmax of the margins, good for ranking and accuracy, not
calibrated for a fallback threshold.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.training_data.message import Message
from sklearn.svm import LinearSVC
from sklearn.utils.extmath import softmax

from rasa_addons.intent_classifier import TunedLogisticRegressionClassifier


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class LinearSVCIntentClassifier(TunedLogisticRegressionClassifier):
    """Stand-in's classifier with the SVM in place of the regression: its ranking and output
    (`process`) are the regression's, only the scores differ (`_probabilities`)."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {**TunedLogisticRegressionClassifier.get_default_config(), "max_iter": 2000}

    def __init__(
        self,
        config: dict[str, Any],
        name: str,
        model_storage: ModelStorage,
        resource: Resource,
    ) -> None:
        super().__init__(config, name, model_storage, resource)
        self.clf = LinearSVC(
            C=float(self.config["C"]),
            max_iter=self.config["max_iter"],
            tol=self.config["tol"],
            class_weight="balanced",
            random_state=self.config["random_state"],
        )

    def _probabilities(self, messages: list[Message]) -> np.ndarray:
        margins = np.atleast_2d(self.clf.decision_function(self._create_X(messages)))
        if margins.shape[1] == 1:  # two intents: one margin, for the second
            margins = np.hstack([-margins, margins])
        return softmax(margins.astype(float), copy=False)
