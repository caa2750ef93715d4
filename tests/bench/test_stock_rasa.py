"""Pure helpers of the stock Rasa baseline (bench/stock_rasa.py) and its table rows. The
baseline itself trains and serves Rasa (minutes), so it is run by `python -m bench holds` only.
"""

from __future__ import annotations

import os
import time
import urllib.parse
from pathlib import Path

import yaml

from bench import stock_rasa
from bench.report import stock_rows


def test_credentials_have_rest_and_the_callback_url() -> None:
    parsed = yaml.safe_load(stock_rasa.credentials_yaml("http://127.0.0.1:4321/bot"))
    assert parsed == {"rest": None, "callback": {"url": "http://127.0.0.1:4321/bot"}}


def test_trigger_url_is_the_action_servers_path() -> None:
    url = stock_rasa.trigger_url("http://127.0.0.1:5005", "bench stock/1", "tok&en")
    parts = urllib.parse.urlsplit(url)
    assert parts.path == "/conversations/bench%20stock%2F1/trigger_intent"
    assert urllib.parse.parse_qs(parts.query) == {
        "output_channel": ["callback"],
        "token": ["tok&en"],
    }


def test_conversation_ids_are_numbered_from_start() -> None:
    assert stock_rasa.conversation_ids(3) == [
        "bench-stock-0001",
        "bench-stock-0002",
        "bench-stock-0003",
    ]
    assert stock_rasa.conversation_ids(2, 5, "w") == ["w-0005", "w-0006"]
    assert stock_rasa.conversation_ids(0) == []


def test_first_arrivals_keeps_the_first_message_since_the_trigger() -> None:
    messages = [
        {"recipient_id": "a", "received_at": 9.0},  # before a's trigger: an older message
        {"recipient_id": "a", "received_at": 10.5},
        {"recipient_id": "a", "received_at": 10.2},
        {"recipient_id": "b", "received_at": 11.0},
        {"recipient_id": "c", "received_at": 12.0},  # not triggered
        {"recipient_id": "b"},  # no stamp
    ]
    assert stock_rasa.first_arrivals(messages, {"a": 10.0, "b": 10.0, "d": 1.0}) == {
        "a": 10.2,
        "b": 11.0,
    }


def test_latencies_skip_what_never_arrived() -> None:
    sent = [
        {"conversation_id": "a", "before": 1.0},
        {"conversation_id": "b", "before": 2.0},
        {"conversation_id": "c", "before": 3.0},
    ]
    assert stock_rasa.latencies(sent, {"a": 1.25, "c": 3.5}) == [0.25, 0.5]


def test_ratio() -> None:
    assert stock_rasa.ratio(0.9, 0.03) == 30.0
    assert stock_rasa.ratio(None, 0.03) is None
    assert stock_rasa.ratio(0.9, None) is None
    assert stock_rasa.ratio(0.9, 0.0) is None


def test_cached_model_is_the_newest_archive(tmp_path: Path) -> None:
    assert stock_rasa.cached_model(tmp_path) is None
    old, new = tmp_path / "old.tar.gz", tmp_path / "new.tar.gz"
    old.write_bytes(b"")
    new.write_bytes(b"")
    os.utime(old, (time.time() - 60, time.time() - 60))
    (tmp_path / "training.json").write_text("{}")
    assert stock_rasa.cached_model(tmp_path) == new
    assert stock_rasa.cache_dir_for("3.6.21", tmp_path) == tmp_path / "rasa-3.6.21"


def _stock(problems: list[str] | None = None) -> dict:
    return {
        "order": "after Stand-in's stack stopped",
        "params": {"count": 2, "rate": 5.0, "burst": 2},
        "training": {"trained_now": True, "seconds": 120.0},
        "sequential": {"sent": 2, "arrived": 2, "latency_s": {"p50": 0.02, "p95": 0.04}},
        "burst": {"sent": 2, "arrived": 2, "latency_s": {"p50": 0.05, "p95": 0.1}},
        "problems": problems or [],
        "ok": not problems,
    }


def test_attach_compares_and_carries_problems() -> None:
    result = {
        "params": {},
        "pickups": {"latency_s": {"p50": 0.1, "p95": 0.2}},
        "burst": {"latency_s": {"p50": 0.4, "p95": 0.5}},
        "problems": [],
        "ok": True,
    }
    stock_rasa.attach(result, _stock())
    assert result["ok"] is True and result["params"]["stock"] is True
    assert result["comparison"]["pickup_p95_over_stock_p95"] == 5.0
    assert result["comparison"]["pickup_p50_over_stock_p50"] == 5.0
    assert result["comparison"]["burst_p95_over_stock_burst_p95"] == 5.0

    stock_rasa.attach(result, _stock(["1 trigger message(s) never arrived"]))
    assert result["ok"] is False
    assert result["problems"] == ["stock Rasa: 1 trigger message(s) never arrived"]


def test_stock_rows() -> None:
    assert stock_rows({}) == []
    result = {"stock": _stock(), "comparison": {"pickup_p95_over_stock_p95": 5.0}}
    (name, value), (ratio_name, ratio_value) = stock_rows(result)
    assert name == "stock Rasa: trigger_intent → callback (p50 / p95)"
    assert value.startswith("20 ms / 40 ms; 2 of 2 arrived at 5/s; burst of 2: 50 ms / 100 ms")
    assert "trained now in 120.0 s" in value
    assert (ratio_name, ratio_value) == ("Stand-in pickup p95 ÷ stock p95", "5× (burst: –)")

    failed = {"stock": {"ok": False, "problems": ["StockRasaError: training failed\nlog"]}}
    assert stock_rows(failed) == [
        (
            "stock Rasa: trigger_intent → callback (p50 / p95)",
            "failed: StockRasaError: training failed",
        ),
        ("Stand-in pickup p95 ÷ stock p95", "–"),
    ]
