"""Choose the NLU intent pipeline on the training data alone: stratified k-fold cross-validation
of the candidate pipelines in bench/nlu_candidates/.

    .venv/bin/python scripts/nlu_cross_validation.py [--folds N] [--only NAME ...]

Why it exists: the held-out files (tests/nlu_heldout.yml, tests/nlu_heldout_blind.yml) are for
reporting; choosing a pipeline or a C on them spends them. This script makes that choice on
data/ only. It reads every NLU file in data/ as it stands when run, splits the intent examples
into k stratified folds (fixed seed), and for each candidate trains on k-1 folds with Rasa's
own graph (the default recipe's train and predict schemas, run in a temporary model storage,
no training cache so that every fold is trained in full and timed honestly) and classifies
each held-out message one at a time, as a live turn does.

Candidates judge the intent alone: entity extractors, synonyms and fallback classifiers are
left out (a file naming one is refused), so the folds are fast and a fallback's threshold does
not blur the comparison. A candidate file may set `folds:` to run fewer folds than --folds
(a slow pipeline); the table says how many each ran.

Prints a markdown table (mean accuracy and macro F1 over the folds, their standard deviations,
mean training seconds per fold, mean prediction milliseconds per message) and writes
results/nlu_cv.json with the per-fold figures.
"""

from __future__ import annotations

import argparse
import copy
import json
import logging
import os
import statistics
import sys
import tempfile
import time
import warnings
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
# Candidates name components by module path (rasa_addons, bench.nlu_candidates).
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")

import rasa.shared.data  # noqa: E402
from rasa.core.channels.channel import UserMessage  # noqa: E402
from rasa.engine.constants import PLACEHOLDER_IMPORTER, PLACEHOLDER_MESSAGE  # noqa: E402
from rasa.engine.graph import ExecutionContext, GraphModelConfiguration  # noqa: E402
from rasa.engine.recipes.recipe import Recipe  # noqa: E402
from rasa.engine.runner.dask import DaskGraphRunner  # noqa: E402
from rasa.engine.storage.local_model_storage import LocalModelStorage  # noqa: E402
from rasa.engine.validation import validate as validate_graph  # noqa: E402
from rasa.shared.core.domain import Domain  # noqa: E402
from rasa.shared.core.training_data.structures import StoryGraph  # noqa: E402
from rasa.shared.data import TrainingType  # noqa: E402
from rasa.shared.importers.importer import TrainingDataImporter  # noqa: E402
from rasa.shared.importers.rasa import RasaFileImporter  # noqa: E402
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, TEXT  # noqa: E402
from rasa.shared.nlu.training_data.message import Message  # noqa: E402
from rasa.shared.nlu.training_data.training_data import TrainingData  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.metrics import f1_score  # noqa: E402
from sklearn.model_selection import StratifiedKFold  # noqa: E402

DATA_DIR = ROOT / "data"
CANDIDATES_DIR = ROOT / "bench" / "nlu_candidates"
RESULTS_FILE = ROOT / "results" / "nlu_cv.json"
DEFAULT_FOLDS = 5
BASELINE = "current"  # bench/nlu_candidates/current.yml: config.yml's intent pipeline
SEED = 20261206

# Components that do not classify intents: a candidate naming one is refused (see docstring).
NOT_INTENT_COMPONENTS = (
    "CRFEntityExtractor",
    "DucklingEntityExtractor",
    "EntitySynonymMapper",
    "RegexEntityExtractor",
    "SpacyEntityExtractor",
    "FallbackClassifier",
    "rasa_addons.effect_fallback.EffectAwareFallbackClassifier",
)

# Rasa's data validation warns of what a candidate leaves out on purpose (entities, synonyms,
# regexes): these warnings are dropped, any other is shown.
EXPECTED_WARNINGS = (
    "You have defined training data consisting of entity examples",
    "You have defined training data consisting of lookup tables",
    "You have defined synonyms in your training data",
    "You have defined training data with regexes",
    "training examples! The minimum is 2",
)

