"""The phone-hold benchmark: many simultaneous holds in one action server process.

`run_holds(stack, ...)` drives a running Stack (launcher.stack) as the owner would:

1. placement: N calls through Rasa's REST channel, one sender per call, round-robin over the
   five providers with reasons that route into a queue; checked at the desk (GET /v1/calls);
2. holding: the CPU of the action server (and of Rasa and the desk) over a window in which the
   desk's queues move (POST /_sim/advance every tick), with peak memory;
3. pickups: an agent picks up random still-queued calls (POST /_sim/calls/{id}/connect) one at
   a time at a steady rate, then a burst all at once; the latency of each is the time from the
   desk queueing `call.agent_connected` to the owner's "Take the call?" arriving at the owner
   inbox that Rasa's callback channel posts to.

It measures and reports; it never judges timings. `result["ok"]` is False only when work did
not happen: fewer calls queued than asked for, or a pickup notification that never arrived.
"""

from __future__ import annotations

import json
import math
import os
import platform
import random
import sqlite3
import sys
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

from bench.procstat import CpuWindow, group_members, group_peak_rss_mb
from launcher.conversation import http_json, say
from launcher.stack import Stack

# (provider id, what the owner says): each reason routes to a queue, not the operator.
PROVIDERS: list[tuple[str, str]] = [
    ("nimbus-telecom", "call nimbus about my bill"),
    ("voltra-motors", "call voltra about the charging port"),
    ("brightgrid-energy", "call brightgrid about my bill"),
    ("aquaflow-water", "call aquaflow about a leak"),
    ("homecare-appliances", "call homecare about a new repair"),
]
PICKUP_TEXT = "Take the call?"
# Sim seconds kept in hand when the queues are advanced: no held call may reach the front
# (an agent picking up on their own) before the pickups are measured.
ADVANCE_MARGIN_S = 10
MAX_ADVANCE_PER_TICK_S = 60


