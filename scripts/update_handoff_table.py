"""Rewrite the README's handoff table ("Where the owner comes in") from handoff.yml.

Run after changing handoff.yml:
    .venv/bin/python scripts/update_handoff_table.py
tests/test_handoff_catalogue.py fails until the README matches the file.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from actions.handoff.catalogue import load_catalogue  # noqa: E402

README = ROOT / "README.md"
START, END = "<!-- handoffs:start -->", "<!-- handoffs:end -->"


def table() -> str:
    rows = [
        "| point | trigger | the owner is asked | while waiting | waits | no answer |",
        "|---|---|---|---|---|---|",
    ]
    for p in load_catalogue().points:
        wait = f"{p.wait_s} s" if p.wait_s else "until the owner answers"
        rows.append(
            f"| `{p.id}` | {p.trigger} | `{p.ask}` | {p.while_waiting} | {wait} "
            f"| `{p.on_no_answer}`, told with `{p.no_answer_told}` |"
        )
    return "\n".join(rows)


def main() -> int:
    text = README.read_text()
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    README.write_text(f"{head}{START}\n{table()}\n{END}{tail}")
    print(f"{README.relative_to(ROOT)}: handoff table rewritten")
    return 0


if __name__ == "__main__":
    sys.exit(main())