Fold = tuple[list[int], list[int]]  # indices of the training examples, of the held-out ones


@dataclass
class Trained:
    seconds: float  # wall clock, as a user waits for it; other work on the machine adds to it
    cpu_seconds: float  # this process's CPU time (all threads): steadier when the machine is busy
    convergence_warnings: int
    predicted: list[str]
    predict_ms: float


@dataclass
class Candidate:
    name: str
    description: str
    pipeline: list[dict[str, Any]]
    folds: int | None = None  # fewer folds than asked for, for a slow pipeline


@dataclass
class FoldResult:
    accuracy: float
    macro_f1: float
    train_seconds: float
    train_cpu_seconds: float
    predict_ms_per_message: float
    held_out: int
    convergence_warnings: int  # scikit-learn's: the solver stopped at max_iter
    errors: list[tuple[str, str, str]] = field(default_factory=list)  # text, gold, predicted


@dataclass
class CandidateResult:
    name: str
    description: str
    folds: int
    accuracy_mean: float
    accuracy_std: float
    macro_f1_mean: float
    macro_f1_std: float
    train_seconds_mean: float
    train_cpu_seconds_mean: float
    predict_ms_mean: float
    convergence_warnings: int
    per_fold: list[FoldResult]
    top_confusions: list[tuple[str, str, int]]  # gold, predicted, count over all folds


class _FoldImporter(TrainingDataImporter):
    """Hands one fold's training data to Rasa's train graph; no domain, no stories."""

    def __init__(self, config: dict[str, Any], training_data: TrainingData) -> None:
        self._config = config
        self._training_data = training_data

    def get_domain(self) -> Domain:
        return Domain.empty()

    def get_stories(self, exclusion_percentage: int | None = None) -> StoryGraph:
        return StoryGraph([])

    def get_config(self) -> dict[str, Any]:
        return self._config

    def get_config_file_for_auto_config(self) -> str | None:
        return None

    def get_nlu_data(self, language: str | None = "en") -> TrainingData:
        return self._training_data


def nlu_files(data_dir: Path = DATA_DIR) -> list[str]:
    return sorted(rasa.shared.data.get_data_files([str(data_dir)], rasa.shared.data.is_nlu_file))


def load_training_data(data_dir: Path = DATA_DIR) -> TrainingData:
    """Every NLU file in `data_dir` (stories and rules are not NLU files and are skipped)."""
    return RasaFileImporter(training_data_paths=[str(data_dir)]).get_nlu_data("en")


def load_candidate(path: Path) -> Candidate:
    """A candidate file: a `pipeline:` list, optionally `folds:`; its leading comment lines
    say what it tries."""
    text = path.read_text()
    comment = []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        comment.append(line.lstrip("#").strip())
    content = yaml.safe_load(text) or {}
    pipeline = content.get("pipeline")
    if not pipeline:
        raise ValueError(f"{path}: no pipeline")
    refused = [c["name"] for c in pipeline if c["name"] in NOT_INTENT_COMPONENTS]
    if refused:
        raise ValueError(f"{path}: candidates judge the intent alone; drop {refused}")
    return Candidate(path.stem, " ".join(comment), pipeline, content.get("folds"))


def load_candidates(directory: Path = CANDIDATES_DIR) -> list[Candidate]:
    return [load_candidate(p) for p in sorted(directory.glob("*.yml"))]


def stratified_folds(labels: Sequence[str], n_folds: int, seed: int = SEED) -> list[Fold]:
    """scikit-learn's StratifiedKFold, shuffled with a fixed seed: each intent spread as
    evenly as it can be over the held-out folds; every example held out exactly once."""
    splitter = StratifiedKFold(n_splits=n_folds, shuffle=True, random_state=seed)
    with warnings.catch_warnings():
        # An intent with fewer examples than folds is missing from some held-out folds.
        warnings.filterwarnings("ignore", message="The least populated class", category=UserWarning)
        return [
            (train.tolist(), test.tolist())
            for train, test in splitter.split([[0]] * len(labels), list(labels))
        ]


