"""Command line: `python -m devicesim list` and `python -m devicesim run SCENARIO [options]`.

`run` builds the scenario from a start time (the desk's clock by default), sends each event to
Stand-in's telemetry endpoint and prints one line per event. Exit status: 0 when every event
was taken (200/202), 1 when one was not, 2 when a server cannot be reached or the input is bad.
"""

from __future__ import annotations

import argparse
import os
import sys
import urllib.error
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any

from actions.core.errors import ConfigError
from devicesim.scenarios import SCENARIOS, Event, build
from devicesim.sender import DeskError, desk_now, play

OK = (200, 202)


def _summary(event: Event) -> str:
    body = event.body
    if body["type"] == "meter_reading":
        return f"{body['value']} {body['unit']}"
    if body["type"] == "fault":
        detail = f" {body['detail']}" if body.get("detail") else ""
        return f"{body['code']} ({body['severity']}){detail}"
    return f"{body['metric']}={body['value']}"


def _answer(status: int, body: Any) -> str:
    if not isinstance(body, dict):
        return "" if body is None else str(body)[:200]
    if "error" in body and isinstance(body["error"], dict):
        return f"error {body['error'].get('code')}: {body['error'].get('message')}"
    parts = [str(body.get("status", ""))]
    if body.get("reason"):
        parts.append(f"reason={body['reason']}")
    if body.get("detected"):
        parts.append(f"detected={','.join(body['detected'])}")
    return " ".join(p for p in parts if p)


def _print_line(event: Event, status: int, body: Any) -> None:
    line = (
        f"{event.body['at']}  {event.device_id:<22} {event.body['type']:<13} "
        f"{_summary(event):<45} {status} {_answer(status, body)}"
    )
    try:
        print(line, flush=True)
    except BrokenPipeError:
        # The reader went away (e.g. `| head`): keep sending, stop printing.
        sys.stdout = open(os.devnull, "w")


def _parse_start(value: str) -> datetime:
    try:
        at = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not an ISO time (e.g. 2026-11-23T09:00:00Z) or 'desk'"
        ) from None
    # A time without a zone is taken as UTC, like every `at` the simulator sends.
    return at if at.tzinfo else at.replace(tzinfo=timezone.utc)


def _parser() -> argparse.ArgumentParser:
    action_port = os.environ.get("ACTION_SERVER_PORT", "5055")
    desk_port = os.environ.get("SERVICE_DESK_PORT", "8090")
    parser = argparse.ArgumentParser(
        prog="python -m devicesim", description="Send simulated device telemetry to Stand-in."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="the scenarios, with what each sends")
    run = sub.add_parser("run", help="send one scenario's events")
    run.add_argument("scenario", choices=sorted(SCENARIOS), metavar="SCENARIO")
    run.add_argument("--url", default=f"http://127.0.0.1:{action_port}", help="action server")
    run.add_argument("--desk-url", default=f"http://127.0.0.1:{desk_port}", help="service desk")
    run.add_argument(
        "--start", default="desk", help="ISO time of the first event, or 'desk' (its clock now)"
    )
    run.add_argument(
        "--advance-desk",
        action="store_true",
        help="move the desk's simulated clock up to each event before sending it",
    )
    run.add_argument(
        "--speed", type=float, default=0.0, help="simulated seconds per real second (0: at once)"
    )
    run.add_argument("--repeats", type=int, help="fault scenarios: times the fault is sent")
    run.add_argument("--days", type=int, help="meter_month_*: days of readings")
    run.add_argument("--value", type=float, help="meter scenarios: the starting register")
    return parser


def _run(args: argparse.Namespace) -> int:
    try:
        start = desk_now(args.desk_url) if args.start == "desk" else _parse_start(args.start)
        events = build(args.scenario, start, repeats=args.repeats, days=args.days, value=args.value)
    except (argparse.ArgumentTypeError, ValueError) as err:
        print(f"devicesim: {err}", file=sys.stderr)
        return 2
    except (OSError, DeskError) as err:
        print(f"devicesim: cannot read the desk's clock at {args.desk_url}: {err}", file=sys.stderr)
        return 2
    print(f"{args.scenario}: {len(events)} event(s) to {args.url}", flush=True)
    try:
        results = play(
            args.url,
            events,
            desk_url=args.desk_url if args.advance_desk else None,
            speed=args.speed,
            on_sent=_print_line,
        )
    except (DeskError, ConfigError, ValueError) as err:
        print(f"devicesim: {err}", file=sys.stderr)
        return 2
    except urllib.error.URLError as err:
        where = f"{args.url} or {args.desk_url}" if args.advance_desk else args.url
        print(f"devicesim: cannot reach {where}: {err.reason}", file=sys.stderr)
        return 2
    except OSError as err:
        print(f"devicesim: cannot reach {args.url}: {err}", file=sys.stderr)
        return 2
    taken = sum(1 for _, status, _ in results if status in OK)
    print(f"{taken}/{len(results)} event(s) taken", flush=True)
    return 0 if taken == len(results) else 1


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "list":
        width = max(len(name) for name in SCENARIOS)
        for name, scenario in SCENARIOS.items():
            print(f"{name:<{width}}  {scenario.device_id:<22} {scenario.description}")
        return 0
    return _run(args)


if __name__ == "__main__":
    sys.exit(main())
