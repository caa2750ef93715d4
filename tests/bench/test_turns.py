"""The turns benchmark's pure parts: its figures, the stock history it appends, its table."""

from __future__ import annotations

from typing import Any

from bench import turns, turns_report, turns_suite


def test_growth_compares_the_first_and_last_twenty_turns() -> None:
    per_turn = [0.05] * 20 + [0.5] * 960 + [0.10] * 20
    figures = turns.growth_figures(per_turn)
    assert (figures["first_ms"], figures["last_ms"], figures["ratio"]) == (50.0, 100.0, 2.0)
    assert len(figures["median_per_100_ms"]) == 10


def test_readings_only_go_up_and_the_mix_cycles() -> None:
    readings = turns.Readings(100.0)
    text = turns.mix_texts(turns.STANDIN_MIX, readings)
    said = [text(n) for n in range(10)]
    assert said[0] == said[5] == turns.STANDIN_MIX[0]
    assert said[2] == "my water meter says 100.1" and said[7] == "my water meter says 100.2"


def test_the_stock_history_is_whole_turns_of_valid_events() -> None:
    history = turns.stock_history(3, 1000.0)
    assert len(history) == 12
    assert [e["event"] for e in history[:4]] == ["user", "action", "bot", "action"]
    assert history[3]["name"] == "action_listen"
    assert all(a["timestamp"] < b["timestamp"] for a, b in zip(history, history[1:], strict=False))


def _result(**changes: Any) -> dict[str, Any]:
    side = {
        "one": {"latency_ms": {"p50": 20.0, "p95": 50.0, "p99": 70.0}},
        "many": {
            "conversations": 20,
            "latency_ms": {"p50": 90.0, "p95": 200.0, "p99": 300.0},
            "throughput_turns_per_s": 100.0,
        },
        "growth": {"first_ms": 20.0, "last_ms": 22.0, "ratio": 1.1, "median_per_100_ms": [20.0]},
        "peak_rss_mb": {"rasa": 900.0},
    }
    stock = {**side, "many": {**side["many"], "throughput_turns_per_s": 10.0}}
    stock["training"] = {"seconds": 100.0, "model_mb": 20.0}
    result = {
        "params": {"turns": 100, "conversations": 20, "turns_each": 15, "growth": 1000},
        "standin": side,
        "stock": stock,
        "footprint": {"training_s": 90.0, "model_mb": 30.0, "peak_rss_mb": {"rasa": 900.0}},
        "quality": {"intent_accuracy": 0.96, "entity_f1": 0.98},
        "targets": turns_suite.TARGETS,
        "machine": {
            "cores": 2,
            "cpu_model": "x",
            "ram_gb": 1,
            "os": "Linux",
            "python": "3.10",
            "rasa": "3.6.21",
            "load_average_at_start": [0.1],
            "date": "2026-12-02",
        },
        **changes,
    }
    result["params"]["train"] = True
    result["ratios"] = turns_suite.ratios(side, stock)
    result["met"] = turns_suite.verdicts(result)
    return result


def test_targets_are_judged_from_the_figures() -> None:
    met = _result()["met"]
    assert met == {
        "p50_one_ms": True,
        "p95_one_ms": True,
        "throughput_vs_stock": True,
        "growth_ratio": True,
        "intent_accuracy": True,
        "training_s": True,
    }
    worse = _result(quality={"intent_accuracy": 0.9}, footprint={"training_s": 300.0})["met"]
    assert worse["intent_accuracy"] is False and worse["training_s"] is False
    # Both held-out files must reach it: the first one helped choose paraphrases.
    blind = _result(quality_blind={"intent_accuracy": 0.93, "entity_f1": 0.9})
    assert blind["met"]["intent_accuracy"] is False
    assert "0.93 / 0.9" in turns_report.table(blind)


def test_the_table_and_section_name_every_measure(tmp_path) -> None:
    result = _result()
    text = turns_report.table(result)
    for measure in ("p50", "throughput", "981", "training", "model size", "accuracy"):
        assert measure in text
    doc = tmp_path / "performance.md"
    doc.write_text("# Performance\n\n<!-- holds:start -->\nholds\n<!-- holds:end -->\n")
    turns_report.update_doc(doc, result)
    turns_report.update_doc(doc, result)  # idempotent: one section
    body = doc.read_text()
    assert body.count(turns_report.START) == 1 and body.index("turns:start") < body.index("holds")
    assert "floor" not in body  # none measured


def test_the_workers_lever_is_a_row_with_its_ratio_to_stock(tmp_path) -> None:
    workers = {"workers": 2, "many": {"conversations": 20, "throughput_turns_per_s": 25.0}}
    text = turns_report.table(_result(workers=workers))
    assert "2 Rasa workers (Redis lock store) | 25 turns/s |  | 2.5 |" in text
    endpoints = turns_suite.workers_endpoints(tmp_path, "10.0.0.9:6390").read_text()
    assert endpoints.startswith((turns_suite.PROJECT_ROOT / "endpoints.yml").read_text())
    assert "type: redis\n  url: 10.0.0.9\n  port: 6390\n  db: 3" in endpoints


def test_the_floor_is_shown_beside_stand_in_and_the_targets(tmp_path) -> None:
    floor = {
        "one": {"latency_ms": {"p50": 14.0, "p95": 23.0}},
        "many": {"conversations": 20, "throughput_turns_per_s": 94.0},
    }
    result = _result(floor=floor)
    text = turns_report.floor_table(result)
    assert "14 / 23 ms" in text and "20 / 50 ms" in text  # the floor, then Stand-in
    assert "94 turns/s (9.4× stock)" in text and "≥ 50 turns/s (5.0× stock)" in text
    doc = tmp_path / "performance.md"
    doc.write_text("# Performance\n")
    turns_report.update_doc(doc, result)
    assert "### The floor" in doc.read_text()