def fold_training_data(data: TrainingData, indices: Sequence[int]) -> TrainingData:
    """The examples at `indices`, deep-copied (training writes tokens and features onto the
    messages), with all of the data's regexes, lookup tables and synonyms, as Rasa's own
    cross-validation builds a fold (rasa.nlu.test.generate_folds)."""
    examples = data.intent_examples
    return TrainingData(
        training_examples=[copy.deepcopy(examples[i]) for i in indices],
        entity_synonyms=data.entity_synonyms,
        regex_features=data.regex_features,
        lookup_tables=data.lookup_tables,
        responses=data.responses,
    )


def model_configuration(pipeline: list[dict[str, Any]], language: str) -> GraphModelConfiguration:
    """The default recipe's NLU train and predict graphs for `pipeline`."""
    config = {"recipe": "default.v1", "language": language, "pipeline": copy.deepcopy(pipeline)}
    recipe = Recipe.recipe_for_name("default.v1")
    config, _, _ = recipe.auto_configure(None, config, TrainingType.NLU)
    configuration = recipe.graph_config_for_recipe(config, {}, training_type=TrainingType.NLU)
    validate_graph(configuration)
    return configuration


def train_and_classify(
    pipeline: list[dict[str, Any]],
    training_data: TrainingData,
    texts: Sequence[str],
    language: str = "en",
) -> Trained:
    """Trains `pipeline` on `training_data` and classifies each of `texts` on its own; the mean
    milliseconds per message are measured after one unmeasured warm-up message."""
    configuration = model_configuration(pipeline, language)
    importer = _FoldImporter({"language": language, "pipeline": pipeline}, training_data)
    with tempfile.TemporaryDirectory(prefix="nlu-cv-") as storage_dir:
        storage = LocalModelStorage(Path(storage_dir))
        started, cpu_started = time.perf_counter(), time.process_time()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            trainer = DaskGraphRunner.create(
                graph_schema=configuration.train_schema,
                model_storage=storage,
                execution_context=ExecutionContext(graph_schema=configuration.train_schema),
                hooks=[],
            )
            trainer.run(inputs={PLACEHOLDER_IMPORTER: importer})
        train_seconds = time.perf_counter() - started
        train_cpu_seconds = time.process_time() - cpu_started
        convergence = sum(issubclass(w.category, ConvergenceWarning) for w in caught)
        for w in caught:
            text = str(w.message)
            if not issubclass(w.category, ConvergenceWarning) and not any(
                expected in text for expected in EXPECTED_WARNINGS
            ):
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)

        predictor = DaskGraphRunner.create(
            graph_schema=configuration.predict_schema,
            model_storage=storage,
            execution_context=ExecutionContext(
                graph_schema=configuration.predict_schema, model_id="nlu-cv"
            ),
        )
        target = configuration.nlu_target

        def classify(text: str) -> str:
            outputs = predictor.run(
                inputs={PLACEHOLDER_MESSAGE: [UserMessage(text)]}, targets=[target]
            )
            message: Message = outputs[target][0]
            return (message.get(INTENT) or {}).get(INTENT_NAME_KEY) or ""

        if texts:
            classify(texts[0])  # warm-up: first-call costs are not a turn's costs
        started = time.perf_counter()
        predicted = [classify(text) for text in texts]
        predict_ms = 1000 * (time.perf_counter() - started) / max(len(texts), 1)
    return Trained(train_seconds, train_cpu_seconds, convergence, predicted, predict_ms)


def score(gold: Sequence[str], predicted: Sequence[str]) -> tuple[float, float]:
    """Accuracy, and F1 averaged over the intents of the held-out fold (each intent counts
    the same, however many examples it has)."""
    accuracy = sum(g == p for g, p in zip(gold, predicted, strict=True)) / len(gold)
    macro_f1 = f1_score(
        list(gold), list(predicted), labels=sorted(set(gold)), average="macro", zero_division=0
    )
    return accuracy, float(macro_f1)


