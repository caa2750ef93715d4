"""Turn latency, throughput and per-turn cost growth over Rasa's REST channel.

The same measurements run against Stand-in's stack and against stock Rasa (`rasa init`) in the
same run, so every figure is also a ratio:
- **latency**: conversations of a fixed journey mix, one at a time and 20 at once; every turn
  timed from the POST to the REST channel's answer (for Stand-in that includes the action
  server and its call to the desk); throughput is turns answered per second of wall time;
- **growth**: one long conversation; the median of turns 1-20 against turns 981-1,000.
  Stand-in's is driven turn by turn, owner messages alternating with external events (a notice
  through `trigger_intent`, as a hold update arrives). Stock Rasa's first 980 turns are
  appended through the tracker events API (driving them one by one takes a quarter of an hour
  on stock Rasa, whose turns slow down linearly), then its last 20 are real turns.
"""

from __future__ import annotations

import statistics
import threading
import time
import urllib.parse
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from bench.holds import summary
from launcher.conversation import http_json, owner_headers

# Stand-in's journeys that reach the desk: report a problem (a ticket), ask its status, send a
# meter reading, list appointment slots (and leave the question). {reading} rises every time.
STANDIN_MIX = (
    "my internet keeps dropping, can you report it to Nimbus?",
    "what's the status of my Nimbus ticket?",
    "my water meter says {reading}",
    "book a technician for my internet",
    "stop",
)
# The starter assistant's own intents.
STOCK_MIX = ("hello", "I am feeling great", "are you a bot?", "bye")
GROWTH_WINDOW = 20
TIMEOUT_S = 120.0


class Readings:
    """Meter readings that only go up, shared by every conversation of a run."""

    def __init__(self, start: float = 1300.0) -> None:
        self._value = start
        self._lock = threading.Lock()

    def next(self) -> str:
        with self._lock:
            self._value = round(self._value + 0.1, 1)
            return f"{self._value:.1f}"


def say_timed(rasa_url: str, sender: str, text: str) -> float:
    """One owner message over the REST channel; seconds until Rasa answered."""
    started = time.perf_counter()
    status, body = http_json(
        "POST",
        f"{rasa_url}/webhooks/rest/webhook",
        {"sender": sender, "message": text},
        headers=owner_headers(),
        timeout_s=TIMEOUT_S,
    )
    elapsed = time.perf_counter() - started
    if status != 200 or not isinstance(body, list):
        raise RuntimeError(f"turn {text!r} for {sender}: Rasa answered {status}: {body}")
    return elapsed


def trigger_timed(rasa_url: str, token: str, sender: str, intent: str, entities: dict) -> float:
    """One external event (`trigger_intent`); seconds until Rasa answered."""
    query = urllib.parse.urlencode({"output_channel": "callback", "token": token})
    quoted = urllib.parse.quote(sender, safe="")
    url = f"{rasa_url}/conversations/{quoted}/trigger_intent?{query}"
    started = time.perf_counter()
    status, body = http_json(
        "POST", url, {"name": intent, "entities": entities}, timeout_s=TIMEOUT_S
    )
    elapsed = time.perf_counter() - started
    if status != 200:
        raise RuntimeError(f"trigger {intent} for {sender}: Rasa answered {status}: {body}")
    return elapsed


def mix_texts(mix: tuple[str, ...], readings: Readings) -> Callable[[int], str]:
    def text(turn: int) -> str:
        line = mix[turn % len(mix)]
        return line.format(reading=readings.next()) if "{reading}" in line else line

    return text


def latency(
    rasa_url: str,
    text: Callable[[int], str],
    conversations: int,
    turns_each: int,
    prefix: str,
    warmup_turns: int = 0,
) -> dict[str, Any]:
    """`conversations` conversations at once, each `turns_each` turns of the mix in order."""

    def one(n: int) -> list[float]:
        sender = f"{prefix}-{n}"
        for turn in range(warmup_turns):
            say_timed(rasa_url, sender, text(turn))
        return [
            say_timed(rasa_url, sender, text(warmup_turns + turn)) for turn in range(turns_each)
        ]

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=conversations) as pool:
        per_conversation = list(pool.map(one, range(conversations)))
    wall = time.perf_counter() - started
    turns = [t for conv in per_conversation for t in conv]
    return {
        "conversations": conversations,
        "turns": len(turns),
        "latency_ms": ms_summary(turns),
        "throughput_turns_per_s": round(len(turns) / wall, 2) if wall > 0 else None,
        "wall_s": round(wall, 1),
    }


