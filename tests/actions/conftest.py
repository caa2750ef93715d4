"""Run real actions on Rasa SDK trackers built from the real domain, against the real desk."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rasa.shared.core.domain import Domain
from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import runtime
from actions.core import settings
from actions.store.case_memory import CaseMemory
from launcher.stack import demo_keys
from rasa_addons.owner_stamp import STAMP_KEY, stamp
from tests.actions.store_fixtures import postgres_database, sqlite_url
from tests.conftest import PROJECT_ROOT, DeskProcess

# The owner's token in these tests; trackers are stamped with it as Rasa's rest channel would.
OWNER_TOKEN = "actions-tests-owner-token"


@pytest.fixture(scope="session")
def domain() -> dict[str, Any]:
    return Domain.load(str(PROJECT_ROOT / "domain.yml")).as_dict()


def _reset_caches() -> None:
    settings.settings.cache_clear()
    runtime.services.cache_clear()


@pytest.fixture
def standin_env(
    desk: DeskProcess, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[DeskProcess]:
    """Point the action code at the test desk, with the seeded owner's keys and quick retries,
    and at a case memory of its own."""
    monkeypatch.setenv("SERVICE_DESK_URL", desk.url)
    monkeypatch.setenv("STANDIN_DB_URL", f"sqlite:///{tmp_path / 'standin.sqlite3'}")
    monkeypatch.setenv("STANDIN_DESK_ATTEMPTS", "2")
    monkeypatch.setenv("STANDIN_DESK_BACKOFF_S", "0.05")
    monkeypatch.setenv("STANDIN_DESK_TIMEOUT_S", "5")
    monkeypatch.setenv("STANDIN_OWNER_PROFILE", str(PROJECT_ROOT / "owner.yml"))
    monkeypatch.setenv("STANDIN_OWNER_TOKEN", OWNER_TOKEN)
    for name, value in demo_keys().items():
        monkeypatch.setenv(name, value)
    _reset_caches()
    yield desk
    _reset_caches()


def make_tracker(
    domain: dict[str, Any],
    text: str = "",
    intent: str = "report_problem",
    entities: list[dict[str, Any]] | None = None,
    slots: dict[str, Any] | None = None,
    sender_id: str = "test-owner",
    active_loop: str | None = None,
    timestamp: float = 1_795_000_000.0,
    stamped: bool = True,
) -> Tracker:
    """A tracker whose last event is the owner saying `text`, with every domain slot present.

    `stamped`: the message came through the owner's own channel (Rasa's rest or callback
    channel with the owner's token, rasa_addons/owner_channels.py); False: any other way."""
    all_slots = {name: spec.get("initial_value") for name, spec in domain["slots"].items()}
    all_slots.update(slots or {})
    message_id = f"msg-{timestamp}-{len(text)}"
    latest = {
        "text": text,
        "intent": {"name": intent, "confidence": 1.0},
        "entities": entities or [],
        "message_id": message_id,
        "metadata": (
            {STAMP_KEY: stamp(OWNER_TOKEN, sender_id, message_id, text)} if stamped else {}
        ),
    }
    events = [
        {"event": "action", "name": "action_listen", "timestamp": timestamp - 1},
        {"event": "user", "text": text, "parse_data": latest, "timestamp": timestamp},
    ]
    return Tracker(
        sender_id,
        all_slots,
        latest,
        events,
        False,
        None,
        {"name": active_loop} if active_loop else {},
        "action_listen",
    )


def run_action(
    action: Action, tracker: Tracker, domain: dict[str, Any]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Run one action in a fresh event loop; return (messages, events)."""
    dispatcher = CollectingDispatcher()

    async def go() -> list[dict[str, Any]]:
        try:
            return await action.run(dispatcher, tracker, domain)
        finally:
            # The client keeps one session per loop; this loop ends here.
            if runtime.services.cache_info().currsize:
                await runtime.services().desk.close()

    events = asyncio.run(go())
    return dispatcher.messages, events


def responses(messages: list[dict[str, Any]]) -> list[str]:
    return [m.get("response") for m in messages]


def slot_events(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


@pytest.fixture(params=["sqlite", "postgresql"])
def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[CaseMemory]:
    """A fresh case memory on each supported database (PostgreSQL unreachable: it fails)."""

    if request.param == "sqlite":
        store = CaseMemory(sqlite_url(tmp_path))
        yield store
        store.close()
    else:
        for url in postgres_database():
            store = CaseMemory(url)
            yield store
            store.close()
