"""Rewrite data/responses_uttered_by_actions.yml from what the action code and forms utter.

Run after adding a response that only a custom action utters:
    .venv/bin/python scripts/update_response_catalogue.py
tests/test_response_catalogue.py fails until the file matches the code.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.test_response_catalogue import form_questions, uttered_by_code  # noqa: E402

CATALOGUE = ROOT / "data" / "responses_uttered_by_actions.yml"


def main() -> int:
    text = CATALOGUE.read_text()
    head = text[: text.index("    steps:\n") + len("    steps:\n")]
    names = sorted(set(uttered_by_code()) | form_questions())
    CATALOGUE.write_text(head + "".join(f"      - action: {n}\n" for n in names))
    print(f"{CATALOGUE.relative_to(ROOT)}: {len(names)} responses")
    return 0


if __name__ == "__main__":
    sys.exit(main())
