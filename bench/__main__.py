"""`python -m bench all | turns | holds | conversations`.

`all` (`make bench`): Stand-in trained from scratch, one stack for the turns and then the holds,
one stock Rasa server for both baselines; both JSON files and both sections of
docs/performance.md.

`turns`: turn latency, growth, footprint and quality (bench/turns_suite.py).

`conversations [--fast] [--only ID ...]`: the conversation suite on a stack of its own
(bench/conversation_suite.py), results/bench/conversations.json and its section of
docs/performance.md; `all` runs it last. Exit code 1: a scenario failed.

`holds [--calls 1000] [--pickups 200] [--rate 5] [--out results/bench]`:

Starts its own stack under var/bench (emptied first) on free ports, runs the benchmark, stops
the stack, then measures the same-run baseline on stock Rasa (bench/stock_rasa.py; its trained
model is cached in var/bench-cache/stock; `--no-stock` skips it), writes <out>/holds.json and
the Holds section of docs/performance.md, prints the table, and stops everything it started.
Exit code 1: the run failed (calls not queued, a notification lost, the baseline not
measured); 2: the stack could not start.
"""

from __future__ import annotations

import argparse
import shutil
import signal
import sys
from pathlib import Path

from bench import conversation_report, stock_rasa, turns_report, turns_suite
from bench.conversation_suite import load_scenarios
from bench.holds import run_holds
from bench.report import table, update_doc, write_json
from launcher.processes import PROJECT_ROOT, ProcessFailed
from launcher.stack import Stack, StackConfig, StackError

VAR_DIR = PROJECT_ROOT / "var" / "bench"
DOC = PROJECT_ROOT / "docs" / "performance.md"
# A Monday 09:00 UTC: outside the owner's quiet hours, so every update is sent as it would be.
DESK_START = "2026-11-23T09:00:00Z"
# The desk's clock all but stands still: queues move only when the benchmark advances them.
DESK_TIME_SCALE = "0.000001"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="benchmark", required=True)
    holds = sub.add_parser("holds", help="many simultaneous holds in one action server")
    _holds_args(holds)
    t = sub.add_parser("turns", help="turn latency, cost growth, footprint and quality vs stock")
    _turns_args(t)
    both = sub.add_parser("all", help="turns, then holds on the same stack (make bench)")
    _turns_args(both)
    _holds_args(both, common=False)
    both.add_argument(
        "--suite",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="run the conversation suite last (default: on)",
    )
    suite = sub.add_parser("conversations", help="the conversation suite: the share that passes")
    suite.add_argument("--fast", action="store_true", help="only the scenarios marked fast")
    suite.add_argument("--only", nargs="+", default=None, metavar="ID", help="these scenarios")
    suite.add_argument("--out", type=Path, default=Path("results/bench"), help="results dir")
    suite.add_argument("--no-doc", action="store_true", help="do not rewrite docs/performance.md")
    return parser


def run_conversations(args: argparse.Namespace, model: Path | None = None) -> int:
    scenarios = load_scenarios()
    if getattr(args, "fast", False):
        scenarios = [s for s in scenarios if s.fast]
    if getattr(args, "only", None):
        unknown = set(args.only) - {s.id for s in scenarios}
        if unknown:
            print(f"bench: no such scenario: {', '.join(sorted(unknown))}", file=sys.stderr)
            return 2
        scenarios = [s for s in scenarios if s.id in args.only]
    whole = not getattr(args, "fast", False) and not getattr(args, "only", None)
    doc = DOC if whole and not args.no_doc else None
    try:
        result = conversation_report.run(args.out, doc, scenarios, model)
    except KeyboardInterrupt:
        print("bench: interrupted", file=sys.stderr)
        return 130
    for name in ("all", "main", "blind"):
        group = result[name]
        print(f"conversations, {name}: {group['passed']} of {group['of']} passed")
    return 0 if result["all"]["passed"] == result["all"]["of"] else 1


