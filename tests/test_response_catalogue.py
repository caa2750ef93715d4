"""Owner-facing text lives in domain.yml, and the validator's view of it stays honest.

data/responses_uttered_by_actions.yml names the responses only custom actions utter, so that
`rasa data validate --fail-on-warnings` can check every other response is used by a story or
rule. This test keeps that list equal to what the code really utters, and checks that every
response the code names exists in the domain with the parameters it passes.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text())
CATALOGUE = yaml.safe_load((ROOT / "data" / "responses_uttered_by_actions.yml").read_text())


def uttered_by_code() -> dict[str, set[str] | None]:
    """response name -> keyword arguments passed with it, from the action code.

    Every "utter_..." string in the code counts as uttered (names looked up from tables such as
    STATUS_RESPONSES included). Parameters are checked where the call names its response(s).
    """
    found: dict[str, set[str] | None] = {}
    for path in (ROOT / "actions").rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and str(node.value).startswith("utter_"):
                found.setdefault(node.value, None)  # None: parameters not known here
        for node in ast.walk(tree):
            if not (
                isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "utter_message"
            ):
                continue
            kwargs = {
                k.arg for k in node.keywords if k.arg and k.arg not in ("response", "buttons")
            }
            response = next((k.value for k in node.keywords if k.arg == "response"), None)
            named = (
                {
                    n.value
                    for n in ast.walk(response)
                    if isinstance(n, ast.Constant) and str(n.value).startswith("utter_")
                }
                if response is not None
                else set()
            )
            if any(k.arg is None for k in node.keywords):
                continue  # **parameters: checked by the action tests, not here
            for name in named:
                found[name] = (found.get(name) or set()) | kwargs
    # The handoff catalogue names the responses its points are asked and lapse with.
    handoffs = yaml.safe_load((ROOT / "handoff.yml").read_text())
    for point in handoffs["points"]:
        for key in ("ask", "no_answer_told"):
            found.setdefault(point[key], None)
    # The diagnosis table names the response that names each problem to the owner.
    telemetry = yaml.safe_load((ROOT / "telemetry.yml").read_text())
    for problem in telemetry["diagnosis"]:
        found.setdefault(problem["label"], None)
    return found


def form_questions() -> set[str]:
    """utter_ask_<slot> responses the forms utter themselves (no custom action_ask_<slot>)."""
    actions = set(DOMAIN.get("actions", []))
    return {
        f"utter_ask_{slot}"
        for form in DOMAIN["forms"].values()
        for slot in form["required_slots"]
        if f"action_ask_{slot}" not in actions
    }


def test_catalogue_lists_exactly_what_the_code_and_forms_utter():
    [rule] = CATALOGUE["rules"]
    listed = {step["action"] for step in rule["steps"]}
    assert listed == set(uttered_by_code()) | form_questions(), (
        "run: .venv/bin/python scripts/update_response_catalogue.py"
    )


def test_catalogue_rule_can_never_fire():
    [rule] = CATALOGUE["rules"]
    assert rule["condition"] == [{"slot_was_set": [{"response_catalogue": True}]}]
    for path in (ROOT / "actions").rglob("*.py"):
        assert "response_catalogue" not in path.read_text(), f"{path} sets the guard slot"


def test_every_uttered_response_exists_with_its_parameters():
    for name, kwargs in uttered_by_code().items():
        assert name in DOMAIN["responses"], name
        if kwargs is None:
            continue  # named in a lookup table; its call site is checked by the action tests
        for variant in DOMAIN["responses"][name]:
            placeholders = set(re.findall(r"{(\w+)}", variant["text"]))
            missing = placeholders - kwargs
            assert not missing, f"{name} needs {missing} but the code does not pass them"


def test_no_owner_facing_sentences_in_action_code():
    # Owner-facing text is translated later; a dispatcher call with text= would bypass that.
    for path in (ROOT / "actions").rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "utter_message":
                assert all(k.arg != "text" for k in node.keywords), f"text= in {path}"
