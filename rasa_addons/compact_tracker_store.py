"""A SQL tracker store whose per-turn cost does not grow with the conversation.

Rasa's `SQLTrackerStore` loads every event of the conversation's session and replays them all
on every turn, so a months-long owner conversation slows down linearly. This store keeps every
event too (same `events` table, same `retrieve_full_tracker`), plus one row per conversation
in `tracker_snapshots`: the slot values and active loop where the recent tail starts, and the
id of the last event before it. A turn loads that row and the tail only (at most 4 * KEEP
events), or reuses the tracker the last turn saved, so its cost stays flat.

Why it is exact: the snapshot holds the slots and loop as they were where the tail starts, so
replaying "snapshot, then tail" passes through every state of the tail as it was; a restart in
the tail wipes the snapshot as it wiped the state. Policies look back 4 actions (max_history),
rules at most 3, and the tail always holds at least MIN_ACTIONS actions. The new events of a
turn are those after what `retrieve` handed out.

On SQLite (the embedded default) it also keeps its connections open and the file in WAL mode
with `synchronous=NORMAL`: Rasa's store opens a new connection for every read and write and
syncs a rollback journal on every commit. A committed turn survives a crash of Rasa; a power
cut may lose the last turns before the operating system wrote them (SQLite's usual setting
for WAL). The action server's own database, whose outbox must survive that too, keeps FULL.

In endpoints.yml: `tracker_store: {type: rasa_addons.compact_tracker_store.CompactTrackerStore,
dialect: sqlite, db: ...}` (any SQLTrackerStore option).
"""

from __future__ import annotations

import json
import logging
from collections import OrderedDict
from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import ActionExecuted, ActiveLoop, SlotSet
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import QueuePool

logger = logging.getLogger(__name__)

# The tail kept: rebased to KEEP events and at least MIN_ACTIONS actions once it holds more
# than 2 * MIN_ACTIONS actions or 4 * KEEP events. Every prediction computes the policies'
# states over the whole tail (a state per action), so shorter is faster.
KEEP = 24
MIN_ACTIONS = 6
LISTEN = "action_listen"
_LOADED = "_standin_loaded_events"  # how many of a tracker's events came from the store
_PREFIX = "_standin_prefix_events"  # how many of them stand for the snapshot (not stored)
# Trackers kept in memory after a save, most recent conversations first.
CACHE_SIZE = 512


