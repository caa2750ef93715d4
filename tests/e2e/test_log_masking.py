"""Every log line of every process of the e2e stack, read after every other e2e test ran (the
e2e conftest moves this test after the last test that uses the stack): no key, token, secret,
account number, phone number or identity answer in clear.

The stack logs at the level production uses (INFO: the e2e conftest pins LOG_LEVEL, and the
action server and desk log at INFO).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from actions.owner.profile import load_profile
from actions.providers.webhooks import provider_secret
from launcher.stack import DEMO_ENV_FILE, Stack
from logmask import is_secret_name
from tests.conftest import PROJECT_ROOT
from tests.e2e.test_handoffs import ANSWER as IDENTITY_ANSWER

pytestmark = pytest.mark.e2e

LOGS = ("servicedesk.log", "actions.log", "rasa.log")


def _demo_env() -> dict[str, str]:
    pairs = (
        line.split("=", 1)
        for line in DEMO_ENV_FILE.read_text(encoding="utf-8").splitlines()
        if "=" in line and not line.lstrip().startswith("#")
    )
    return {name.strip(): value.strip() for name, value in pairs}


def forbidden(stack: Stack) -> dict[str, re.Pattern[str]]:
    """What must never appear in a log line, by what it is."""
    env = {**_demo_env(), **stack.config.env()}
    values = {f"${name}": value for name, value in env.items() if is_secret_name(name)}
    values["RASA_AUTH_TOKEN"] = stack.config.rasa_token
    values["STANDIN_ACTION_TOKEN"] = stack.config.action_token
    profile = load_profile(PROJECT_ROOT / "owner.yml")
    master = env.get("STANDIN_WEBHOOK_SECRET")
    for account in profile.accounts:
        values[f"API key of {account.provider}"] = env[account.api_key_env]
        values[f"account {account.provider}"] = account.account_id
        if master:
            values[f"webhook secret of {account.provider}"] = provider_secret(
                master, account.provider
            )
        for item in [*account.devices, *account.meters]:
            values[f"token of {item.id}"] = env[item.token_variable()]
    values["identity answer"] = IDENTITY_ANSWER
    patterns = {what: re.compile(re.escape(value)) for what, value in values.items() if value}
    # The owner's phone number in any spelling: +15550100, %2B15550100, +1 555 0100.
    digits = re.sub(r"\D", "", profile.owner.phone)
    patterns["owner's phone"] = re.compile(r"(?<!\d)" + r"[\s().-]*".join(digits) + r"(?!\d)")
    return patterns


def test_no_log_line_of_the_stack_holds_a_secret_or_an_identifier(stack: Stack):
    # Stopped first, so what the processes write as they stop is read too.
    stack.stop()
    logs = stack.config.var_dir / "logs"
    patterns = forbidden(stack)
    assert len(patterns) > 20, patterns.keys()
    found: list[str] = []
    for name in LOGS:
        path: Path = logs / name
        text = path.read_text(encoding="utf-8", errors="replace")
        assert text.strip(), f"{path} is empty"
        for number, line in enumerate(text.splitlines(), 1):
            found += [
                f"{name}:{number}: {what}: {line[:300]}"
                for what, pattern in patterns.items()
                if pattern.search(line)
            ]
    assert not found, "in clear in the stack's logs:\n" + "\n".join(found[:40])
    # Written at INFO, as production writes them (not quieted for the test).
    assert " INFO " in (logs / "actions.log").read_text(encoding="utf-8")
    assert "INFO     root  - Starting Rasa server" in (logs / "rasa.log").read_text(
        encoding="utf-8"
    )
