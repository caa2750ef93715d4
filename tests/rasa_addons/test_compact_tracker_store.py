"""The compact tracker store on a real SQLite file: a conversation of hundreds of turns, saved
turn by turn as Rasa does, reads back with exactly the state a full replay gives, from a tail
that stays short."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    BotUttered,
    Restarted,
    SlotSet,
    UserUttered,
)

from rasa_addons.compact_tracker_store import MIN_ACTIONS, CompactTrackerStore
from tests.conftest import PROJECT_ROOT

DOMAIN = Domain.load(str(PROJECT_ROOT / "domain.yml"))


@pytest.fixture
def store(tmp_path: Path) -> CompactTrackerStore:
    made = CompactTrackerStore(DOMAIN, dialect="sqlite", db=str(tmp_path / "tracker.db"), keep=40)
    made.domain = DOMAIN
    return made


def turn(n: int) -> list:
    """One owner turn: a message, an action that sets slots (and sometimes a form), a reply."""
    events = [
        UserUttered(f"message {n}", {"name": "ticket_status", "confidence": 1.0}),
        ActionExecuted("action_ticket_status"),
        SlotSet("last_ticket_id", f"TCK-{n}"),
        BotUttered(f"reply {n}"),
    ]
    if n % 7 == 0:
        events += [ActiveLoop("appointment_form"), SlotSet("appointment_provider", f"p{n}")]
    if n % 7 == 3:
        events += [ActiveLoop(None), SlotSet("appointment_provider", None)]
    return [*events, ActionExecuted("action_listen")]


def play(store: CompactTrackerStore, sender: str, turns: range, extra: list | None = None) -> None:
    async def go() -> None:
        for n in turns:
            tracker = await store.get_or_create_tracker(sender)
            for event in turn(n) + (extra if n == turns[-1] and extra else []):
                tracker.update(event)
            await store.save(tracker)

    asyncio.run(go())


def state(tracker) -> tuple:
    return (
        tracker.current_slot_values(),
        tracker.active_loop_name,
        tracker.latest_message.text,
        tracker.latest_action_name,
        [e.as_dict() for e in list(tracker.events)[-30:]],
    )


def test_a_long_conversation_reads_back_exactly_from_a_short_tail(store) -> None:
    play(store, "owner", range(300))
    short = asyncio.run(store.retrieve("owner"))
    full = asyncio.run(store.retrieve_full_tracker("owner"))
    assert len(full.events) > 1500  # every event is kept
    assert len(short.events) < 2 * 40 + 40  # but a turn reads only the tail
    assert state(short) == state(full)
    assert short.current_slot_values()["last_ticket_id"] == "TCK-299"


def test_a_restart_in_the_tail_wipes_the_snapshot_as_it_wiped_the_state(store) -> None:
    play(store, "owner", range(120), extra=[Restarted(), ActionExecuted("action_listen")])
    play(store, "owner", range(120, 124))
    short = asyncio.run(store.retrieve("owner"))
    full = asyncio.run(store.retrieve_full_tracker("owner"))
    assert state(short) == state(full)
    assert short.current_slot_values()["last_ticket_id"] == "TCK-123"


def test_conversations_are_kept_apart_and_a_new_one_is_empty(store) -> None:
    play(store, "a", range(100))
    play(store, "b", range(3))
    a = asyncio.run(store.retrieve("a"))
    b = asyncio.run(store.retrieve("b"))
    assert a.current_slot_values()["last_ticket_id"] == "TCK-99"
    assert b.current_slot_values()["last_ticket_id"] == "TCK-2"
    assert asyncio.run(store.retrieve("nobody")) is None


@pytest.mark.parametrize("turns", [137, 138, 139, 140, 141, 142, 143])
def test_the_policies_see_the_same_recent_states_from_the_default_tail(tmp_path, turns) -> None:
    """With the default (short) tail, whichever turn the last rebase fell on: the states the
    policies read (MemoizationPolicy's max_history, the longest rule) are the full replay's."""
    store = CompactTrackerStore(DOMAIN, dialect="sqlite", db=str(tmp_path / "t.db"))
    store.domain = DOMAIN
    play(store, "owner", range(turns))
    short = asyncio.run(store.retrieve("owner"))
    full = asyncio.run(store.retrieve_full_tracker("owner"))
    assert len(short.events) < len(full.events) / 10
    assert sum(isinstance(e, ActionExecuted) for e in short.events) >= MIN_ACTIONS
    recent = MIN_ACTIONS - 1
    assert short.past_states(DOMAIN)[-recent:] == full.past_states(DOMAIN)[-recent:]


def test_a_turn_starts_from_the_saved_tracker_only_while_the_store_agrees(tmp_path) -> None:
    """The tracker a turn saved is handed to the next turn without reading the store, unless
    another process (here a second store on the same file) saved to it meanwhile, or events
    were added to it without being saved."""
    db = str(tmp_path / "shared.db")
    one = CompactTrackerStore(DOMAIN, dialect="sqlite", db=db)
    two = CompactTrackerStore(DOMAIN, dialect="sqlite", db=db)
    one.domain = two.domain = DOMAIN
    play(one, "owner", range(3))
    first = asyncio.run(one.retrieve("owner"))
    assert asyncio.run(one.retrieve("owner")) is first  # unchanged: from memory

    play(two, "owner", range(3, 4))  # the other process's turn
    seen = asyncio.run(one.retrieve("owner"))
    assert seen is not first
    assert seen.current_slot_values()["last_ticket_id"] == "TCK-3"

    seen.update(SlotSet("last_ticket_id", "never saved"))
    again = asyncio.run(one.retrieve("owner"))
    assert again is not seen
    assert again.current_slot_values()["last_ticket_id"] == "TCK-3"
    assert state(again) == state(asyncio.run(one.retrieve_full_tracker("owner")))


def test_the_cache_holds_at_most_its_size(tmp_path) -> None:
    store = CompactTrackerStore(DOMAIN, dialect="sqlite", db=str(tmp_path / "t.db"), cache_size=3)
    store.domain = DOMAIN
    for sender in "abcde":
        play(store, sender, range(2))
    assert list(store._recent) == ["c", "d", "e"]
    assert asyncio.run(store.retrieve("a")).current_slot_values()["last_ticket_id"] == "TCK-1"
