"""The holds benchmark (bench/holds.py) runs end to end on a tiny scale against the session
stack. Structure and counts only: timings are the benchmark's to report, never a test's to judge.
"""

from __future__ import annotations

import uuid

from bench.holds import PROVIDERS, api_keys, run_holds
from launcher.stack import Stack
from tests.conftest import DeskProcess, wait_until

LATENCY_KEYS = {"n", "p50", "p95", "p99", "max"}
BURST_LATENCY_KEYS = {"n", "p50", "p95", "max"}
PROCESSES = {"action_server", "rasa", "service_desk"}


def test_holds_benchmark_runs_end_to_end(stack: Stack, stack_desk: DeskProcess) -> None:
    # The reset dropped the action server's webhook subscriptions; it restores them within a
    # second (STANDIN_WEBHOOK_RECHECK_S=1), and the pickups are heard through them.
    keys = api_keys(stack)
    assert set(keys) == {provider for provider, _ in PROVIDERS}
    for provider, key in keys.items():
        wait_until(
            lambda key=key: stack_desk.get("/v1/webhooks", key=key)[2].get("webhooks"),
            timeout_s=20,
            what=f"{provider} webhook subscription restored after the desk reset",
        )

    result = run_holds(
        stack,
        3,
        2,
        5.0,
        burst=2,
        hold_seconds=5,
        tick_seconds=5,
        sender_prefix=f"bench-smoke-{uuid.uuid4().hex[:6]}",
        log=lambda _message: None,
    )

    assert result["problems"] == [] and result["ok"] is True, result["problems"]
    assert {
        "benchmark",
        "params",
        "machine",
        "pids",
        "placement",
        "queued",
        "hold",
        "settle",
        "pickups",
        "burst",
        "peak_rss_mb",
        "logs",
        "problems",
        "ok",
    } <= result.keys()
    assert {"cores", "cpu_model", "ram_gb", "python", "rasa", "date"} <= result["machine"].keys()

    assert result["placement"]["requested"] == 3 and result["placement"]["failures"] == 0
    assert set(result["placement"]["latency_s"]) == LATENCY_KEYS
    assert result["queued"]["count"] == 3 and result["queued"]["expected"] == 3
    assert sum(result["queued"]["by_provider"].values()) == 3

    hold = result["hold"]
    assert hold["ticks"] == 1
    assert set(hold["cpu_pct"]) == PROCESSES and set(result["peak_rss_mb"]) == PROCESSES
    assert all(isinstance(v, float) for v in hold["cpu_pct"].values())
    assert isinstance(hold["action_server_cpu_pct_peak_tick"], float)
    assert {"webhook_deliveries", "owner_messages"} <= hold.keys()

    pickups = result["pickups"]
    assert pickups["sent"] == 2 and pickups["connect_failures"] == 0
    assert pickups["arrived"] == 2 and pickups["missing"] == []
    assert set(pickups["latency_s"]) == LATENCY_KEYS and pickups["latency_s"]["n"] == 2
    assert pickups["t0_source"]["desk_delivery"] + pickups["t0_source"]["connect_request"] == 2

    burst = result["burst"]
    # Three calls, two taken by the one-at-a-time pickups: one is left for the burst.
    assert burst["requested"] == 2 and burst["size"] == 1
    assert burst["arrived"] == 1 and burst["missing"] == []
    assert set(burst["latency_s"]) == BURST_LATENCY_KEYS


def test_turns_benchmark_runs_end_to_end(stack: Stack, stack_desk: DeskProcess) -> None:
    from bench import turns

    readings = turns.Readings()
    text = turns.mix_texts(turns.STANDIN_MIX, readings)
    prefix = f"bench-smoke-turns-{uuid.uuid4().hex[:6]}"
    one = turns.latency(stack.config.rasa_url, text, 1, 5, f"{prefix}-one", warmup_turns=1)
    many = turns.latency(stack.config.rasa_url, text, 2, 3, f"{prefix}-many")
    assert one["turns"] == 5 and many["turns"] == 6 and many["conversations"] == 2
    assert set(one["latency_ms"]) == LATENCY_KEYS and one["throughput_turns_per_s"] > 0
    growth = turns.standin_growth(
        stack.config.rasa_url, stack.config.rasa_token, f"{prefix}-long", 6, readings
    )
    assert growth["turns"] == 6 and growth["first_ms"] > 0 and growth["last_ms"] > 0
    # The mix reached the desk: tickets opened, readings sent.
    _, _, tickets = stack_desk.get("/v1/tickets", key="sk-nimbus-demo")
    assert tickets["tickets"]
    _, _, sent = stack_desk.get("/v1/meter-readings?meter_id=WM-3341", key="sk-aquaflow-demo")
    assert sent["readings"]


def test_the_floor_measurement_runs_against_a_rasa_server(stack: Stack) -> None:
    """bench/rasa_floor.py's measurement, against the session's Rasa (the floor server itself
    is trained and served only by `make bench`): intent payloads, one at a time and at once."""
    from bench.rasa_floor import measure_floor

    figures = measure_floor(
        stack.config.rasa_url,
        conversations=2,
        turns_each=2,
        one_at_a_time=(2, 3),
        prefix=f"bench-smoke-floor-{uuid.uuid4().hex[:6]}",
    )
    assert figures["one"]["turns"] == 6 and set(figures["one"]["latency_ms"]) == LATENCY_KEYS
    assert figures["many"]["turns"] == 4 and figures["many"]["throughput_turns_per_s"] > 0
