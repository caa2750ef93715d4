"""The turns benchmark's figures as a markdown table, in results/ and in docs/performance.md."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bench.report import START as HOLDS_START
from bench.report import machine_line, replace_section

START, END = "<!-- turns:start -->", "<!-- turns:end -->"


def _v(value: Any, unit: str = "") -> str:
    if value is None:
        return "–"
    return f"{value:g}{unit}" if isinstance(value, float | int) else str(value)


def _met(result: dict[str, Any], key: str) -> str:
    met = (result.get("met") or {}).get(key)
    return "–" if met is None else ("yes" if met else "**no**")


def table(result: dict[str, Any]) -> str:
    s, k = result["standin"], result.get("stock") or {}
    r, t = result.get("ratios") or {}, result.get("targets") or {}
    foot, quality = result.get("footprint") or {}, result.get("quality") or {}
    blind = result.get("quality_blind") or {}

    def lat(side: dict[str, Any], part: str, p: str) -> Any:
        return ((side.get(part) or {}).get("latency_ms") or {}).get(p)

    rows = [
        (
            "turn latency p50, 1 conversation",
            _v(lat(s, "one", "p50"), " ms"),
            _v(lat(k, "one", "p50"), " ms"),
            _v(r.get("p50_one")),
            f"≤ {t.get('p50_one_ms')} ms",
            _met(result, "p50_one_ms"),
        ),
        (
            "turn latency p95, 1 conversation",
            _v(lat(s, "one", "p95"), " ms"),
            _v(lat(k, "one", "p95"), " ms"),
            _v(r.get("p95_one")),
            f"≤ {t.get('p95_one_ms')} ms",
            _met(result, "p95_one_ms"),
        ),
        (
            "turn latency p99, 1 conversation",
            _v(lat(s, "one", "p99"), " ms"),
            _v(lat(k, "one", "p99"), " ms"),
            "",
            "",
            "",
        ),
        (
            f"turn latency p50 / p95 / p99, {s['many']['conversations']} at once",
            " / ".join(_v(lat(s, "many", p)) for p in ("p50", "p95", "p99")) + " ms",
            " / ".join(_v(lat(k, "many", p)) for p in ("p50", "p95", "p99")) + " ms",
            "",
            "",
            "",
        ),
        (
            f"throughput, {s['many']['conversations']} at once",
            _v(s["many"]["throughput_turns_per_s"], " turns/s"),
            _v((k.get("many") or {}).get("throughput_turns_per_s"), " turns/s"),
            _v(r.get("throughput_many")),
            f"≥ {t.get('throughput_vs_stock')}× stock",
            _met(result, "throughput_vs_stock"),
        ),
        *_workers_row(result),
        (
            "median turn 1–20 → 981–1,000 of one conversation",
            f"{_v(s['growth']['first_ms'])} → {_v(s['growth']['last_ms'])} ms",
            f"{_v((k.get('growth') or {}).get('first_ms'))} →"
            f" {_v((k.get('growth') or {}).get('last_ms'))} ms",
            "",
            "",
            "",
        ),
        (
            "growth (981–1,000 ÷ 1–20)",
            _v(s["growth"]["ratio"], "×"),
            _v((k.get("growth") or {}).get("ratio"), "×"),
            "",
            f"≤ {t.get('growth_ratio')}×",
            _met(result, "growth_ratio"),
        ),
        (
            "training from scratch",
            _v(foot.get("training_s"), " s"),
            _v((k.get("training") or {}).get("seconds"), " s"),
            "",
            f"≤ {t.get('training_s')} s",
            _met(result, "training_s"),
        ),
        (
            "model size",
            _v(foot.get("model_mb"), " MiB"),
            _v((k.get("training") or {}).get("model_mb"), " MiB"),
            "",
            "",
            "",
        ),
        (
            "peak memory (VmHWM)",
            ", ".join(f"{n} {v:g} MiB" for n, v in (foot.get("peak_rss_mb") or {}).items()),
            ", ".join(f"{n} {v:g} MiB" for n, v in (k.get("peak_rss_mb") or {}).items()),
            "",
            "",
            "",
        ),
        (
            "held-out intent accuracy / entity F1: tests/nlu_heldout.yml; the blind file",
            f"{_v(quality.get('intent_accuracy'))} / {_v(quality.get('entity_f1'))};"
            f" {_v(blind.get('intent_accuracy'))} / {_v(blind.get('entity_f1'))}",
            "",
            "",
            f"≥ {t.get('intent_accuracy')} (both)",
            _met(result, "intent_accuracy"),
        ),
    ]
    head = "| measure | Stand-in | stock Rasa | ratio | target | met |\n|---|---|---|---|---|---|\n"
    return head + "\n".join("| " + " | ".join(row) + " |" for row in rows) + "\n"


def _stock_throughput(result: dict[str, Any]) -> float | None:
    return ((result.get("stock") or {}).get("many") or {}).get("throughput_turns_per_s")


def _workers_row(result: dict[str, Any]) -> list[tuple[str, ...]]:
    workers = result.get("workers")
    if not workers:
        return []
    stock_tp = _stock_throughput(result)
    tp = workers["many"]["throughput_turns_per_s"]
    return [
        (
            f"throughput, {workers['many']['conversations']} at once, {workers['workers']} Rasa"
            " workers (Redis lock store)",
            _v(tp, " turns/s"),
            "",
            _v(round(tp / stock_tp, 2) if tp and stock_tp else None),
            "",
            "",
        )
    ]


def floor_table(result: dict[str, Any]) -> str:
    """The Rasa floor beside Stand-in and the targets: what no Stand-in turn can beat here."""
    floor = result.get("floor")
    if not floor:
        return ""
    s, t = result["standin"], result.get("targets") or {}
    stock_tp = _stock_throughput(result)
    floor_tp = floor["many"]["throughput_turns_per_s"]
    wanted = round(stock_tp * t.get("throughput_vs_stock", 0), 1) if stock_tp else None
    times = f" ({floor_tp / stock_tp:.1f}× stock)" if stock_tp and floor_tp else ""

    def pair(side: dict[str, Any]) -> str:
        figures = side["one"]["latency_ms"]
        return f"{_v(figures.get('p50'))} / {_v(figures.get('p95'))} ms"

    rows = [
        (
            "p50 / p95 turn latency, one conversation at a time",
            pair(floor),
            pair(s),
            f"≤ {t.get('p50_one_ms')} / {t.get('p95_one_ms')} ms",
        ),
        (
            f"throughput, {floor['many']['conversations']} at once",
            f"{_v(floor_tp, ' turns/s')}{times}",
            _v(s["many"]["throughput_turns_per_s"], " turns/s"),
            f"≥ {_v(wanted, ' turns/s')} ({t.get('throughput_vs_stock')}× stock)",
        ),
    ]
    head = "| measure | Rasa floor | Stand-in | target |\n|---|---|---|---|\n"
    return head + "\n".join("| " + " | ".join(row) + " |" for row in rows) + "\n"


def command_line(result: dict[str, Any]) -> str:
    p = result["params"]
    return (
        f"python -m bench turns --turns {p['turns']} --conversations {p['conversations']}"
        f" --turns-each {p['turns_each']} --growth {p['growth']}"
        + ("" if p["train"] else " --no-train")
    )


def section(result: dict[str, Any]) -> str:
    growth = result["standin"]["growth"].get("median_per_100_ms")
    return f"""{START}
