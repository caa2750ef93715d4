"""Print the held-out NLU figures `rasa test nlu` wrote: intent accuracy and entity F1."""

from __future__ import annotations

import json
import sys
from pathlib import Path


def main(results_dir: str) -> int:
    root = Path(results_dir)
    intents = json.loads((root / "intent_report.json").read_text())
    print(f"held-out intent accuracy: {intents['accuracy']:.3f}")
    # The entity extractor's report, whichever extractor the pipeline uses.
    for path in sorted(root.glob("*_report.json")):
        if path.name not in ("intent_report.json", "response_selection_report.json"):
            entities = json.loads(path.read_text())
            f1 = entities.get("micro avg", entities.get("weighted avg", {})).get("f1-score")
            print(f"held-out entity F1 (micro): {f1:.3f}" if f1 is not None else "no entities")
    wrong = (
        [
            f"  {e['text']!r}: expected {e['intent']}, got {e['intent_prediction']['name']}"
            for e in json.loads((root / "intent_errors.json").read_text())
        ]
        if (root / "intent_errors.json").exists()
        else []
    )
    if wrong:
        print("misclassified:\n" + "\n".join(wrong))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "results/nlu"))