class CompactTrackerStore(SQLTrackerStore):
    def __init__(
        self, *args: Any, keep: int = KEEP, cache_size: int = CACHE_SIZE, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.keep = int(keep)
        self.cache_size = int(cache_size)
        # sender -> (id of its last stored event, the tracker as saved)
        self._recent: OrderedDict[str, tuple[int, DialogueStateTracker]] = OrderedDict()
        if self.engine.dialect.name == "sqlite" and self.engine.url.database:
            self._pool_sqlite()
        metadata = sa.MetaData()
        self.snapshots = sa.Table(
            "tracker_snapshots",
            metadata,
            sa.Column("sender_id", sa.String(255), primary_key=True),
            sa.Column("base_id", sa.Integer, nullable=False),  # the tail is id > base_id
            sa.Column("state", sa.Text, nullable=False),
        )
        metadata.create_all(self.engine)
        # Built once: building a statement cost more than running it (SQLAlchemy).
        events = self.SQLEvent.__table__
        sender = sa.bindparam("sender")
        self._select_snapshot = sa.select(self.snapshots.c.base_id, self.snapshots.c.state).where(
            self.snapshots.c.sender_id == sender
        )
        self._select_tail = (
            sa.select(events.c.data)
            .where(events.c.sender_id == sender, events.c.id > sa.bindparam("base"))
            .order_by(events.c.id)
        )
        self._select_last_id = sa.select(sa.func.max(events.c.id)).where(
            events.c.sender_id == sender
        )

    def _pool_sqlite(self) -> None:
        url = self.engine.url
        self.engine.dispose()
        self.engine = sa.create_engine(
            url,
            poolclass=QueuePool,
            pool_size=2,
            max_overflow=8,
            connect_args={"check_same_thread": False, "timeout": 15},
        )

        @sa.event.listens_for(self.engine, "connect")
        def _pragmas(connection: Any, _record: Any) -> None:
            cursor = connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        self.sessionmaker = sessionmaker(bind=self.engine)

    # --- reading ------------------------------------------------------------------------

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        with self.session_scope() as session:
            cached = self._recent.pop(sender_id, None)
            if cached is not None:
                last_id, tracker = cached
                # Still exactly what is stored: nothing was added since (by this process or
                # another one), and nothing was added to it without being saved.
                unchanged = len(tracker.events) == getattr(tracker, _LOADED, -1)
                if unchanged and self._last_id(session, sender_id) == last_id:
                    self._recent[sender_id] = cached
                    return tracker
            row = session.execute(self._select_snapshot, {"sender": sender_id}).first()
            if row is None:
                tracker = await super().retrieve(sender_id)
                if tracker is not None:
                    setattr(tracker, _LOADED, len(tracker.events))
                return tracker
            tail = session.execute(
                self._select_tail, {"sender": sender_id, "base": row.base_id}
            ).all()
        tail_events = [json.loads(data) for (data,) in tail]
        state = json.loads(row.state)
        at = (tail_events[0].get("timestamp") or 0.0) - 1.0 if tail_events else 0.0
        prefix = [
            SlotSet(name, value, timestamp=at).as_dict() for name, value in state["slots"].items()
        ]
        if state.get("active_loop"):
            prefix.append(ActiveLoop(state["active_loop"], timestamp=at).as_dict())
        tracker = DialogueStateTracker.from_dict(sender_id, prefix + tail_events, self.domain.slots)
        setattr(tracker, _LOADED, len(tracker.events))
        setattr(tracker, _PREFIX, len(prefix))
        return tracker

    def _last_id(self, session: Any, sender_id: str) -> int | None:
        return session.execute(self._select_last_id, {"sender": sender_id}).scalar()

    def _remember(self, tracker: DialogueStateTracker, last_id: int | None) -> None:
        if self.cache_size <= 0 or last_id is None:
            return
        self._recent[tracker.sender_id] = (last_id, tracker)
        while len(self._recent) > self.cache_size:
            self._recent.popitem(last=False)

    # --- writing ------------------------------------------------------------------------

    async def save(self, tracker: DialogueStateTracker) -> None:
        loaded = getattr(tracker, _LOADED, None)
        if loaded is None:
            # Not from `retrieve` (a new conversation, or the API replaced its events):
            # Rasa's own bookkeeping, then a snapshot from it.
            self._recent.pop(tracker.sender_id, None)
            await super().save(tracker)
            await self._rebase(tracker)
            setattr(tracker, _LOADED, len(tracker.events))
            return
        await self.stream_events(tracker)
        new = list(tracker.events)[loaded:]
        rows = []
        for event in new:
            data = event.as_dict()
            rows.append(
                {
                    "sender_id": tracker.sender_id,
                    "type_name": event.type_name,
                    "timestamp": data.get("timestamp"),
                    "intent_name": data.get("parse_data", {}).get("intent", {}).get("name"),
                    "action_name": data.get("name"),
                    "data": json.dumps(data),
                }
            )
        self._recent.pop(tracker.sender_id, None)
        with self.session_scope() as session:
            if rows:
                # One statement for the turn's events (the ORM's unit of work cost more than
                # the inserts themselves).
                session.execute(self.SQLEvent.__table__.insert(), rows)
                session.commit()
            setattr(tracker, _LOADED, len(tracker.events))
            last_id = self._last_id(session, tracker.sender_id)
        tail = list(tracker.events)[getattr(tracker, _PREFIX, 0) :]
        actions = sum(isinstance(e, ActionExecuted) for e in tail)
        if len(tail) > 4 * self.keep or (len(tail) > self.keep and actions > 2 * MIN_ACTIONS):
            if await self._rebase(tracker):
                return  # the next turn reads the new, short tail from the store
        # The next turn starts from this tracker, unless the store changes meanwhile.
        self._remember(tracker, last_id)

    async def _rebase(self, tracker: DialogueStateTracker) -> bool:
        """Move the tail's start to about `keep` events back (and MIN_ACTIONS actions), right
        after an action_listen, with the slots and loop there as the snapshot; whether it
        moved."""
        events = list(tracker.events)
        with self.session_scope() as session:
            row = session.execute(
                sa.select(self.snapshots.c.base_id).where(
                    self.snapshots.c.sender_id == tracker.sender_id
                )
            ).first()
            if row is None:
                # As Rasa's own `retrieve` read them: the events of the latest session.
                query = self._event_query(session, tracker.sender_id, False)
            else:
                query = session.query(self.SQLEvent).filter(
                    self.SQLEvent.sender_id == tracker.sender_id, self.SQLEvent.id > row.base_id
                )
            ids = [i for (i,) in query.with_entities(self.SQLEvent.id).order_by(self.SQLEvent.id)]
            # The stored tail is the tracker's last len(ids) events (the rest: the snapshot).
            offset = len(events) - len(ids)
            if offset < 0 or len(ids) <= self.keep:
                return False
            cut = None
            actions = sum(isinstance(e, ActionExecuted) for e in events[len(events) - self.keep :])
            for index in range(len(events) - self.keep, offset, -1):
                event = events[index - 1]
                if not isinstance(event, ActionExecuted):
                    continue
                if actions >= MIN_ACTIONS and event.action_name == LISTEN:
                    cut = index  # the tail, events[cut:], holds `actions` actions
                    break
                actions += 1
            if cut is None:
                return False  # no turn boundary in reach: keep the longer tail for now
            new_base = ids[cut - 1 - offset]
            # The slots and loop as they were at the cut, so that replaying the tail gives
            # every state in it exactly as it was (policies read the recent ones).
            at_cut = DialogueStateTracker.from_events(
                tracker.sender_id, events[:cut], self.domain.slots
            )
            slots = {
                name: slot.value
                for name, slot in at_cut.slots.items()
                if slot.value != slot.initial_value
            }
            state = json.dumps(
                {"slots": slots, "active_loop": at_cut.active_loop_name},
                default=str,
            )
            if row is None:
                session.execute(
                    self.snapshots.insert().values(
                        sender_id=tracker.sender_id, base_id=new_base, state=state
                    )
                )
            else:
                session.execute(
                    self.snapshots.update()
                    .where(self.snapshots.c.sender_id == tracker.sender_id)
                    .values(base_id=new_base, state=state)
                )
            session.commit()
        return True