## Turns

Every turn is timed from the POST to Rasa's REST channel to its answer. Stand-in's turns are a
fixed mix of journeys that reach the service desk: report a problem (a ticket is opened), ask
its status, send a meter reading, list appointment slots, and leave the question ("stop"), in
that order, one conversation at a time and then {result["params"]["conversations"]} at once.
Throughput is the turns answered per second of wall time with all of them running. Stock Rasa
(`rasa init --no-prompt`, its default config, in-memory tracker store, no action server) runs
its own intents (hello, I am feeling great, are you a bot?, bye) the same way, alone on the
machine once Stand-in's stack has stopped.

Cost growth: Stand-in's long conversation is driven turn by turn for all
{result["params"]["growth"]} turns, owner messages alternating with external events (a notice
through `trigger_intent`, as hold updates arrive). Median per 100 turns, in ms: {growth}.
Stock Rasa's first turns come from a new conversation; its last 20 are real turns of a
conversation whose first turns were appended through the tracker events API (driving them one
by one takes stock Rasa a quarter of an hour, its turns slowing down linearly).

Training is `rasa train --force` of Stand-in's config, domain and data; stock Rasa's is its
`rasa init` training (cached under var/bench-cache after the first run). Quality is `rasa test
nlu` on two files never trained on: tests/nlu_heldout.yml (its errors helped choose the
paraphrases in data/nlu_paraphrases.yml) and tests/nlu_heldout_blind.yml (written after the
model was settled and never used to choose anything).

Machine: {machine_line(result)}

Command: `{command_line(result)}` (`make bench` runs the defaults). Full figures:
`results/bench/turns.json`.

{table(result)}{_floor_section(result)}{END}"""


def _floor_section(result: dict[str, Any]) -> str:
    text = floor_table(result)
    if not text:
        return ""
    return f"""
### The floor: what a Rasa turn costs on this machine at the least

The same Rasa, with Stand-in's policies and speed-ups, but no NLU model (its messages name
their intent: `/greet`), no action server, no desk and Rasa's in-memory tracker store
(bench/rasa_floor.py), timed over 5 conversations of 20 turns one at a time and then with
{result["floor"]["many"]["conversations"]} at once. Every Stand-in turn does all of that and
more, so no Stand-in turn can beat these figures here.

{text}"""


def update_doc(doc: Path, result: dict[str, Any]) -> None:
    # The turns come first: they are what every owner feels.
    replace_section(doc, START, END, section(result), before=HOLDS_START)


def write_json(out_dir: Path, result: dict[str, Any]) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "turns.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    return path