def ms_summary(seconds: list[float]) -> dict[str, Any]:
    """n, p50, p95, p99 and max of turn times, in ms."""
    return {
        k: (round(v * 1000, 1) if k != "n" and v is not None else v)
        for k, v in summary(seconds).items()
    }


def growth_figures(per_turn: list[float], window: int = GROWTH_WINDOW) -> dict[str, Any]:
    """Medians of the first and the last `window` turns, their ratio, and a median per 100."""
    first = statistics.median(per_turn[:window])
    last = statistics.median(per_turn[-window:])
    hundreds = [
        round(statistics.median(per_turn[i : i + 100]) * 1000, 1)
        for i in range(0, len(per_turn), 100)
        if per_turn[i : i + 100]
    ]
    return {
        "turns": len(per_turn),
        "first_ms": round(first * 1000, 1),
        "last_ms": round(last * 1000, 1),
        "ratio": round(last / first, 2) if first > 0 else None,
        "median_per_100_ms": hundreds,
    }


def standin_growth(
    rasa_url: str, token: str, sender: str, turns: int, readings: Readings
) -> dict[str, Any]:
    """One conversation of `turns` turns: owner messages and external events alternating."""
    owner = ("what's the status of my Nimbus ticket?", "my water meter says {reading}")
    per_turn = []
    for turn in range(turns):
        if turn % 2:
            # A notice the action server never queued: Rasa runs the whole turn (the action is
            # called and finds nothing to say), like a hold update that was already said.
            per_turn.append(
                trigger_timed(rasa_url, token, sender, "EXTERNAL_notice", {"notice_id": "0"})
            )
        else:
            line = owner[(turn // 2) % len(owner)]
            text = line.format(reading=readings.next()) if "{reading}" in line else line
            per_turn.append(say_timed(rasa_url, sender, text))
    return growth_figures(per_turn)


def stock_history(turns: int, start: float, step: float = 0.004) -> list[dict[str, Any]]:
    """`turns` starter-assistant turns as tracker events (greet, utter_greet, listen), `step`
    seconds apart."""
    events: list[dict[str, Any]] = []
    at = start
    for _ in range(turns):
        parse = {"intent": {"name": "greet", "confidence": 1.0}, "entities": [], "text": "hello"}
        events += [
            {"event": "user", "text": "hello", "parse_data": parse, "timestamp": at},
            {"event": "action", "name": "utter_greet", "timestamp": at + step / 4},
            {"event": "bot", "text": "Hey! How are you?", "timestamp": at + step / 2},
            {"event": "action", "name": "action_listen", "timestamp": at + 3 * step / 4},
        ]
        at += step
    return events


def stock_growth(rasa_url: str, token: str, prefix: str, turns: int) -> dict[str, Any]:
    """Turns 1-20 of a new conversation; then turns 981-1,000 of one whose first 980 turns were
    appended through the tracker events API."""
    window = GROWTH_WINDOW
    fresh = [say_timed(rasa_url, f"{prefix}-fresh", STOCK_MIX[t % 4]) for t in range(window)]
    sender = f"{prefix}-long"
    say_timed(rasa_url, sender, "hello")  # the conversation exists, its session started
    quoted = urllib.parse.quote(sender, safe="")
    # Recent timestamps: older ones would expire the starter's 60-minute session, and Rasa
    # would then read only the new session (a short history, not the one being measured).
    history = stock_history(turns - window - 1, time.time() - 0.004 * turns)
    query = urllib.parse.urlencode({"token": token, "include_events": "NONE"})
    for i in range(0, len(history), 2000):
        status, body = http_json(
            "POST",
            f"{rasa_url}/conversations/{quoted}/tracker/events?{query}",
            history[i : i + 2000],
            timeout_s=600,
        )
        if status != 200:
            raise RuntimeError(f"appending the stock history: Rasa answered {status}: {body}")
    last = [say_timed(rasa_url, sender, STOCK_MIX[t % 4]) for t in range(window)]
    figures = growth_figures(fresh + last, window)
    figures |= {"turns": turns, "median_per_100_ms": None, "history": "appended, then driven"}
    return figures
