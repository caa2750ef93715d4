"""Snapshots, polls and a restart (actions.calls.call_events), against the real desk."""

from __future__ import annotations

from tests.actions.calls.call_fixtures import BRIGHTGRID, HOMECARE, NIMBUS, cut_walk, kinds, place

# --- snapshots, polls and what the owner hears during a hold ---------------------------------


def test_the_same_snapshot_twice_and_an_older_one_change_nothing(world):
    w = world

    async def scenario():
        tracker = w.tracker()
        record, _ = await place(w, tracker, NIMBUS, "my bill")
        dialer = tracker.dialer
        w.desk.advance(120)
        five = await dialer.status(NIMBUS, record.call_id)
        w.desk.advance(240)
        three = await dialer.status(NIMBUS, record.call_id)
        assert (five.position, three.position) == (5, 3)
        first = tracker.apply(three, "webhook")
        again = tracker.apply(three, "poll")
        older = tracker.apply(five, "webhook")
        return record, first, again, older

    record, first, again, older = w.run(scenario())
    assert first is not None and again is None and older is None
    current = w.record(record.call_id)
    assert current.position == 3 and current.estimated_wait_s == 360
    [news] = w.queued(record.call_id)
    assert (news.kind, news.params["position"], news.params["wait_min"]) == (
        "call_position",
        3,
        6,
    )
    assert len(w.steps(record.call_id, "position")) == 1


def test_polls_apply_the_queue_and_tell_only_real_news(world):
    w = world

    async def scenario():
        tracker = w.tracker()
        record, _ = await place(w, tracker, NIMBUS, "my bill")
        call_id = record.call_id
        seen = []
        for seconds in (120, 240, 120, 120):  # positions 5, 3, 2, 1
            w.desk.advance(seconds)
            await tracker.poll(call_id)
            current = w.record(call_id)
            seen.append((current.position, kinds(w.queued(call_id))))
        return record, seen

    record, seen = w.run(scenario())
    assert seen == [
        (5, []),  # a small move: recorded, not told
        (3, ["call_position"]),  # halved since the owner heard 6
        (2, ["call_position"]),  # 2 is not half of 3, and only 2 minutes passed
        (1, ["call_position", "call_position"]),  # halved again
    ]
    told, newest = w.queued(record.call_id)
    # The one nobody sent yet is worthless now: only the newest is pending.
    assert (told.status, told.params["position"]) == ("superseded", 3)
    assert (newest.status, newest.params["position"]) == ("pending", 1)
    assert [s.data["position"] for s in w.steps(record.call_id, "position")] == [5, 3, 2, 1]
    assert all(s.data["source"] == "poll" for s in w.steps(record.call_id, "position"))
    # Polls read and change nothing: they stay out of the audit log.
    polls = [
        e for e in w.memory.audit_entries() if e.method == "GET" and e.path.startswith("/v1/calls")
    ]
    assert polls == []


def test_an_unchanged_poll_pushes_the_next_one_out(world):
    w = world

    async def scenario():
        tracker = w.tracker(poll_interval_s=30)
        record, _ = await place(w, tracker, NIMBUS, "my bill")
        first = tracker.next_poll[record.call_id]
        await tracker.poll(record.call_id)
        return record, first, tracker.next_poll[record.call_id]

    record, first, second = w.run(scenario())
    assert second >= first
    assert w.queued(record.call_id) == []
    assert [s.kind for s in w.steps(record.call_id)] == ["dialled", "key", "queued"]


# --- a restart -------------------------------------------------------------------------------


def test_a_restarted_tracker_resumes_every_active_call(world):
    w = world

    async def before_restart():
        tracker = w.tracker()
        nimbus, _ = await place(w, tracker, NIMBUS, "my bill")
        brightgrid, _ = await place(w, tracker, BRIGHTGRID, "a question about my bill")
        homecare, _ = await place(w, tracker, HOMECARE, "my fridge is broken")
        await tracker.hang_up(homecare)
        # A walk cut short: dialled and recorded, then the process died before any key.
        call = await cut_walk(tracker, w.store, "cut:place")
        return nimbus, brightgrid, homecare, call.id

    nimbus, brightgrid, homecare, cut = w.run(before_restart())
    w.desk.advance(360)  # the Nimbus queue moves while Stand-in is down: 6 -> 3

    async def after_restart():
        tracker = w.tracker()  # a new process: nothing in memory
        assert tracker.next_poll == {}
        unfinished = await tracker.resume()
        scheduled = dict(tracker.next_poll)
        walked = [await tracker.walk(r, w.providers[r.provider]) for r in unfinished]
        for call_id in list(scheduled):
            await tracker.poll(call_id)
        return unfinished, scheduled, walked

    unfinished, scheduled, walked = w.run(after_restart())
    assert set(scheduled) == {nimbus.call_id, brightgrid.call_id, cut}
    assert homecare.call_id not in scheduled
    assert [r.call_id for r in unfinished] == [cut]
    [(record, notices)] = walked
    assert record.state == "queued" and record.notify["walking"] is False
    assert w.desk_call(HOMECARE, cut)["queue"] == "new_repairs"
    assert kinds(notices) == ["call_queued"]
    # The poll after the restart catches up with the queue and tells the owner.
    assert w.record(nimbus.call_id).position == 3
    assert kinds(w.queued(nimbus.call_id)) == ["call_position"]
