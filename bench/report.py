"""The holds benchmark's figures as a markdown table, in results/ and in docs/performance.md."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

START, END = "<!-- holds:start -->", "<!-- holds:end -->"
AIM_P95_S = 1.0
AIM_HOLDS = 1000

DOC_HEADER = """# Performance

Benchmarks of the whole stack (service desk, action server, Rasa), run with `make bench`. They
measure; no test asserts a timing. Each section is rewritten by its benchmark: edit the text
outside the markers only.
"""


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value * 1000:.0f} ms"


def _latency(figures: dict[str, Any], keys: tuple[str, ...]) -> str:
    return " / ".join(_ms(figures.get(k)) for k in keys)


def table(result: dict[str, Any]) -> str:
    p, hold, pick, burst = result["params"], result["hold"], result["pickups"], result["burst"]
    cpu, rss = hold["cpu_pct"], result["peak_rss_mb"]
    queued = result["queued"]
    placement = result["placement"]
    deliveries = hold["webhook_deliveries"]
    p95 = pick["latency_s"].get("p95")
    if queued["count"] >= AIM_HOLDS and p95 is not None:
        aim = "met" if p95 < AIM_P95_S else "not met"
    else:
        aim = f"not judged (needs {AIM_HOLDS} holds)"
    rows = [
        ("calls held at once", f"{queued['count']} of {queued['expected']} queued"),
        (
            "placing them (through Rasa)",
            f"{placement['seconds']} s, {placement['calls_per_s']} calls/s with"
            f" {placement['concurrency']} at a time; p95 {_ms(placement['latency_s']['p95'])}"
            f" per call; {placement['failures']} failed",
        ),
        (
            "hold window",
            f"{hold['seconds']} s; queues advanced {hold['advance_seconds_per_tick']} sim s every"
            f" {hold['tick_seconds']} s; {sum(deliveries.values())} webhooks to Stand-in,"
            f" {hold['owner_messages']} messages to the owner",
        ),
        (
            "**action server CPU while holding**",
            f"**{cpu['action_server']:.1f} % of one core** (busiest"
            f" {hold['tick_seconds']:g} s: {hold['action_server_cpu_pct_peak_tick']:.1f} %)",
        ),
        ("Rasa CPU while holding", f"{cpu['rasa']:.1f} % of one core"),
        ("service desk CPU while holding", f"{cpu['service_desk']:.1f} % of one core"),
        (
            "peak memory (RSS)",
            f"action server {rss['action_server']:.0f} MiB, Rasa {rss['rasa']:.0f} MiB,"
            f" desk {rss['service_desk']:.0f} MiB",
        ),
        (
            f"**pickup → owner notified**, {pick['sent']} one at a time at {p['rate']:g}/s"
            " (p50 / p95 / p99 / max)",
            f"**{_latency(pick['latency_s'], ('p50', 'p95', 'p99', 'max'))}**;"
            f" {pick['arrived']} of {pick['sent']} arrived",
        ),
        (
            f"burst: {burst['size']} pickups at once (p50 / p95 / max)",
            f"{_latency(burst['latency_s'], ('p50', 'p95', 'max'))};"
            f" {burst['arrived']} of {burst['size']} arrived",
        ),
        *stock_rows(result),
        (f"aim: p95 under {AIM_P95_S:g} s at {AIM_HOLDS:,} holds", aim),
    ]
    lines = ["| figure | value |", "|---|---|"]
    lines += [f"| {name} | {value} |" for name, value in rows]
    return "\n".join(lines)


def stock_rows(result: dict[str, Any]) -> list[tuple[str, str]]:
    """The same-run stock Rasa baseline (bench/stock_rasa.py); none when it was not run."""
    stock = result.get("stock")
    if stock is None:
        return []
    name = "stock Rasa: trigger_intent → callback (p50 / p95)"
    ratio_name = "Stand-in pickup p95 ÷ stock p95"
    if not stock.get("ok") and "sequential" not in stock:
        problem = (stock.get("problems") or ["no figures"])[0].splitlines()[0][:200]
        return [(name, f"failed: {problem}"), (ratio_name, "–")]
    seq, burst = stock["sequential"], stock["burst"]
    training = stock.get("training") or {}
    if training.get("trained_now"):
        model = f"model trained now in {training.get('seconds')} s"
    else:
        model = "model from the cache"
    comparison = result.get("comparison") or {}

    def times(value: float | None) -> str:
        return "–" if value is None else f"{value:g}×"

    return [
        (
            name,
            f"{_latency(seq['latency_s'], ('p50', 'p95'))}; {seq['arrived']} of {seq['sent']}"
            f" arrived at {stock['params']['rate']:g}/s; burst of {burst['sent']}:"
            f" {_latency(burst['latency_s'], ('p50', 'p95'))}; run {stock['order']}, {model}",
        ),
        (
            ratio_name,
            f"{times(comparison.get('pickup_p95_over_stock_p95'))} (burst:"
            f" {times(comparison.get('burst_p95_over_stock_burst_p95'))})",
        ),
    ]


def machine_line(result: dict[str, Any]) -> str:
    m = result["machine"]
    return (
        f"{m['cores']} cores ({m['cpu_model']}), {m['ram_gb']} GB RAM, {m['os']}, Python"
        f" {m['python']}, Rasa {m['rasa']}; load average at the start"
        f" {', '.join(str(x) for x in m['load_average_at_start'])}. Run on {m['date']}."
    )


def command_line(result: dict[str, Any]) -> str:
    p = result["params"]
    return (
        f"python -m bench holds --calls {p['calls']} --pickups {p['pickups']} --rate {p['rate']:g}"
        f" --burst {p['burst']} --hold-seconds {p['hold_seconds']:g}"
        + ("" if p.get("stock", True) else " --no-stock")
    )


def section(result: dict[str, Any]) -> str:
    return f"""{START}
