"""`python -m bench turns`: turn latency, throughput, cost growth, footprint and NLU quality,
for Stand-in and for stock Rasa in the same run.

In order: Stand-in is trained from scratch (timed, into var/bench/train), its stack started on
the embedded defaults and measured (bench/turns.py), its processes' peak memory read, and the
held-out NLU file evaluated; then the stock starter assistant (bench/stock_rasa.py) is served
and measured the same way. Each side runs alone on the machine.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import turns
from bench.holds import machine_facts
from bench.procstat import group_peak_rss_mb
from bench.rasa_floor import run_floor
from bench.stock_rasa import StockRasa, StockRasaError, _rasa_cli
from launcher.processes import PROJECT_ROOT, ProcessFailed, free_port
from launcher.stack import Stack, StackConfig, StackError, latest_model

VAR_DIR = PROJECT_ROOT / "var" / "bench-turns"
HELD_OUT = PROJECT_ROOT / "tests" / "nlu_heldout.yml"
# Written after the model was settled, never used to choose anything (the file says so).
HELD_OUT_BLIND = PROJECT_ROOT / "tests" / "nlu_heldout_blind.yml"
DESK_START = "2026-11-23T09:00:00Z"  # a Monday morning: lines open, no quiet hours


def _log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _size_mb(path: Path) -> float:
    return round(path.stat().st_size / 2**20, 1)


def train_from_scratch(out_dir: Path, log: Callable[[str], None] = _log) -> dict[str, Any]:
    """`rasa train --force` of Stand-in's config, domain and data; its wall time and size."""
    shutil.rmtree(out_dir, ignore_errors=True)
    out_dir.mkdir(parents=True)
    argv = [
        *_rasa_cli(),
        "train",
        "--force",
        "--config",
        str(PROJECT_ROOT / "config.yml"),
        "--domain",
        str(PROJECT_ROOT / "domain.yml"),
        "--data",
        str(PROJECT_ROOT / "data"),
        "--out",
        str(out_dir),
    ]
    log("training Stand-in from scratch (rasa train --force)")
    started = time.monotonic()
    with (out_dir / "train.log").open("w") as logfile:
        # From the project root: the pipeline names a component of rasa_addons/.
        code = subprocess.run(
            argv, cwd=PROJECT_ROOT, stdout=logfile, stderr=subprocess.STDOUT, check=False
        ).returncode
    seconds = round(time.monotonic() - started, 1)
    models = sorted(out_dir.glob("*.tar.gz"))
    if code != 0 or not models:
        raise RuntimeError(f"training failed ({code}); see {out_dir / 'train.log'}")
    log(f"trained in {seconds}s")
    return {"seconds": seconds, "model_mb": _size_mb(models[-1]), "model": str(models[-1])}


def nlu_quality(model: Path, out_dir: Path, held_out: Path = HELD_OUT) -> dict[str, Any]:
    """Intent accuracy and entity F1 on a held-out file (never trained on)."""
    argv = [
        *_rasa_cli(),
        "test",
        "nlu",
        "--model",
        str(model),
        "--nlu",
        str(held_out),
        "--out",
        str(out_dir),
        "--no-plot",
    ]
    subprocess.run(argv, cwd=PROJECT_ROOT, capture_output=True, check=False)
    intents = json.loads((out_dir / "intent_report.json").read_text())
    entity_f1 = None
    for report in sorted(out_dir.glob("*_report.json")):
        if report.name in ("intent_report.json", "response_selection_report.json"):
            continue
        data = json.loads(report.read_text())
        entity_f1 = (data.get("micro avg") or data.get("weighted avg") or {}).get("f1-score")
        break
    errors = out_dir / "intent_errors.json"
    return {
        "examples": sum(v.get("support", 0) for k, v in intents.items() if isinstance(v, dict))
        // 2,
        "intent_accuracy": round(intents["accuracy"], 3),
        "entity_f1": round(entity_f1, 3) if entity_f1 is not None else None,
        "misclassified": len(json.loads(errors.read_text())) if errors.exists() else 0,
    }


def stack_config(var_dir: Path, model: Path | None, **options: Any) -> StackConfig:
    """A benchmark stack: free ports, the desk's simulated clock from DESK_START, `model` (None:
    the newest in models/)."""
    return StackConfig(
        var_dir=var_dir,
        rasa_port=free_port(),
        action_port=free_port(),
        desk_port=free_port(),
        sim_control=True,
        desk_start_time=DESK_START,
        model=model,
        **options,
    )


def measure_standin(args: Any, log: Callable[[str], None] = _log) -> dict[str, Any]:
    config = stack_config(VAR_DIR / "stack", getattr(args, "trained_model", None))
    stack = Stack(config)
    log("starting Stand-in's stack")
    stack.start()
    try:
        return measure_standin_on(stack, args, log)
    finally:
        stack.stop()


