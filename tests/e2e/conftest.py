"""The whole stack (service desk, action server, Rasa with the trained model) on free ports."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import create_engine, text

from bench.conversation_report import forget_memory
from launcher.processes import PROJECT_ROOT, free_port
from launcher.stack import Stack, StackConfig
from launcher.tokens import new_token
from tests.conftest import DESK_OPENAPI_VIOLATIONS, START_TIME, DeskProcess, wait_until

# Where what devices report is told: the default, the owner's phone number from owner.yml
# (the stack does not set STANDIN_OWNER_CONVERSATION, so the defaults are what is tested).
OWNER_CONVERSATION = str(yaml.safe_load((PROJECT_ROOT / "owner.yml").read_text())["owner"]["phone"])


def stand_in_db(stack: Stack) -> Path:
    """The action server's SQLite file: Stand-in's memory on the embedded defaults."""
    return stack.config.var_dir / "standin.sqlite3"


def stand_in_rows(stack: Stack, sql: str, **params: Any) -> list[dict[str, Any]]:
    """Run one statement against Stand-in's memory, as an operator would look at it."""
    engine = create_engine(f"sqlite:///{stand_in_db(stack)}")
    try:
        with engine.begin() as conn:
            result = conn.execute(text(sql), params)
            return [dict(r) for r in result.mappings().all()] if result.returns_rows else []
    finally:
        engine.dispose()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The log grep (test_log_masking.py) reads what every other test made the stack write:
    it runs after the last e2e test (it stops the stack)."""
    here = Path(__file__).parent
    grep = [i for i in items if i.path == here / "test_log_masking.py"]
    if not grep:
        return
    rest = [i for i in items if i not in grep]
    e2e = [n for n, i in enumerate(rest) if here in i.path.parents]
    at = e2e[-1] + 1 if e2e else len(rest)
    items[:] = [*rest[:at], *grep, *rest[at:]]


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    config = StackConfig(
        var_dir=tmp_path_factory.mktemp("stack"),
        rasa_port=free_port(),
        action_port=free_port(),
        desk_port=free_port(),
        sim_control=True,
        desk_start_time=START_TIME,
        # Tokens that look like command-line options: the stack must start with them all the
        # same (tests/e2e/test_stack_security.py checks they are the ones in use).
        rasa_token="-" + new_token(),
        action_token="-" + new_token(),
        extra_env={
            "STANDIN_DESK_ATTEMPTS": "2",
            "STANDIN_DESK_BACKOFF_S": "0.1",
            # The owner has 8 s (not 60) to take a call, so the no-answer path is testable.
            "STANDIN_ANSWER_TIMEOUT_S": "8",
            # Each test resets the desk, which drops webhook subscriptions: restore them fast.
            "STANDIN_WEBHOOK_RECHECK_S": "1",
            # Rasa logs at its production default whatever the shell says: test_log_masking
            # reads every line written at the level production writes.
            "LOG_LEVEL": "INFO",
            # The desk holds each answer to its OpenAPI document (checked at session end).
            "SERVICE_DESK_CHECK_RESPONSES": str(DESK_OPENAPI_VIOLATIONS),
        },
    )
    running = Stack(config)
    running.start()  # fails (not skips) when there is no trained model: make test trains first
    yield running
    running.stop()


def _forget_everything(stack: Stack) -> None:
    """Empty Stand-in's own memory, as the desk's reset empties the company's.

    Without this, cases of tickets the reset desk no longer knows would linger from one test
    to the next; a real deployment never sees its company forget tickets.
    """
    forget_memory(stand_in_db(stack))


@pytest.fixture
def stack_desk(stack: Stack) -> DeskProcess:
    """A client for the stack's own desk, reset to its seeded state, and Stand-in's memory
    emptied to match."""
    desk = DeskProcess.__new__(DeskProcess)
    desk.url = stack.config.desk_url
    desk.reset()
    desk.post("/_sim/faults", {})
    _forget_everything(stack)
    return desk


@pytest.fixture
def call_desk(stack: Stack, stack_desk: DeskProcess) -> DeskProcess:
    """The stack's desk, reset, once the action server has its webhook subscriptions back
    (the reset removed them; the server restores them within a second)."""
    for key in ("sk-nimbus-demo", "sk-voltra-demo", "sk-brightgrid-demo"):
        wait_until(
            lambda key=key: stack_desk.get("/v1/webhooks", key=key)[2].get("webhooks"),
            timeout_s=20,
            what="webhook subscriptions restored after the desk reset",
        )
    return stack_desk
