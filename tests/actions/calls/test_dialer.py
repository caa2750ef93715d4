"""The desk dialer (actions.calls.dialer): the owner's own account, and no key, no call."""

from __future__ import annotations

import pytest

from actions.calls.dialer import ServiceDeskDialer
from actions.core.errors import ConfigError
from tests.actions.calls.call_fixtures import BRIGHTGRID, CONV, DESK_START, NIMBUS, SLACK, place


def test_the_dialer_calls_from_the_owners_own_account(world):
    w = world

    async def scenario():
        dialer = ServiceDeskDialer(w.client, w.profile)
        call = await dialer.place(NIMBUS, "my bill", "dialer-1", CONV)
        again = await dialer.place(NIMBUS, "my bill", "dialer-1", CONV)  # a retry
        pressed = await dialer.press(NIMBUS, call.id, "1", "dialer-2", CONV)
        return call, again, pressed, await dialer.now(NIMBUS)

    call, again, pressed, now = w.run(scenario())
    assert again.id == call.id and call.state == "ivr" and call.menu is not None
    assert (pressed.state, pressed.queue, pressed.replayed) == ("queued", "billing", False)
    assert DESK_START <= now < DESK_START + SLACK
    # The call is the owner's: another account cannot see it.
    status, _, _ = w.desk.get(f"/v1/calls/{call.id}", key="sk-nimbus-sam")
    assert status == 404
    calls = [c for c in w.desk.state()["calls"] if c["id"] == call.id]
    assert [c["account_id"] for c in calls] == ["NT-908812"]


def test_without_a_key_nothing_is_dialled(world, monkeypatch):
    w = world
    monkeypatch.delenv("STANDIN_BRIGHTGRID_ENERGY_API_KEY")

    async def scenario():
        await place(w, w.tracker(), BRIGHTGRID, "a question about my bill")

    with pytest.raises(ConfigError, match="STANDIN_BRIGHTGRID_ENERGY_API_KEY"):
        w.run(scenario())
    assert w.desk.state()["calls"] == []
    assert w.store.latest() == []