def cross_validate(
    candidate: Candidate,
    data: TrainingData,
    folds: Sequence[Fold],
    language: str = "en",
    log: Any = None,
) -> CandidateResult:
    """Trains and scores `candidate` on each of `folds` in turn (sequentially: no parallelism)."""
    examples = data.intent_examples
    results: list[FoldResult] = []
    confusions: Counter[tuple[str, str]] = Counter()
    for number, (train, test) in enumerate(folds, start=1):
        texts = [examples[i].get(TEXT) for i in test]
        gold = [examples[i].get(INTENT) for i in test]
        trained = train_and_classify(
            candidate.pipeline, fold_training_data(data, train), texts, language
        )
        accuracy, macro_f1 = score(gold, trained.predicted)
        errors = [
            (t, g, p) for t, g, p in zip(texts, gold, trained.predicted, strict=True) if g != p
        ]
        confusions.update((g, p) for _, g, p in errors)
        results.append(
            FoldResult(
                accuracy=accuracy,
                macro_f1=macro_f1,
                train_seconds=trained.seconds,
                train_cpu_seconds=trained.cpu_seconds,
                predict_ms_per_message=trained.predict_ms,
                held_out=len(test),
                convergence_warnings=trained.convergence_warnings,
                errors=errors,
            )
        )
        if log:
            log(
                f"  {candidate.name} fold {number}/{len(folds)}: accuracy {accuracy:.4f}, "
                f"macro F1 {macro_f1:.4f}, train {trained.seconds:.1f} s "
                f"({trained.cpu_seconds:.1f} s CPU), {trained.predict_ms:.2f} ms/message"
                + (" (did not converge)" if trained.convergence_warnings else "")
            )

    def std(values: list[float]) -> float:
        return statistics.stdev(values) if len(values) > 1 else 0.0

    accuracies = [r.accuracy for r in results]
    f1s = [r.macro_f1 for r in results]
    return CandidateResult(
        name=candidate.name,
        description=candidate.description,
        folds=len(folds),
        accuracy_mean=statistics.fmean(accuracies),
        accuracy_std=std(accuracies),
        macro_f1_mean=statistics.fmean(f1s),
        macro_f1_std=std(f1s),
        train_seconds_mean=statistics.fmean(r.train_seconds for r in results),
        train_cpu_seconds_mean=statistics.fmean(r.train_cpu_seconds for r in results),
        predict_ms_mean=statistics.fmean(r.predict_ms_per_message for r in results),
        convergence_warnings=sum(r.convergence_warnings for r in results),
        per_fold=results,
        top_confusions=[(g, p, n) for (g, p), n in confusions.most_common(10)],
    )


def paired_difference(
    result: CandidateResult, baseline: CandidateResult | None
) -> dict[str, float] | None:
    """Accuracy minus the baseline's, fold by fold (the same folds: same data, seed and
    number), which the spread between folds does not blur; None when the folds differ."""
    if baseline is None or baseline.folds != result.folds:
        return None
    differences = [
        r.accuracy - b.accuracy for r, b in zip(result.per_fold, baseline.per_fold, strict=True)
    ]
    return {
        "mean": statistics.fmean(differences),
        "std": statistics.stdev(differences) if len(differences) > 1 else 0.0,
        "folds_better": sum(d > 0 for d in differences),
        "folds_worse": sum(d < 0 for d in differences),
    }


def _baseline(results: Sequence[CandidateResult]) -> CandidateResult | None:
    return next((r for r in results if r.name == BASELINE), None)