def measure_standin_on(
    stack: Stack, args: Any, log: Callable[[str], None] = _log
) -> dict[str, Any]:
    """The turn measurements on a running stack (which is left running)."""
    config = stack.config
    readings = turns.Readings()
    text = turns.mix_texts(turns.STANDIN_MIX, readings)
    url = config.rasa_url
    log(f"latency: 1 conversation, {args.turns} turns")
    one = turns.latency(url, text, 1, args.turns, "bench-one", warmup_turns=5)
    log(f"latency: {args.conversations} conversations at once")
    many = turns.latency(url, text, args.conversations, args.turns_each, "bench-many")
    log(f"growth: one conversation of {args.growth} turns")
    growth = turns.standin_growth(url, config.rasa_token, "bench-long", args.growth, readings)
    rss = {
        name: round(group_peak_rss_mb(proc.pid), 1)
        for name, proc in (
            ("rasa", stack.rasa),
            ("action_server", stack.actions),
            ("service_desk", stack.desk),
        )
        if proc is not None and proc.pid is not None
    }
    return {"one": one, "many": many, "growth": growth, "peak_rss_mb": rss}


def measure_stock(args: Any, log: Callable[[str], None] = _log) -> dict[str, Any]:
    with StockRasa(work_dir=VAR_DIR / "stock", log=log) as stock:
        return measure_stock_on(stock, args)


def measure_stock_on(stock: StockRasa, args: Any) -> dict[str, Any]:
    """The turn measurements on a running stock server (which is left running)."""
    text = turns.mix_texts(turns.STOCK_MIX, turns.Readings())
    one = turns.latency(stock.url, text, 1, args.turns, "stock-one", warmup_turns=5)
    many = turns.latency(stock.url, text, args.conversations, args.turns_each, "stock-many")
    growth = turns.stock_growth(stock.url, stock.token, "stock-long", args.growth)
    assert stock.server is not None and stock.server.pid is not None
    rss = {"rasa": round(group_peak_rss_mb(stock.server.pid), 1)}
    model = stock.model
    training = stock.training
    seconds = training.get("seconds") or (training.get("cached") or {}).get("seconds")
    return {
        "one": one,
        "many": many,
        "growth": growth,
        "peak_rss_mb": rss,
        "training": {
            "seconds": seconds,
            "trained_now": training.get("trained_now"),
            "model_mb": _size_mb(model) if model else None,
        },
    }


# The scale-out lever: several Rasa processes (Sanic workers) need a shared lock store.
WORKERS = 2
REDIS_URL = os.environ.get("STANDIN_BENCH_REDIS", "127.0.0.1:6379")


def workers_endpoints(var_dir: Path, redis: str = REDIS_URL) -> Path:
    """endpoints.yml plus Rasa's Redis lock store (db 3 of `redis`, host:port)."""
    host, _, port = redis.partition(":")
    path = var_dir / "endpoints-workers.yml"
    var_dir.mkdir(parents=True, exist_ok=True)
    path.write_text(
        (PROJECT_ROOT / "endpoints.yml").read_text()
        + f"\nlock_store:\n  type: redis\n  url: {host}\n  port: {port or 6379}\n  db: 3\n"
    )
    return path


def measure_workers(args: Any, log: Callable[[str], None] = _log) -> dict[str, Any]:
    """Throughput with `conversations` at once on a stack whose Rasa runs WORKERS Sanic
    workers with the Redis lock store (everything else the embedded defaults)."""
    var_dir = VAR_DIR / "workers"
    shutil.rmtree(var_dir, ignore_errors=True)
    config = stack_config(
        var_dir,
        getattr(args, "trained_model", None),
        endpoints=workers_endpoints(var_dir),
        extra_env={"SANIC_WORKERS": str(WORKERS)},
    )
    log(f"throughput with {WORKERS} Rasa workers and the Redis lock store ({REDIS_URL})")
    with Stack(config) as stack:
        text = turns.mix_texts(turns.STANDIN_MIX, turns.Readings())
        turns.latency(stack.config.rasa_url, text, 4, 5, "workers-warm")
        many = turns.latency(
            stack.config.rasa_url, text, args.conversations, args.turns_each, "workers-many"
        )
    return {"workers": WORKERS, "lock_store": f"redis {REDIS_URL} db 3", "many": many}


def measure_floor(args: Any, log: Callable[[str], None] = _log) -> dict[str, Any]:
    return run_floor(
        VAR_DIR / "floor", log, conversations=args.conversations, turns_each=args.turns_each
    )


