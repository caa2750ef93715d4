"""When a hold is worth telling the owner about, and when a callback is worth offering."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from actions.calls.hold_policy import callback_worth_offering, minutes, queue_news, told
from actions.owner.profile import Preferences

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)


def last(position=6, wait_s=720, at=T0) -> dict:
    return told(position, wait_s, at)


def test_minutes_never_rounds_a_real_wait_to_zero():
    assert minutes(None) == 0
    assert minutes(0) == 0
    assert minutes(20) == 1
    assert minutes(89) == 1
    assert minutes(91) == 2
    assert minutes(720) == 12


def test_the_first_update_is_always_news():
    assert queue_news({}, 6, 720, T0)
    assert queue_news({"position": None}, 6, None, T0)


def test_no_position_is_never_news():
    assert not queue_news({}, None, None, T0)
    assert not queue_news(last(), None, 100, T0 + timedelta(hours=1))


@pytest.mark.parametrize(
    "position, news",
    [(5, False), (4, False), (3, True), (2, True), (1, True)],
)
def test_the_position_halved_is_news(position, news):
    # Each of these keeps the wait within two minutes of what was said, and comes soon after.
    wait = 720 - 100
    assert queue_news(last(), position, wait, T0 + timedelta(minutes=2)) is news


def test_halving_needs_a_real_move():
    # From position 1 to 1 (or 0 from 0) is not "halved".
    assert not queue_news(last(position=1, wait_s=120), 1, 120, T0 + timedelta(minutes=1))
    assert not queue_news(last(position=0, wait_s=0), 0, 0, T0 + timedelta(minutes=1))
    assert queue_news(last(position=1, wait_s=120), 0, 60, T0 + timedelta(minutes=1))


@pytest.mark.parametrize(
    "wait_s, news",
    [(720, False), (600, False), (840, False), (599, True), (841, True), (2000, True)],
)
def test_a_wait_shift_of_more_than_two_minutes_is_news(wait_s, news):
    # Position 5 of 6 is not halved; only the wait estimate moves.
    assert queue_news(last(), 5, wait_s, T0 + timedelta(minutes=1)) is news


def test_a_wait_shift_needs_both_estimates():
    assert not queue_news(last(wait_s=None), 5, 100, T0 + timedelta(minutes=1))
    assert not queue_news(last(), 5, None, T0 + timedelta(minutes=1))


def test_ten_minutes_without_news_and_a_change_is_a_heartbeat():
    assert queue_news(last(), 5, 700, T0 + timedelta(seconds=600))
    assert queue_news(last(), 5, 700, T0 + timedelta(minutes=45))
    # Not yet ten minutes.
    assert not queue_news(last(), 5, 700, T0 + timedelta(seconds=599))
    # Ten minutes, but nothing changed: no message for its own sake.
    assert not queue_news(last(), 6, 720, T0 + timedelta(minutes=30))


def test_small_moves_are_not_news():
    at = T0
    said = last()
    for position, wait in ((5, 650), (4, 620)):
        at += timedelta(minutes=2)
        assert not queue_news(said, position, wait, at)


def test_told_round_trips_through_queue_news():
    said = told(4, 480, T0)
    assert said == {"position": 4, "wait_s": 480, "at": T0.isoformat()}
    assert queue_news(said, 2, 240, T0 + timedelta(minutes=4))


PREFS = Preferences()  # offer callbacks, threshold 10 min, no preference for callbacks


@pytest.mark.parametrize(
    "wait_s, offered",
    [(None, False), (0, False), (300, False), (600, False), (601, True), (720, True)],
)
def test_a_callback_is_offered_once_the_wait_passes_the_threshold(wait_s, offered):
    assert callback_worth_offering(PREFS, True, False, wait_s) is offered


def test_the_threshold_is_the_owners():
    five = Preferences(callback_threshold_min=5)
    assert callback_worth_offering(five, True, False, 301)
    assert not callback_worth_offering(five, True, False, 300)
    zero = Preferences(callback_threshold_min=0)
    assert callback_worth_offering(zero, True, False, 1)
    assert not callback_worth_offering(zero, True, False, 0)


def test_an_owner_who_prefers_callbacks_is_offered_one_at_once():
    prefers = Preferences(prefer_callbacks=True)
    assert callback_worth_offering(prefers, True, False, None)
    assert callback_worth_offering(prefers, True, False, 60)


def test_no_offer_where_the_provider_has_no_callbacks():
    assert not callback_worth_offering(PREFS, False, False, 3600)
    assert not callback_worth_offering(Preferences(prefer_callbacks=True), False, False, 3600)


def test_no_offer_when_the_owner_turned_offers_off():
    off = Preferences(offer_callbacks=False, prefer_callbacks=True)
    assert not callback_worth_offering(off, True, False, 3600)


def test_a_callback_is_offered_only_once():
    assert not callback_worth_offering(PREFS, True, True, 3600)
    assert not callback_worth_offering(Preferences(prefer_callbacks=True), True, True, 3600)