def markdown_table(results: Sequence[CandidateResult]) -> str:
    """Best mean accuracy first. "vs current": the paired accuracy difference to the current
    pipeline, and in how many folds it was better/worse. "not converged": folds in which
    scikit-learn's solver stopped at max_iter."""
    baseline = _baseline(results)
    lines = [
        "| candidate | folds | accuracy | ± std | vs current (better/worse folds) | macro F1 "
        "| ± std | train s/fold (CPU s) | predict ms/msg | not converged |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in sorted(results, key=lambda r: (-r.accuracy_mean, -r.macro_f1_mean)):
        not_converged = sum(f.convergence_warnings > 0 for f in r.per_fold)
        paired = paired_difference(r, baseline) if r is not baseline else None
        versus = (
            f"{paired['mean']:+.4f} ± {paired['std']:.4f} "
            f"({paired['folds_better']}/{paired['folds_worse']})"
            if paired
            else "—"
        )
        lines.append(
            f"| {r.name} | {r.folds} | {r.accuracy_mean:.4f} | {r.accuracy_std:.4f} | {versus} "
            f"| {r.macro_f1_mean:.4f} | {r.macro_f1_std:.4f} "
            f"| {r.train_seconds_mean:.1f} ({r.train_cpu_seconds_mean:.1f}) "
            f"| {r.predict_ms_mean:.2f} | {not_converged} of {r.folds} |"
        )
    return "\n".join(lines)


def report(
    results: Sequence[CandidateResult],
    data: TrainingData,
    files: Sequence[str],
    folds: int,
    seed: int,
    command: str,
) -> dict[str, Any]:
    intents = Counter(e.get_full_intent() for e in data.intent_examples)
    return {
        "command": command,
        "data_files": [Path(f).name for f in files],
        "seed": seed,
        "folds": folds,
        "examples": len(data.intent_examples),
        "intents": len(intents),
        "intents_with_fewer_examples_than_folds": {
            k: v for k, v in sorted(intents.items()) if v < folds
        },
        "candidates": [
            {**asdict(r), "accuracy_vs_current": paired_difference(r, _baseline(results))}
            for r in results
        ],
    }


def language_of_project() -> str:
    return yaml.safe_load((ROOT / "config.yml").read_text()).get("language", "en")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--folds", type=int, default=DEFAULT_FOLDS)
    parser.add_argument("--only", nargs="+", metavar="NAME", help="candidate file stems")
    parser.add_argument("--data", type=Path, default=DATA_DIR)
    parser.add_argument("--candidates", type=Path, default=CANDIDATES_DIR)
    parser.add_argument("--out", type=Path, default=RESULTS_FILE)
    args = parser.parse_args(argv)

    logging.basicConfig(level=logging.WARNING)
    candidates = load_candidates(args.candidates)
    if args.only:
        unknown = set(args.only) - {c.name for c in candidates}
        if unknown:
            parser.error(f"no such candidates: {sorted(unknown)}")
        candidates = [c for c in candidates if c.name in args.only]

    files = nlu_files(args.data)
    data = load_training_data(args.data)
    labels = [e.get_full_intent() for e in data.intent_examples]
    language = language_of_project()
    print(
        f"{len(labels)} intent examples, {len(set(labels))} intents, from {args.data}; "
        f"{args.folds} folds, seed {SEED}",
        flush=True,
    )

    command = " ".join([".venv/bin/python", "scripts/nlu_cross_validation.py", *sys.argv[1:]])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    results = []
    for candidate in candidates:
        n_folds = min(args.folds, candidate.folds or args.folds)
        print(f"{candidate.name} ({n_folds} folds): {candidate.description}", flush=True)
        results.append(
            cross_validate(
                candidate,
                data,
                stratified_folds(labels, n_folds),
                language,
                log=lambda line: print(line, flush=True),
            )
        )
        # Rewritten after each candidate: a long run cut short keeps what it measured.
        args.out.write_text(
            json.dumps(report(results, data, files, args.folds, SEED, command), indent=2) + "\n"
        )

    print()
    print(markdown_table(results))
    print(f"\nwritten to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
