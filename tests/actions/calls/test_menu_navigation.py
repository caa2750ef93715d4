"""Choosing keys in a provider's phone menu, on the desk's seeded menu trees."""

from __future__ import annotations

import pytest

from actions.calls.menu_navigation import (
    Choice,
    choose,
    node_at,
    operator_digit,
    ranked,
)
from actions.providers.desk_models import MenuNode, MenuOption, Provider
from servicedesk.seed import PROVIDERS


def menu(provider_id: str) -> MenuNode:
    provider = Provider.parse_obj(PROVIDERS[provider_id])
    assert provider.menu is not None
    return provider.menu


NIMBUS = menu("nimbus-telecom")
HOMECARE = menu("homecare-appliances")
# Fits billing (1) and, better, technical support (2).
TWO_FITS = "I was charged twice and my internet is down"


def walk(root: MenuNode, reason: str) -> list[str]:
    """The keys pressed from the top of `root` to a queue when nothing goes wrong."""
    path: list[str] = []
    node: MenuNode | None = root
    while node is not None:
        choice = choose(node, reason, 0, set())
        path.append(choice.digit)
        node = node_at(root, path)
    return path


@pytest.mark.parametrize(
    "reason, keys",
    [
        ("my bill", ["1"]),
        ("My bill is wrong this month", ["1"]),
        ("my internet is down", ["2", "1"]),
        ("mobile data not working", ["2", "2"]),
        ("I want to cancel my contract", ["3"]),
        ("general enquiry", ["0"]),
    ],
)
def test_nimbus_reasons_lead_to_the_right_keys(reason, keys):
    assert walk(NIMBUS, reason) == keys


def test_the_first_choice_is_the_best_fit_and_says_so():
    assert choose(NIMBUS, "my bill", 0, set()) == Choice("1", "Billing", "best")
    tech = node_at(NIMBUS, ["2"])
    assert choose(tech, "my internet is down", 0, set()) == Choice("1", "Internet", "best")


@pytest.mark.parametrize(
    "reason, keys",
    [
        ("my fridge is broken", ["1"]),
        ("follow up on my repair, the technician never came", ["2"]),
        ("general enquiry", ["0"]),
    ],
)
def test_homecare_reasons(reason, keys):
    assert walk(HOMECARE, reason) == keys


def test_nothing_fitting_means_the_operator():
    assert choose(NIMBUS, "general enquiry", 0, set()) == Choice("0", "Operator", "operator")
    # Asking for a person is not a fit for any topic: the operator, whatever the words.
    assert ranked(NIMBUS, "can I talk to a person") == []
    assert choose(NIMBUS, "can I talk to a person", 0, set()).digit == "0"


def test_ranking_puts_the_best_fit_first_and_leaves_out_the_operator():
    assert [o.digit for o in ranked(NIMBUS, TWO_FITS)] == ["2", "1"]
    assert [o.digit for o in ranked(NIMBUS, "my bill")] == ["1"]


def test_after_one_wrong_turn_the_next_best_untried_fit():
    assert choose(NIMBUS, TWO_FITS, 0, set()).digit == "2"
    assert choose(NIMBUS, TWO_FITS, 1, {"2"}) == Choice("1", "Billing", "next_best")


def test_after_one_wrong_turn_with_no_other_fit_the_operator():
    assert choose(NIMBUS, "my bill", 1, {"1"}) == Choice("0", "Operator", "operator")
    assert choose(NIMBUS, TWO_FITS, 1, {"2", "1"}) == Choice("0", "Operator", "operator")


@pytest.mark.parametrize("reason", ["my bill", "my internet is down", TWO_FITS])
@pytest.mark.parametrize("wrong_turns", [2, 3])
def test_after_two_wrong_turns_always_the_operator(reason, wrong_turns):
    assert choose(NIMBUS, reason, wrong_turns, set()) == Choice("0", "Operator", "operator")


def test_node_at_follows_the_directory():
    assert node_at(NIMBUS, []) is NIMBUS
    tech = node_at(NIMBUS, ["2"])
    assert tech is not None and [o.label for o in tech.options] == ["Internet", "Mobile"]
    # A leaf (a queue) and unknown digits have no menu after them.
    assert node_at(NIMBUS, ["1"]) is None
    assert node_at(NIMBUS, ["2", "1"]) is None
    assert node_at(NIMBUS, ["9"]) is None
    assert node_at(NIMBUS, ["2", "9"]) is None
    assert node_at(NIMBUS, ["9", "1"]) is None
    assert node_at(None, []) is None
    assert node_at(None, ["1"]) is None


def test_menus_without_an_operator_option_fall_back_to_zero():
    no_operator = MenuNode(
        prompt="For billing, press 1.",
        options=[MenuOption(digit="1", label="Billing", topic="billing")],
    )
    assert operator_digit(no_operator) == ("0", "Operator")
    assert choose(no_operator, "general enquiry", 0, set()) == Choice("0", "Operator", "operator")
    assert choose(no_operator, "my bill", 2, set()).digit == "0"
    # A level the directory does not describe: the near-universal 0.
    assert operator_digit(None) == ("0", "Operator")
    assert choose(None, "my bill", 0, set()) == Choice("0", "Operator", "fallback")


def test_an_operator_named_only_by_its_label_is_found():
    node = MenuNode(
        options=[
            MenuOption(digit="1", label="Billing", topic="billing"),
            MenuOption(digit="9", label="Speak to an agent"),
        ]
    )
    assert operator_digit(node) == ("9", "Speak to an agent")
    assert choose(node, "general enquiry", 0, set()).digit == "9"
    assert [o.digit for o in ranked(node, "I need an agent about my bill")] == ["1"]