def ratios(standin: dict[str, Any], stock: dict[str, Any]) -> dict[str, Any]:
    def div(a: float | None, b: float | None) -> float | None:
        return round(a / b, 2) if a is not None and b else None

    return {
        "p50_one": div(standin["one"]["latency_ms"]["p50"], stock["one"]["latency_ms"]["p50"]),
        "p95_one": div(standin["one"]["latency_ms"]["p95"], stock["one"]["latency_ms"]["p95"]),
        "throughput_many": div(
            standin["many"]["throughput_turns_per_s"], stock["many"]["throughput_turns_per_s"]
        ),
        "growth": div(standin["growth"]["ratio"], stock["growth"]["ratio"]),
    }


TARGETS = {
    "p50_one_ms": 25.0,
    "p95_one_ms": 60.0,
    "throughput_vs_stock": 5.0,
    "growth_ratio": 1.5,
    "intent_accuracy": 0.95,
    "training_s": 120.0,
}


def verdicts(result: dict[str, Any]) -> dict[str, bool | None]:
    s = result["standin"]
    ratio = result["ratios"]
    training = (result.get("footprint") or {}).get("training_s")
    quality = result.get("quality") or {}
    blind = result.get("quality_blind") or {}
    accuracies = [q["intent_accuracy"] for q in (quality, blind) if q.get("intent_accuracy")]
    return {
        "p50_one_ms": s["one"]["latency_ms"]["p50"] <= TARGETS["p50_one_ms"],
        "p95_one_ms": s["one"]["latency_ms"]["p95"] <= TARGETS["p95_one_ms"],
        "throughput_vs_stock": (ratio["throughput_many"] or 0) >= TARGETS["throughput_vs_stock"],
        "growth_ratio": (s["growth"]["ratio"] or 99) <= TARGETS["growth_ratio"],
        # Met only if both held-out files reach it (the first helped choose paraphrases).
        "intent_accuracy": None
        if not accuracies
        else min(accuracies) >= TARGETS["intent_accuracy"],
        "training_s": None if training is None else training <= TARGETS["training_s"],
    }


def run(
    args: Any,
    log: Callable[[str], None] = _log,
    standin: Callable[[], dict[str, Any]] | None = None,
    stock: Callable[[], dict[str, Any]] | None = None,
    floor: Callable[[], dict[str, Any]] | None = None,
    workers: Callable[[], dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The whole turns benchmark. `standin` and `stock` measure the two sides (by default each
    starts and stops its own server; `python -m bench all` passes servers it shares with the
    holds benchmark)."""
    started = time.monotonic()
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    result: dict[str, Any] = {
        "benchmark": "turns",
        "params": {
            "turns": args.turns,
            "conversations": args.conversations,
            "turns_each": args.turns_each,
            "growth": args.growth,
            "train": args.train,
        },
        "machine": machine_facts(),
        "problems": [],
    }
    footprint: dict[str, Any] = {}
    if args.train:
        trained = train_from_scratch(VAR_DIR / "train", log)
        footprint |= {"training_s": trained["seconds"], "model_mb": trained["model_mb"]}
        args.trained_model = Path(trained["model"])  # the model the stack then serves
    else:
        footprint["model_mb"] = _size_mb(latest_model())
    try:
        result["standin"] = (standin or (lambda: measure_standin(args, log)))()
    except (StackError, ProcessFailed, RuntimeError) as err:
        result["problems"].append(f"Stand-in: {err}")
        result["ok"] = False
        return result
    footprint["peak_rss_mb"] = result["standin"]["peak_rss_mb"]
    result["footprint"] = footprint
    if args.quality:
        log("held-out NLU evaluation")
        model = getattr(args, "trained_model", None) or latest_model()
        result["quality"] = nlu_quality(model, VAR_DIR / "nlu")
        result["quality_blind"] = nlu_quality(model, VAR_DIR / "nlu-blind", HELD_OUT_BLIND)
    try:
        result["stock"] = (stock or (lambda: measure_stock(args, log)))()
        result["ratios"] = ratios(result["standin"], result["stock"])
    except (StockRasaError, ProcessFailed, RuntimeError, OSError) as err:
        result["problems"].append(f"stock Rasa: {err}")
        result["ratios"] = {
            "p50_one": None,
            "p95_one": None,
            "throughput_many": None,
            "growth": None,
        }
    if getattr(args, "workers", True):
        try:
            result["workers"] = (workers or (lambda: measure_workers(args, log)))()
        except (StackError, ProcessFailed, RuntimeError, OSError) as err:
            result["problems"].append(f"{WORKERS} Rasa workers: {err}")
    if getattr(args, "floor", True):
        log("the Rasa floor: no NLU model, no action server (bench/rasa_floor.py)")
        try:
            result["floor"] = (floor or (lambda: measure_floor(args, log)))()
        except (StockRasaError, ProcessFailed, RuntimeError, OSError) as err:
            result["problems"].append(f"Rasa floor: {err}")
    result["targets"] = TARGETS
    result["met"] = verdicts(result)
    result["total_s"] = round(time.monotonic() - started, 1)
    result["ok"] = not result["problems"]
    return result
