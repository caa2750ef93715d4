"""The least a Rasa 3.6 turn costs on this machine: a lower bound for any Stand-in turn.

`RasaFloor` serves the starter assistant's domain and stories with no NLU model at all and
Stand-in's policies (MemoizationPolicy and RulePolicy), with Stand-in's speed-ups, Rasa's
in-memory tracker store and no action server. Its messages name their intent (`/greet`), so
nothing is classified. Every Stand-in turn does all of this and more (it classifies free text,
calls the action server, which calls the desk, and stores the conversation in SQLite), so no
Stand-in turn can be faster than this floor, nor its throughput higher, on the same machine.

Measured like the others (bench/turns.py), with short conversations so that the in-memory
store's replay of a growing conversation does not count: latency over 5 conversations of 20
turns one at a time, throughput with 20 conversations at once.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from bench import turns
from bench.stock_rasa import (
    CACHE_ROOT,
    StockRasa,
    StockRasaError,
    _copy_template,
    _rasa_cli,
    _run_logged,
    _tail,
    cached_model,
)

# Stand-in's policies (config.yml), no NLU pipeline.
CONFIG_YAML = """recipe: default.v1
assistant_id: rasa-floor
language: en
pipeline: []
policies:
  - name: MemoizationPolicy
    max_history: 4
  - name: RulePolicy
"""
MIX = ("/greet", "/mood_great", "/bot_challenge", "/goodbye")


class RasaFloor(StockRasa):
    speedups = "on"

    def __init__(self, work_dir: Path, **kwargs: Any) -> None:
        super().__init__(work_dir=work_dir, **kwargs)
        self.cache_dir = CACHE_ROOT.parent / "floor" / f"rasa-{self.version}"

    def _train(self) -> dict[str, Any]:
        _copy_template(self.work_dir)
        (self.work_dir / "config.yml").write_text(CONFIG_YAML)
        log_path = self.work_dir / "logs" / "train.log"
        self.log(f"training the floor assistant (log {log_path})")
        started = time.monotonic()
        argv = [*_rasa_cli(), "train", "--out", "models"]
        code = _run_logged(argv, log_path, self.work_dir, self.train_timeout_s)
        model = cached_model(self.work_dir / "models")
        if code != 0 or model is None:
            raise StockRasaError(f"training the floor failed ({code}): {_tail(log_path)}")
        return self._keep(
            model, "rasa train, no NLU pipeline", round(time.monotonic() - started, 1)
        )


def measure_floor(
    url: str,
    conversations: int = 20,
    turns_each: int = 15,
    one_at_a_time: tuple[int, int] = (5, 20),
    prefix: str = "floor",
) -> dict[str, Any]:
    """Latency one conversation at a time (`one_at_a_time`: 5 conversations of 20 turns), then
    throughput with `conversations` at once."""
    text = turns.mix_texts(MIX, turns.Readings())
    turns.latency(url, text, 1, 10, f"{prefix}-warm")
    count, length = one_at_a_time
    per_turn: list[float] = []
    for n in range(count):
        per_turn += [turns.say_timed(url, f"{prefix}-one-{n}", text(t)) for t in range(length)]
    many = turns.latency(url, text, conversations, turns_each, f"{prefix}-many")
    return {
        "one": {"turns": len(per_turn), "latency_ms": turns.ms_summary(per_turn)},
        "many": many,
    }


def run_floor(work_dir: Path, log: Any, **measure: Any) -> dict[str, Any]:
    with RasaFloor(work_dir=work_dir, log=log) as floor:
        return {**measure_floor(floor.url, **measure), "training": floor.training}
