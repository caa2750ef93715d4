"""scripts/nlu_cross_validation.py for real on a tiny synthetic training set: the folds are
stratified and disjoint, a fast candidate is trained and scored with Rasa's own graph, and the
report carries its fields. Also: the candidate files load, and bench/nlu_candidates/current.yml
is still config.yml's intent pipeline."""

from __future__ import annotations

import importlib.util
import json
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType

import pytest
import yaml

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SCRIPT = PROJECT_ROOT / "scripts" / "nlu_cross_validation.py"

NLU = """\
version: "3.1"
nlu:
  - intent: greet
    examples: |
      - hello
      - hi there
      - good morning
      - hey
      - hiya
      - hello again
  - intent: goodbye
    examples: |
      - bye
      - goodbye
      - see you later
      - bye for now
      - talk to you soon
  - intent: call_company
    examples: |
      - call [Acme](provider) for me
      - ring [Acme](provider) please
      - phone the company
      - give [Acme](provider) a call
  - regex: ticket_id
    examples: |
      - \\b[A-Z]{3}-\\d{4}\\b
"""

# Not NLU: the loader must skip it.
RULES = """\
version: "3.1"
rules:
  - rule: say hello
    steps:
      - intent: greet
      - action: utter_greet
"""

FAST_CANDIDATE = """\
# Word counts and a logistic regression: the fastest pipeline there is.
pipeline:
  - name: WhitespaceTokenizer
  - name: CountVectorsFeaturizer
  - name: LogisticRegressionClassifier
"""

REPORT_FIELDS = {
    "name",
    "description",
    "folds",
    "accuracy_mean",
    "accuracy_std",
    "macro_f1_mean",
    "macro_f1_std",
    "train_seconds_mean",
    "train_cpu_seconds_mean",
    "predict_ms_mean",
    "convergence_warnings",
    "per_fold",
    "top_confusions",
    "accuracy_vs_current",
}
FOLD_FIELDS = {
    "accuracy",
    "macro_f1",
    "train_seconds",
    "train_cpu_seconds",
    "predict_ms_per_message",
    "held_out",
    "convergence_warnings",
    "errors",
}


@pytest.fixture(scope="module")
def cv() -> ModuleType:
    spec = importlib.util.spec_from_file_location("nlu_cross_validation", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "data"
    directory.mkdir()
    (directory / "nlu.yml").write_text(NLU)
    (directory / "rules.yml").write_text(RULES)
    return directory


def test_folds_are_stratified_disjoint_and_cover_every_example(
    cv: ModuleType, data_dir: Path
) -> None:
    data = cv.load_training_data(data_dir)
    labels = [e.get_full_intent() for e in data.intent_examples]
    assert Counter(labels) == {"greet": 6, "goodbye": 5, "call_company": 4}

    folds = cv.stratified_folds(labels, 2)
    assert len(folds) == 2
    held_out: list[int] = []
    for train, test in folds:
        assert not set(train) & set(test)
        assert sorted(train + test) == list(range(len(labels)))
        held_out += test
        # Each intent split as evenly as it can be: half its examples, give or take one.
        per_intent = Counter(labels[i] for i in test)
        for intent, total in Counter(labels).items():
            assert abs(per_intent[intent] - total / 2) <= 0.5
    assert sorted(held_out) == list(range(len(labels)))  # each example held out once
    assert cv.stratified_folds(labels, 2) == folds  # fixed seed


def test_fold_training_data_copies_examples_and_keeps_the_regexes(
    cv: ModuleType, data_dir: Path
) -> None:
    data = cv.load_training_data(data_dir)
    fold = cv.fold_training_data(data, [0, 1, 2])
    assert [e.get("text") for e in fold.intent_examples] == [
        e.get("text") for e in data.intent_examples[:3]
    ]
    originals = data.intent_examples[:3]
    assert all(a is not b for a, b in zip(fold.intent_examples, originals, strict=True))
    assert fold.regex_features == data.regex_features


def test_a_fast_candidate_is_cross_validated_and_reported(
    cv: ModuleType, data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    candidates = tmp_path / "candidates"
    candidates.mkdir()
    (candidates / "fast.yml").write_text(FAST_CANDIDATE)
    # The same pipeline as the baseline: paired with it fold by fold, it differs by nothing.
    (candidates / "current.yml").write_text(FAST_CANDIDATE)
    out = tmp_path / "cv.json"

    argv = ["--folds", "2", "--data", str(data_dir), "--candidates", str(candidates)]
    assert cv.main([*argv, "--out", str(out)]) == 0

    report = json.loads(out.read_text())
    assert report["folds"] == 2
    assert report["examples"] == 15
    assert report["intents"] == 3
    baseline, result = sorted(report["candidates"], key=lambda r: r["name"])
    assert baseline["name"] == "current"
    assert result["accuracy_vs_current"] == {
        "mean": 0.0,
        "std": 0.0,
        "folds_better": 0,
        "folds_worse": 0,
    }
    assert set(result) == REPORT_FIELDS
    assert result["name"] == "fast"
    assert result["description"].startswith("Word counts and a logistic regression")
    assert result["folds"] == 2
    assert len(result["per_fold"]) == 2
    assert sum(f["held_out"] for f in result["per_fold"]) == 15
    for fold in result["per_fold"]:
        assert set(fold) == FOLD_FIELDS
        assert 0.0 <= fold["accuracy"] <= 1.0
        assert 0.0 <= fold["macro_f1"] <= 1.0
        assert fold["train_seconds"] > 0
        assert fold["predict_ms_per_message"] > 0
        # Every error is a held-out message read as another intent.
        assert round(fold["accuracy"] * fold["held_out"]) == fold["held_out"] - len(fold["errors"])
    assert 0.0 <= result["accuracy_mean"] <= 1.0

    table = capsys.readouterr().out
    assert "| candidate | folds | accuracy |" in table
    assert "| fast | 2 |" in table
    assert "+0.0000 ± 0.0000 (0/0)" in table


def test_every_candidate_file_loads_and_judges_the_intent_alone(cv: ModuleType) -> None:
    candidates = cv.load_candidates()
    names = {c.name for c in candidates}
    assert {"current", "lr_c3", "lr_c30", "lr_c100", "diet"} <= names
    assert all(c.description for c in candidates)


def test_a_candidate_with_an_entity_extractor_is_refused(cv: ModuleType, tmp_path: Path) -> None:
    path = tmp_path / "crf.yml"
    path.write_text(FAST_CANDIDATE + "  - name: CRFEntityExtractor\n")
    with pytest.raises(ValueError, match="CRFEntityExtractor"):
        cv.load_candidate(path)


def test_the_current_candidate_is_config_yml_without_entities_and_fallback(
    cv: ModuleType,
) -> None:
    config = yaml.safe_load((PROJECT_ROOT / "config.yml").read_text())
    intent_pipeline = [c for c in config["pipeline"] if c["name"] not in cv.NOT_INTENT_COMPONENTS]
    assert cv.load_candidate(cv.CANDIDATES_DIR / "current.yml").pipeline == intent_pipeline
