"""Try again: every kind of kept request has a resender, and a kind without one fails loudly."""

from __future__ import annotations

import re

import pytest
from rasa_sdk.executor import ActionExecutor

from actions.journeys.try_again import (
    ActionRetryPendingRequest,
    UnknownRequestKind,
    resender,
    resends,
    resent_kinds,
)
from tests.actions.conftest import make_tracker, responses, run_action
from tests.conftest import PROJECT_ROOT

KEPT = re.compile(r'"kind": "(\w+)"')


def test_every_kind_of_request_a_journey_keeps_has_a_resender():
    # Registration happens on import; the action server imports the whole package at start.
    ActionExecutor().register_package("actions")
    kept = {
        kind
        for source in (PROJECT_ROOT / "actions" / "journeys").glob("*.py")
        for kind in KEPT.findall(source.read_text())
    }
    assert kept == {
        "ticket",
        "ticket_note",
        "ticket_cancel",
        "meter_reading",
        "appointment",
        "parts_order",
    }
    assert resent_kinds() == sorted(kept)


def test_a_kind_nobody_registered_fails_loudly(standin_env, domain):
    with pytest.raises(UnknownRequestKind, match="teleport"):
        resender("teleport")
    tracker = make_tracker(
        domain, "try again", "try_again", slots={"pending_request": {"kind": "teleport"}}
    )
    with pytest.raises(UnknownRequestKind):
        run_action(ActionRetryPendingRequest(), tracker, domain)


def test_nothing_kept_is_said_as_such(standin_env, domain):
    tracker = make_tracker(domain, "try again", "try_again")
    messages, events = run_action(ActionRetryPendingRequest(), tracker, domain)
    assert responses(messages) == ["utter_nothing_pending"] and events == []


def test_a_kind_has_one_resender():
    ActionExecutor().register_package("actions")

    async def another(*_args: object) -> list:
        return []

    with pytest.raises(ValueError, match="ticket"):
        resends("ticket")(another)
