"""Every action the domain names is served by the action server, and nothing else breaks it."""

from __future__ import annotations

import yaml
from rasa_sdk.executor import ActionExecutor

from tests.conftest import PROJECT_ROOT


def test_the_action_server_registers_every_custom_action_in_the_domain():
    executor = ActionExecutor()
    executor.register_package("actions")  # the same call the action server makes at start
    domain = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text())
    missing = [a for a in domain["actions"] if a not in executor.actions]
    assert not missing, f"domain actions with no implementation: {missing}"