def _holds_args(holds: argparse.ArgumentParser, common: bool = True) -> None:
    holds.add_argument("--calls", type=int, default=1000, help="calls held at once (1000)")
    holds.add_argument("--pickups", type=int, default=200, help="pickups one at a time (200)")
    holds.add_argument("--rate", type=float, default=5.0, help="pickups per second (5)")
    holds.add_argument("--burst", type=int, default=50, help="pickups all at once after (50)")
    holds.add_argument(
        "--hold-seconds", type=float, default=60.0, help="CPU window while holding (60)"
    )
    holds.add_argument(
        "--tick-seconds", type=float, default=5.0, help="real seconds between advances (5)"
    )
    holds.add_argument(
        "--advance-seconds",
        type=int,
        default=None,
        help="sim seconds per advance (default: up to 60, keeping every call queued)",
    )
    holds.add_argument("--concurrency", type=int, default=8, help="calls placed at once (8)")
    holds.add_argument("--seed", type=int, default=1, help="which calls get picked up (1)")
    if not common:
        return  # `all` takes --out and --no-doc from the turns arguments, and always has stock
    holds.add_argument("--out", type=Path, default=Path("results/bench"), help="results dir")
    holds.add_argument(
        "--stock",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="measure stock Rasa's trigger_intent → callback path in the same run, after"
        " Stand-in's stack stopped (default: on)",
    )
    holds.add_argument("--no-doc", action="store_true", help="do not rewrite docs/performance.md")


def _turns_args(t: argparse.ArgumentParser) -> None:
    t.add_argument("--turns", type=int, default=100, help="turns of one conversation (100)")
    t.add_argument("--conversations", type=int, default=20, help="conversations at once (20)")
    t.add_argument("--turns-each", type=int, default=15, help="turns of each of them (15)")
    t.add_argument("--growth", type=int, default=1000, help="turns of the long one (1000)")
    for flag, what in (
        ("train", "time Stand-in's training from scratch"),
        ("quality", "evaluate the held-out NLU files"),
        ("workers", "measure the throughput with 2 Rasa workers and the Redis lock store"),
        ("floor", "measure the Rasa floor: no NLU model, no action server"),
    ):
        t.add_argument(
            f"--{flag}",
            action=argparse.BooleanOptionalAction,
            default=True,
            help=what,
        )
    t.add_argument("--out", type=Path, default=Path("results/bench"), help="results dir")
    t.add_argument("--no-doc", action="store_true", help="do not rewrite docs/performance.md")


def run_turns(args: argparse.Namespace) -> int:
    try:
        result = turns_suite.run(args)
    except KeyboardInterrupt:
        print("bench: interrupted", file=sys.stderr)
        return 130
    return _report_turns(args, result)


def _report_turns(args: argparse.Namespace, result: dict) -> int:
    path = turns_report.write_json(args.out, result)
    for problem in result["problems"]:
        print(f"FAILED: {problem}", file=sys.stderr)
    if "standin" not in result:
        return 2
    if not args.no_doc:
        turns_report.update_doc(DOC, result)
    print(turns_report.table(result))
    print(f"\nfigures: {path}" + ("" if args.no_doc else f"; section: {DOC}"))
    return 0 if result["ok"] else 1