def _log_default(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- small helpers ------------------------------------------------------------------------


def percentile(values: list[float], p: float) -> float | None:
    """Nearest-rank percentile (the smallest value with at least p% of values at or below)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def summary(values: list[float], ps: Iterable[int] = (50, 95, 99)) -> dict[str, Any]:
    out: dict[str, Any] = {"n": len(values)}
    for p in ps:
        value = percentile(values, p)
        out[f"p{p}"] = None if value is None else round(value, 4)
    out["max"] = round(max(values), 4) if values else None
    return out


def api_keys(stack: Stack) -> dict[str, str]:
    """provider id -> the owner's API key there, as the stack hands it to the action server."""
    env = {**os.environ, **stack.config.env()}
    keys = {}
    for provider, _ in PROVIDERS:
        name = f"STANDIN_{provider.upper().replace('-', '_')}_API_KEY"
        if env.get(name):
            keys[provider] = env[name]
    return keys


def _sqlite(path: Path) -> sqlite3.Connection:
    """A connection for reading another process's SQLite file (WAL: readers never block)."""
    conn = sqlite3.connect(str(path), timeout=30)
    conn.row_factory = sqlite3.Row
    return conn


def _standin_db(stack: Stack) -> Path:
    url = stack.config.env().get("STANDIN_DB_URL", "")
    prefix = "sqlite:///"
    if not url.startswith(prefix):
        raise ValueError(f"the benchmark reads Stand-in's SQLite store; STANDIN_DB_URL is {url!r}")
    return Path(url[len(prefix) :])


def _calls_by_sender(stack: Stack, senders: set[str]) -> dict[str, str]:
    """call id -> sender, from Stand-in's store (the desk's call does not know the sender)."""
    with _sqlite(_standin_db(stack)) as conn:
        rows = conn.execute(
            "SELECT call_id, conversation_id FROM calls ORDER BY created_at"
        ).fetchall()
    return {r["call_id"]: r["conversation_id"] for r in rows if r["conversation_id"] in senders}


def _desk_calls(stack: Stack, keys: dict[str, str], state: str) -> dict[str, dict[str, Any]]:
    """Every call of the owner's accounts at the desk in `state`, by id."""
    found: dict[str, dict[str, Any]] = {}
    for provider, key in keys.items():
        status, body = http_json(
            "GET",
            f"{stack.config.desk_url}/v1/calls?state={state}",
            headers={"Authorization": f"Bearer {key}"},
        )
        if status != 200:
            raise RuntimeError(f"GET /v1/calls for {provider} answered {status}: {body}")
        for call in body["calls"]:
            found[call["id"]] = {**call, "provider": provider}
    return found


def _processes(stack: Stack) -> dict[str, int]:
    named = {"action_server": stack.actions, "rasa": stack.rasa, "service_desk": stack.desk}
    pids = {}
    for name, process in named.items():
        if process is None or process.pid is None:
            raise ValueError(f"the stack's {name} is not running")
        pids[name] = process.pid
    return pids


def machine_facts() -> dict[str, Any]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram_gb = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
                break
    except (OSError, ValueError):
        pass
    try:
        rasa_version = metadata.version("rasa")
    except metadata.PackageNotFoundError:
        rasa_version = None
    return {
        "cores": os.cpu_count(),
        "cpu_model": model or platform.processor() or None,
        "ram_gb": ram_gb,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "rasa": rasa_version,
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def _log_offsets(stack: Stack) -> dict[Path, int]:
    logs = stack.config.var_dir / "logs"
    return {p: p.stat().st_size for p in sorted(logs.glob("*.log"))} if logs.is_dir() else {}


def _log_findings(stack: Stack, offsets: dict[Path, int]) -> dict[str, Any]:
    """ERROR/WARNING lines and tracebacks the stack logged during the run (not before it)."""
    findings: dict[str, Any] = {}
    for path in sorted((stack.config.var_dir / "logs").glob("*.log")):
        with open(path, "rb") as fh:
            fh.seek(offsets.get(path, 0))
            lines = fh.read().decode(errors="replace").splitlines()
        errors = [ln for ln in lines if " ERROR " in ln or "Traceback" in ln or "CRITICAL" in ln]
        warnings = [ln for ln in lines if " WARNING " in ln]
        findings[path.name] = {
            "errors": len(errors),
            "warnings": len(warnings),
            "samples": [ln[:300] for ln in (errors + warnings)[:5]],
        }
    return findings


# --- the phases ---------------------------------------------------------------------------


def _place_all(
    stack: Stack, senders: list[str], concurrency: int, log: Callable[[str], None]
) -> dict[str, Any]:
    rasa_url = stack.config.rasa_url

    def place(index: int) -> tuple[float, str | None]:
        text = PROVIDERS[index % len(PROVIDERS)][1]
        started = time.monotonic()
        try:
            replies = say(rasa_url, senders[index], text)
        except Exception as err:  # noqa: BLE001 (every failure is a figure)
            return time.monotonic() - started, f"{type(err).__name__}: {err}"[:300]
        if not replies:
            return time.monotonic() - started, "no reply"
        return time.monotonic() - started, None

    started = time.monotonic()
    durations: list[float] = []
    failures: list[str] = []
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        for done, (seconds, failure) in enumerate(pool.map(place, range(len(senders))), 1):
            durations.append(seconds)
            if failure:
                failures.append(f"{senders[done - 1]}: {failure}")
            if done % 100 == 0:
                log(f"placed {done}/{len(senders)}")
    wall = time.monotonic() - started
    return {
        "requested": len(senders),
        "failures": len(failures),
        "failure_samples": failures[:5],
        "seconds": round(wall, 2),
        "calls_per_s": round(len(senders) / wall, 2) if wall > 0 else None,
        "concurrency": concurrency,
        "latency_s": summary(durations),
    }


def _owner_messages_between(stack: Stack, start: float, end: float) -> int:
    assert stack.inbox is not None
    return sum(1 for m in stack.inbox.messages() if start <= m.get("received_at", 0) <= end)


def _deliveries_between(stack: Stack, start: float, end: float) -> dict[str, int]:
    with _sqlite(stack.config.desk_db) as conn:
        rows = conn.execute(
            "SELECT e.type AS type, count(*) AS n FROM deliveries d JOIN events e"
            " ON e.id = d.event_id WHERE d.created_real BETWEEN ? AND ? GROUP BY e.type",
            (start, end),
        ).fetchall()
    return {r["type"]: r["n"] for r in rows}


def _hold(
    stack: Stack,
    pids: dict[str, int],
    hold_seconds: float,
    tick_seconds: float,
    advance_seconds: int,
    log: Callable[[str], None],
) -> dict[str, Any]:
    ticks = max(1, math.ceil(hold_seconds / tick_seconds))
    windows = {name: CpuWindow(pid).start() for name, pid in pids.items()}
    started_real, started = time.time(), time.monotonic()
    tick_cpu: list[float] = []
    advance_s: list[float] = []
    processed = 0
    overruns = 0
    for tick in range(ticks):
        tick_window = CpuWindow(pids["action_server"]).start()
        if advance_seconds > 0:
            t = time.monotonic()
            status, body = http_json(
                "POST", f"{stack.config.desk_url}/_sim/advance", {"seconds": advance_seconds}
            )
            advance_s.append(time.monotonic() - t)
            if status != 200:
                raise RuntimeError(f"/_sim/advance answered {status}: {body}")
            processed += int((body or {}).get("processed") or 0)
        end_of_tick = started + min(hold_seconds, (tick + 1) * tick_seconds)
        left = end_of_tick - time.monotonic()
        if left > 0:
            time.sleep(left)  # the window's clock, not synchronisation
        elif tick < ticks - 1:
            overruns += 1
        tick_cpu.append(tick_window.stop().percent)
    for window in windows.values():
        window.stop()
    ended_real = time.time()
    log(
        f"hold window done: action server {windows['action_server'].percent:.1f}% of a core,"
        f" rasa {windows['rasa'].percent:.1f}%, desk {windows['service_desk'].percent:.1f}%"
    )
    return {
        "seconds": round(windows["action_server"].wall_s, 2),
        "ticks": ticks,
        "tick_seconds": tick_seconds,
        "advance_seconds_per_tick": advance_seconds,
        "sim_seconds_advanced": advance_seconds * ticks,
        "desk_jobs_processed": processed,
        "advance_request_s": summary(advance_s, ps=(50, 95)),
        "tick_overruns": overruns,
        "webhook_deliveries": _deliveries_between(stack, started_real, ended_real),
        "owner_messages": _owner_messages_between(stack, started_real, ended_real),
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "cpu_pct": {name: round(w.percent, 2) for name, w in windows.items()},
        "cpu_s": {name: round(w.cpu_s, 3) for name, w in windows.items()},
        "action_server_cpu_pct_peak_tick": round(max(tick_cpu), 2) if tick_cpu else None,
    }


def _backlog(stack: Stack) -> tuple[int, int]:
    """(desk deliveries not yet delivered, Stand-in notices not yet sent)."""
    with _sqlite(stack.config.desk_db) as conn:
        desk = conn.execute(
            "SELECT count(*) FROM deliveries WHERE status IN ('pending', 'sending')"
        ).fetchone()[0]
    with _sqlite(_standin_db(stack)) as conn:
        notices = conn.execute(
            "SELECT count(*) FROM notices WHERE status IN ('pending', 'sending')"
        ).fetchone()[0]
    return int(desk), int(notices)


def _settle(stack: Stack, timeout_s: float) -> dict[str, Any]:
    """Wait until the hold window's webhooks and notices are through before measuring pickups."""
    started = time.monotonic()
    while True:
        desk, notices = _backlog(stack)
        if (desk == 0 and notices == 0) or time.monotonic() - started > timeout_s:
            break
        time.sleep(0.5)  # polling interval
    return {
        "seconds": round(time.monotonic() - started, 2),
        "settled": desk == 0 and notices == 0,
        "deliveries_left": desk,
        "notices_left": notices,
    }


def _connect(stack: Stack, call_id: str) -> dict[str, Any]:
    before = time.time()
    status, body = http_json("POST", f"{stack.config.desk_url}/_sim/calls/{call_id}/connect", {})
    return {
        "call_id": call_id,
        "before": before,
        "after": time.time(),
        "status": status,
        "error": None if status == 200 else str(body)[:300],
    }


class _PickupMessages:
    """The owner inbox's "Take the call?" messages by sender, read incrementally (the inbox
    only appends), so waiting on hundreds of pickups costs the measured machine little."""

    def __init__(self, stack: Stack) -> None:
        assert stack.inbox is not None
        self._inbox = stack.inbox
        self._seen = 0
        self._times: dict[str, list[float]] = {}

    def refresh(self) -> None:
        messages = self._inbox.messages()
        for message in messages[self._seen :]:
            if PICKUP_TEXT in (message.get("text") or ""):
                recipient = str(message.get("recipient_id"))
                self._times.setdefault(recipient, []).append(float(message["received_at"]))
        self._seen = len(messages)

    def first(self, sender: str, since: float) -> float | None:
        # A message stamped before the connect request is an older one (clocks are the same).
        times = [t for t in self._times.get(sender, []) if t >= since]
        return min(times) if times else None


def _await_arrivals(
    stack: Stack, pickups: list[dict[str, Any]], senders: dict[str, str], wait_s: float
) -> None:
    """Fill `received` in each pickup (None: not within `wait_s` of its connect request)."""
    watch = _PickupMessages(stack)
    pending = [p for p in pickups if p["status"] == 200]
    for p in pickups:
        p["received"] = None
    while pending:
        now = time.time()
        watch.refresh()
        still = []
        for p in pending:
            received = watch.first(senders[p["call_id"]], p["before"])
            if received is not None and received - p["before"] <= wait_s:
                p["received"] = received
            elif now - p["before"] <= wait_s:
                still.append(p)
        pending = still
        if pending:
            time.sleep(0.2)  # polling interval; arrival times are stamped by the inbox


def _agent_connected_times(stack: Stack, call_ids: set[str]) -> tuple[dict[str, float], str]:
    """call id -> the real time the desk queued its `call.agent_connected` delivery.

    GET /_sim/deliveries first (it lists the oldest 1000 deliveries only, so on a big run the
    pickups' deliveries are past its end); what it lacks is read from the desk's own SQLite
    file, the table that endpoint reads.
    """
    times: dict[str, float] = {}
    status, body = http_json("GET", f"{stack.config.desk_url}/_sim/deliveries", timeout_s=120)
    deliveries = body.get("deliveries", []) if status == 200 and isinstance(body, dict) else []
    wanted = {d["event_id"]: d for d in deliveries if d.get("event_type") == "call.agent_connected"}
    from_api = 0
    if wanted:
        status, body = http_json("GET", f"{stack.config.desk_url}/_sim/events", timeout_s=120)
        events = body.get("events", []) if status == 200 and isinstance(body, dict) else []
        for event in events:
            delivery = wanted.get(event.get("id"))
            call_id = (event.get("data") or {}).get("id")
            if delivery and call_id in call_ids:
                created = float(delivery["created_real"])
                times[call_id] = min(created, times.get(call_id, created))
        from_api = len(times)
    missing = call_ids - times.keys()
    if missing:
        with _sqlite(stack.config.desk_db) as conn:
            rows = conn.execute(
                "SELECT e.body AS body, d.created_real AS created_real FROM deliveries d"
                " JOIN events e ON e.id = d.event_id WHERE e.type = 'call.agent_connected'"
            ).fetchall()
        for row in rows:
            call_id = (json.loads(row["body"]).get("data") or {}).get("id")
            if call_id in missing:
                created = float(row["created_real"])
                times[call_id] = min(created, times.get(call_id, created))
    return times, f"{from_api} from /_sim/deliveries, {len(times) - from_api} from the desk db"


def _latencies(
    pickups: list[dict[str, Any]], connected_at: dict[str, float]
) -> tuple[list[float], dict[str, int]]:
    values, sources = [], {"desk_delivery": 0, "connect_request": 0}
    for p in pickups:
        if p.get("received") is None:
            continue
        t0 = connected_at.get(p["call_id"])
        if t0 is None:
            t0 = p["before"]
            sources["connect_request"] += 1
        else:
            sources["desk_delivery"] += 1
        p["latency_s"] = p["received"] - t0
        values.append(p["latency_s"])
    return values, sources


# --- the benchmark ------------------------------------------------------------------------


def run_holds(
    stack: Stack,
    calls: int = 1000,
    pickups: int = 200,
    rate: float = 5.0,
    *,
    burst: int = 50,
    hold_seconds: float = 60.0,
    tick_seconds: float = 5.0,
    advance_seconds: int | None = None,
    concurrency: int = 8,
    wait_s: float = 30.0,
    settle_timeout_s: float = 120.0,
    seed: int = 1,
    sender_prefix: str = "bench-hold",
    log: Callable[[str], None] = _log_default,
) -> dict[str, Any]:
    """Run the benchmark against a running `stack` (with its owner inbox); returns the figures.

    `advance_seconds` (per tick) defaults to what keeps every held call queued until the
    pickups: at most 60, and in all no more than the shortest remaining wait less a margin.
    """
    if stack.inbox is None:
        raise ValueError("the stack must run its own owner inbox (no STANDIN_CALLBACK_URL)")
    if calls < 1 or pickups < 0 or burst < 0 or rate <= 0 or tick_seconds <= 0:
        raise ValueError("calls >= 1, pickups >= 0, burst >= 0, rate > 0, tick_seconds > 0")
    pids = _processes(stack)
    keys = api_keys(stack)
    offsets = _log_offsets(stack)
    rng = random.Random(seed)
    result: dict[str, Any] = {
        "benchmark": "holds",
        "params": {
            "calls": calls,
            "pickups": pickups,
            "rate": rate,
            "burst": burst,
            "hold_seconds": hold_seconds,
            "tick_seconds": tick_seconds,
            "advance_seconds": advance_seconds,
            "concurrency": concurrency,
            "wait_s": wait_s,
            "seed": seed,
        },
        "machine": machine_facts(),
        "pids": pids,
    }
    problems: list[str] = []

    # 1. placement
    senders = [f"{sender_prefix}-{i:05d}" for i in range(calls)]
    log(f"placing {calls} calls through Rasa ({concurrency} at a time)")
    placement_window = {name: CpuWindow(pid).start() for name, pid in pids.items()}
    result["placement"] = _place_all(stack, senders, concurrency, log)
    result["placement"]["cpu_pct"] = {
        name: round(w.stop().percent, 2) for name, w in placement_window.items()
    }
    by_call = _calls_by_sender(stack, set(senders))
    queued = {cid: c for cid, c in _desk_calls(stack, keys, "queued").items() if cid in by_call}
    by_provider = {provider: 0 for provider, _ in PROVIDERS}
    for call in queued.values():
        by_provider[call["provider"]] = by_provider.get(call["provider"], 0) + 1
    result["queued"] = {
        "count": len(queued),
        "expected": calls,
        "calls_in_store": len(by_call),
        "by_provider": by_provider,
    }
    log(
        f"placed in {result['placement']['seconds']}s"
        f" ({result['placement']['calls_per_s']}/s, {result['placement']['failures']} failed);"
        f" {len(queued)}/{calls} queued at the desk"
    )
    if len(queued) < calls:
        problems.append(f"only {len(queued)} of {calls} calls were queued at the desk")

    # 2. holding
    ticks = max(1, math.ceil(hold_seconds / tick_seconds))
    if advance_seconds is None:
        waits = [int(c.get("estimated_wait_s") or 0) for c in queued.values()]
        budget = (min(waits) if waits else 0) - ADVANCE_MARGIN_S
        advance_seconds = max(0, min(MAX_ADVANCE_PER_TICK_S, budget // ticks))
    result["params"]["advance_seconds"] = advance_seconds
    log(
        f"holding for {hold_seconds}s: /_sim/advance {advance_seconds}s every {tick_seconds}s"
        f" ({ticks} ticks)"
    )
    result["hold"] = _hold(stack, pids, hold_seconds, tick_seconds, advance_seconds, log)
    result["settle"] = _settle(stack, settle_timeout_s)
    log(f"settled in {result['settle']['seconds']}s: {result['settle']}")

    # 3. pickups: sequential at `rate`, then a burst
    still_queued = [
        cid for cid in _desk_calls(stack, keys, "queued") if cid in by_call and cid in queued
    ]
    result["settle"]["still_queued"] = len(still_queued)
    rng.shuffle(still_queued)
    sequential_ids = still_queued[:pickups]
    burst_ids = still_queued[pickups : pickups + burst]
    if len(sequential_ids) < pickups:
        problems.append(f"only {len(sequential_ids)} calls were still queued for {pickups} pickups")
    log(f"{len(sequential_ids)} pickups at {rate}/s, then a burst of {len(burst_ids)}")
    pickup_windows = {name: CpuWindow(pid).start() for name, pid in pids.items()}
    sequential: list[dict[str, Any]] = []
    started = time.monotonic()
    for index, call_id in enumerate(sequential_ids):
        left = started + index / rate - time.monotonic()
        if left > 0:
            time.sleep(left)  # the pickup timer
        sequential.append(_connect(stack, call_id))
    sent_s = time.monotonic() - started
    _await_arrivals(stack, sequential, by_call, wait_s)

    with ThreadPoolExecutor(max_workers=max(1, len(burst_ids))) as pool:
        bursting = list(pool.map(lambda cid: _connect(stack, cid), burst_ids))
    _await_arrivals(stack, bursting, by_call, wait_s)
    pickup_cpu = {name: round(w.stop().percent, 2) for name, w in pickup_windows.items()}

    connected_at, t0_note = _agent_connected_times(
        stack, {p["call_id"] for p in sequential + bursting}
    )
    seq_latency, seq_sources = _latencies(sequential, connected_at)
    burst_latency, burst_sources = _latencies(bursting, connected_at)

    def missing(items: list[dict[str, Any]]) -> list[str]:
        return [p["call_id"] for p in items if p.get("received") is None]

    result["pickups"] = {
        "requested": pickups,
        "sent": len(sequential),
        "connect_failures": sum(1 for p in sequential if p["status"] != 200),
        "arrived": len(seq_latency),
        "missing": missing(sequential),
        "rate_target": rate,
        "rate_achieved": round((len(sequential) - 1) / sent_s, 2)
        if len(sequential) > 1 and sent_s > 0
        else None,
        "latency_s": summary(seq_latency),
        "t0_source": {**seq_sources, "note": t0_note},
        "cpu_pct": pickup_cpu,
    }
    result["burst"] = {
        "requested": burst,
        "size": len(bursting),
        "connect_failures": sum(1 for p in bursting if p["status"] != 200),
        "arrived": len(burst_latency),
        "missing": missing(bursting),
        "latency_s": summary(burst_latency, ps=(50, 95)),
        "t0_source": burst_sources,
    }
    for name, items in (("pickup", sequential), ("burst pickup", bursting)):
        failed = [p for p in items if p["status"] != 200]
        if failed:
            problems.append(f"{len(failed)} {name} connect request(s) failed: {failed[0]['error']}")
        lost = missing(items)
        if lost:
            problems.append(
                f"{len(lost)} {name} notification(s) never arrived within {wait_s}s: {lost[:5]}"
            )

    # 4. memory, logs, verdict
    result["peak_rss_mb"] = {name: round(group_peak_rss_mb(pid), 1) for name, pid in pids.items()}
    result["group_processes"] = {name: len(group_members(pid)) for name, pid in pids.items()}
    result["logs"] = _log_findings(stack, offsets)
    result["problems"] = problems
    result["ok"] = not problems
    return result
