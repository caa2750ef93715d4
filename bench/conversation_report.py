"""`python -m bench conversations`: the conversation suite on a stack of its own, its verdicts in
results/bench/conversations.json and the share that passes in docs/performance.md."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine

from bench.conversation_suite import Scenario, SuiteTarget, load_scenarios, run_suite
from bench.report import replace_section
from bench.turns_suite import stack_config
from launcher.processes import PROJECT_ROOT
from launcher.stack import Stack

START, END = "<!-- conversations:start -->", "<!-- conversations:end -->"
VAR_DIR = PROJECT_ROOT / "var" / "bench-conversations"


def forget_memory(db: Path) -> None:
    """Empty Stand-in's own memory (a SQLite file), as the desk's reset empties the company's."""
    from actions.store.schema import metadata  # noqa: PLC0415  (the action server's schema)

    engine = create_engine(f"sqlite:///{db}")
    try:
        with engine.begin() as conn:
            for table in reversed(metadata.sorted_tables):
                conn.execute(table.delete())
    finally:
        engine.dispose()


def owner_accounts() -> dict[str, str]:
    """account id -> provider id, from the owner's profile the stack serves."""
    from actions.owner.profile import load_profile  # noqa: PLC0415

    profile = load_profile(PROJECT_ROOT / "owner.yml")
    return {a.account_id: a.provider for a in profile.accounts}


def stack_target(stack: Stack) -> SuiteTarget:
    cfg = stack.config
    db = cfg.var_dir / "standin.sqlite3"
    return SuiteTarget(
        rasa_url=cfg.rasa_url,
        desk_url=cfg.desk_url,
        owner_token=cfg.owner_token,
        rasa_token=cfg.rasa_token,
        forget=lambda: forget_memory(db),
        providers=owner_accounts(),
    )


def _log(message: str) -> None:
    print(f"[suite] {message}", file=sys.stderr, flush=True)


def run(
    out: Path,
    doc: Path | None,
    scenarios: list[Scenario] | None = None,
    model: Path | None = None,
) -> dict[str, Any]:
    """Start a stack, run the scenarios (all of them by default), write the JSON and the doc."""
    chosen = scenarios if scenarios is not None else load_scenarios()
    shutil.rmtree(VAR_DIR, ignore_errors=True)
    config = stack_config(
        VAR_DIR,
        model,
        extra_env={"STANDIN_DESK_ATTEMPTS": "2", "STANDIN_DESK_BACKOFF_S": "0.1"},
    )
    _log(f"{len(chosen)} scenarios; starting the stack under {VAR_DIR}")
    with Stack(config) as stack:
        result = run_suite(stack_target(stack), chosen, log=_log)
    out.mkdir(parents=True, exist_ok=True)
    (out / "conversations.json").write_text(json.dumps(result, indent=2) + "\n")
    if doc is not None:
        replace_section(doc, START, END, section(result))
    return result


def _cell(text: str) -> str:
    """Text that stays in its table cell: pipes escaped, one line."""
    return text.replace("|", "\\|").replace("\n", " ")


def _share(group: dict[str, Any]) -> str:
    if not group["of"]:
        return "none"
    return f"{group['passed']} of {group['of']} ({100 * group['share']:.0f} %)"


def _confirmations(counts: dict[str, int]) -> str:
    per = counts["asked"] / counts["conversations"] if counts["conversations"] else 0.0
    times = "once" if counts["asked"] == 1 else f"{counts['asked']} times"
    return (
        f"asked {times} in {counts['turns']} owner turns, in "
        f"{counts['conversations_asked']} of {counts['conversations']} conversations "
        f"({per:.2f} per conversation)"
    )


def section(result: dict[str, Any]) -> str:
    failed = [v for v in result["verdicts"] if not v["passed"]]
    rows = "\n".join(
        f"| `{v['scenario']}`{' (blind)' if v['blind'] else ''} | {_cell('; '.join(v['reasons']))} |"  # noqa: E501
        for v in failed
    )
    unasked_ids = result["with_an_effect_not_asked_for"]
    unasked = f"{len(unasked_ids)}: " + (", ".join(f"`{s}`" for s in unasked_ids) or "none")
    return f"""{START}
## Conversations

Free-text scenarios (`tests/conversations/`; the blind ones in `blind/` were written before any
tuning and are never used to choose anything), each in a conversation of its own on a desk reset
to its seed, judged by bench/conversation_suite.py: exactly the effects at the companies that
the owner asked for, each once, nothing else; what the owner must and must not be told; no turn
that both closes the subject and asks a question. Command: `python -m bench conversations`
(`make bench` runs it last). Full verdicts and transcripts: `results/bench/conversations.json`.

| scenarios | passed |
|---|---|
| all | {_share(result["all"])} |
| main files | {_share(result["main"])} |
| blind | {_share(result["blind"])} |
| with an effect at a company the owner did not ask for | {unasked} |
| "which did you mean?" before acting | {_confirmations(result["confirmations"])} |

The run took {result["seconds"]} s.

| failed | why |
|---|---|
{rows or "| none | |"}
{END}"""