def _terminate(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def _holds_config(model: Path | None = None) -> StackConfig:
    shutil.rmtree(VAR_DIR, ignore_errors=True)
    return turns_suite.stack_config(
        VAR_DIR,
        model,
        extra_env={
            # The owner never answers "Take the call?": no pickup may time out mid-measurement.
            "STANDIN_ANSWER_TIMEOUT_S": "3600",
            "SERVICE_DESK_TIME_SCALE": DESK_TIME_SCALE,
        },
    )


def _holds(stack: Stack, args: argparse.Namespace) -> dict:
    return run_holds(
        stack,
        args.calls,
        args.pickups,
        args.rate,
        burst=args.burst,
        hold_seconds=args.hold_seconds,
        tick_seconds=args.tick_seconds,
        advance_seconds=args.advance_seconds,
        concurrency=args.concurrency,
        seed=args.seed,
    )


def run_all(args: argparse.Namespace) -> int:
    """`make bench`: one Stand-in stack for the turns and then the holds, and one stock server
    for both baselines, so the whole run fits in a quarter of an hour."""
    holds: dict = {}
    stock_holds: dict = {}

    def standin() -> dict:
        # The model the run just trained from scratch (else the newest in models/).
        stack = Stack(_holds_config(getattr(args, "trained_model", None)))
        print(f"[bench] starting the stack under {VAR_DIR}", file=sys.stderr, flush=True)
        stack.start()
        try:
            figures = turns_suite.measure_standin_on(stack, args)
            holds.update(_holds(stack, args))
            return figures
        finally:
            stack.stop()

    def stock() -> dict:
        with stock_rasa.StockRasa(work_dir=turns_suite.VAR_DIR / "stock") as server:
            figures = turns_suite.measure_stock_on(server, args)
            measured = server.measure(holds["pickups"]["sent"], args.rate, holds["burst"]["size"])
            stock_holds.update(
                order="after Stand-in's stack stopped",
                rasa=stock_rasa.rasa_version(),
                params={"count": holds["pickups"]["sent"], "rate": args.rate},
                model=str(server.model),
                training=server.training,
                server_start_s=server.start_s,
                **measured,
                ok=not measured["problems"],
            )
            return figures

    try:
        turns_result = turns_suite.run(args, standin=standin, stock=stock)
    except KeyboardInterrupt:
        print("bench: interrupted", file=sys.stderr)
        return 130
    code = _report_turns(args, turns_result)
    if not holds:
        return code or 1
    holds["params"]["stock"] = True
    stock_rasa.attach(holds, stock_holds or {"problems": ["the stock baseline was not measured"]})
    path = write_json(args.out, holds)
    if not args.no_doc:
        update_doc(DOC, holds)
    print(table(holds))
    print(f"\nfigures: {path}")
    for problem in holds["problems"]:
        print(f"FAILED: {problem}", file=sys.stderr)
    code = code or (0 if holds["ok"] else 1)
    if args.suite:
        # A share that passes, not a pass/fail: the run's exit code stays the figures'.
        run_conversations(args, getattr(args, "trained_model", None))
    return code


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)  # a stopped run still stops its stack
    if args.benchmark == "turns":
        return run_turns(args)
    if args.benchmark == "all":
        return run_all(args)
    if args.benchmark == "conversations":
        return run_conversations(args)
    config = _holds_config()
    stack = Stack(config)
    print(f"[bench] starting the stack under {VAR_DIR}", file=sys.stderr, flush=True)
    try:
        try:
            stack.start()
        except (StackError, ProcessFailed) as err:
            print(f"bench: the stack did not start: {err}", file=sys.stderr)
            return 2
        result = _holds(stack, args)
    except KeyboardInterrupt:
        print("bench: interrupted; stopping the stack", file=sys.stderr)
        return 130
    finally:
        stack.stop()
    result["params"]["stock"] = args.stock
    if args.stock:
        # After Stand-in's stack stopped, so the two never compete for the cores; the same
        # number of triggers at the same rate, and a burst as big as Stand-in's.
        order = "after Stand-in's stack stopped"
        print(f"[bench] stock Rasa baseline, {order}", file=sys.stderr, flush=True)
        try:
            stock = stock_rasa.run_stock(
                result["pickups"]["sent"],
                args.rate,
                result["burst"]["size"],
                work_dir=VAR_DIR / "stock",
                order=order,
            )
        except KeyboardInterrupt:
            print("bench: interrupted; the stock server is stopped", file=sys.stderr)
            return 130
        stock_rasa.attach(result, stock)
    path = write_json(args.out, result)
    if not args.no_doc:
        update_doc(DOC, result)
    print(table(result))
    print(f"\nfigures: {path}" + ("" if args.no_doc else f"; section: {DOC}"))
    for problem in result["problems"]:
        print(f"FAILED: {problem}", file=sys.stderr)
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