## Holds

One action server process follows many simultaneous held calls. The benchmark places the calls
through Rasa like an owner would (one conversation each, round-robin over the five providers),
measures the CPU the action server uses while the desk's queues move (`/_sim/advance` every
few seconds: position webhooks, Stand-in's polls of calls it has not heard of for 30 s, and the
updates it pushes to the owner through Rasa), then lets agents pick up random queued calls. The
pickup latency runs from the desk queueing `call.agent_connected` (`created_real` of the
delivery) to the owner's "Take the call?" arriving at the callback receiver. CPU is the
process group's utime + stime over the window (`/proc`), as % of one core; peak memory is the
group's VmHWM. The desk's clock stands still except for the advances, so no call reaches an
agent on its own before the pickups.

Baseline in the same run (`--stock`, the default): Rasa's own starter assistant (`rasa init`,
no action server, in-memory tracker store), served by the same launcher with the same callback
channel into the same kind of inbox, once Stand-in's stack has stopped. Its latency runs from
just before `POST /conversations/{{id}}/trigger_intent?output_channel=callback` (intent
`greet`, answered with `utter_greet`: the path Stand-in's action server uses to notify) to the
reply arriving at the inbox, one new conversation per trigger, at the pickups' rate and then in
a burst of the same size. The ratio is what Stand-in adds on top of Rasa's bare delivery.

Machine: {machine_line(result)}

Command: `{command_line(result)}` (`make bench` runs the defaults). Full figures:
`results/bench/holds.json`.

{table(result)}
{END}"""


def replace_section(doc: Path, start: str, end: str, new: str, before: str | None = None) -> None:
    """Put `new` (markers included) where the section between `start` and `end` is; a new
    section goes just before the marker `before` if the page has it, else at the end."""
    text = doc.read_text() if doc.exists() else DOC_HEADER
    if start in text and end in text:
        head, rest = text.split(start, 1)
        _, tail = rest.split(end, 1)
        text = head + new + tail
    elif before and before in text:
        text = text.replace(before, new + "\n\n" + before, 1)
    else:
        text = text.rstrip("\n") + "\n\n" + new + "\n"
    doc.parent.mkdir(parents=True, exist_ok=True)
    doc.write_text(text)


def update_doc(doc: Path, result: dict[str, Any]) -> None:
    """Rewrite the Holds section between its markers; create the page or the section if new."""
    replace_section(doc, START, END, section(result))


def write_json(out_dir: Path, result: dict[str, Any]) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "holds.json"
    path.write_text(json.dumps(result, indent=2, sort_keys=False) + "\n")
    return path
