"""The tuned classifier gives exactly the intents and confidences Rasa's own
LogisticRegressionClassifier computes from the same features, only faster."""

from __future__ import annotations

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import (
    CountVectorsFeaturizer,
)
from rasa.nlu.featurizers.sparse_featurizer.lexical_syntactic_featurizer import (
    LexicalSyntacticFeaturizer,
)
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from rasa_addons.intent_classifier import TunedLogisticRegressionClassifier

EXAMPLES = {
    "report_problem": ["my internet is down", "the fridge is broken", "wifi keeps dropping"],
    "ticket_status": ["what's the status", "any news on my ticket", "status of TCK-1"],
    "submit_meter_reading": ["my water meter says 1300", "meter reading 42", "gas is at 7"],
    "book_appointment": ["book a technician", "I need a visit", "schedule a repair"],
    "stop": ["stop", "never mind", "cancel that"],
}
NEW = ["internet down again", "status please", "the meter says 99.5", "book me", "stop it", "?"]


def _pipeline(tmp_path):
    storage = LocalModelStorage(tmp_path)
    context = ExecutionContext(GraphSchema({}), "test")
    tokenizer = WhitespaceTokenizer(WhitespaceTokenizer.get_default_config())
    featurizers = [
        LexicalSyntacticFeaturizer.create(
            LexicalSyntacticFeaturizer.get_default_config(), storage, Resource("lsf"), context
        ),
        CountVectorsFeaturizer.create(
            CountVectorsFeaturizer.get_default_config(), storage, Resource("words"), context
        ),
        CountVectorsFeaturizer.create(
            {
                **CountVectorsFeaturizer.get_default_config(),
                "analyzer": "char_wb",
                "min_ngram": 1,
                "max_ngram": 4,
            },
            storage,
            Resource("chars"),
            context,
        ),
    ]
    data = TrainingData(
        [Message.build(text=t, intent=i) for i, texts in EXAMPLES.items() for t in texts]
    )
    tokenizer.process_training_data(data)
    for featurizer in featurizers:
        featurizer.train(data)
        featurizer.process_training_data(data)
    classifier = TunedLogisticRegressionClassifier.create(
        {**TunedLogisticRegressionClassifier.get_default_config(), "C": 10},
        storage,
        Resource("lr"),
        context,
    )
    classifier.train(data)

    def featurised(texts: list[str]) -> list[Message]:
        messages = [Message.build(text=t) for t in texts]
        tokenizer.process(messages)
        for featurizer in featurizers:
            featurizer.process(messages)
        return messages

    return classifier, featurised


def test_the_same_intents_and_confidences_as_rasas_classifier(tmp_path) -> None:
    classifier, featurised = _pipeline(tmp_path)
    ours = classifier.process(featurised(NEW))
    rasas = LogisticRegressionClassifier.process(classifier, featurised(NEW))
    for mine, theirs in zip(ours, rasas, strict=True):
        assert mine.get("intent")["name"] == theirs.get("intent")["name"]
        names = [r["name"] for r in mine.get("intent_ranking")]
        assert names == [r["name"] for r in theirs.get("intent_ranking")]
        assert np.allclose(
            [r["confidence"] for r in mine.get("intent_ranking")],
            [r["confidence"] for r in theirs.get("intent_ranking")],
            rtol=1e-9,
            atol=1e-12,
        )
    assert ours[0].get("intent")["name"] == "report_problem"  # and it learnt something


def test_one_message_or_many_at_once_give_the_same(tmp_path) -> None:
    classifier, featurised = _pipeline(tmp_path)
    together = classifier.process(featurised(NEW))
    alone = [classifier.process(featurised([t]))[0] for t in NEW]
    assert [m.get("intent") for m in together] == [m.get("intent") for m in alone]
