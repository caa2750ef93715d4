"""A sixth company with no code change: the whole stack started with Hearthwise Heating added to
the desk's seed (tests/sixth_company/desk_seed.yml) and to the owner's profile (owner.yml there),
and the owner books a visit, orders a part and reports a problem there over the REST channel.

It runs a stack of its own (the session's stack knows the seeded five only)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from launcher.conversation import say
from launcher.processes import free_port
from launcher.stack import Stack, StackConfig
from tests.conftest import DESK_OPENAPI_VIOLATIONS, START_TIME, DeskProcess
from tests.sixth_company import KEY, PROVIDER, stand_in_env


@pytest.fixture(scope="module")
def sixth_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    config = StackConfig(
        var_dir=tmp_path_factory.mktemp("sixth-stack"),
        rasa_port=free_port(),
        action_port=free_port(),
        desk_port=free_port(),
        sim_control=True,
        desk_start_time=START_TIME,
        extra_env={
            "STANDIN_DESK_ATTEMPTS": "2",
            "STANDIN_DESK_BACKOFF_S": "0.1",
            "SERVICE_DESK_CHECK_RESPONSES": str(DESK_OPENAPI_VIOLATIONS),
            **stand_in_env(),
        },
    )
    with Stack(config) as running:
        yield running


@pytest.fixture
def desk(sixth_stack: Stack) -> DeskProcess:
    desk = DeskProcess.attach(sixth_stack.config.desk_url)
    desk.reset()
    return desk


def listed(desk: DeskProcess, path: str, field: str) -> list[dict]:
    status, _, body = desk.get(path, key=KEY)
    assert status == 200, body
    return body[field]


def test_the_owner_books_a_visit_at_the_sixth_company(sixth_stack, desk):
    url, sender = sixth_stack.config.rasa_url, "e2e-sixth-book"
    replies = say(url, sender, "book an appointment for my boiler")
    shown = " ".join(replies)
    assert "Hearthwise Heating" in shown and "1. " in shown, replies
    assert listed(desk, "/v1/appointments", "appointments") == []  # shown, never picked
    replies = say(url, sender, "the first one")
    [appt] = listed(desk, "/v1/appointments", "appointments")
    assert appt["provider"] == PROVIDER and appt["status"] == "booked"
    assert appt["service"] == "boiler_service" and appt["location"]["id"] == "HW-HOME"
    assert appt["id"] in " ".join(replies), replies


def test_the_owner_orders_a_part_there_with_a_yes(sixth_stack, desk):
    url, sender = sixth_stack.config.rasa_url, "e2e-sixth-part"
    replies = say(url, sender, "order a new circulation pump for my boiler")
    question = " ".join(replies)
    assert "HW-C30-PUMP" in question and "85.00 EUR" in question, replies
    assert listed(desk, "/v1/parts/orders", "orders") == []  # never without the yes
    replies = say(url, sender, "yes")
    [order] = listed(desk, "/v1/parts/orders", "orders")
    assert order["sku"] == "HW-C30-PUMP" and order["deliver_to_service_centre"] == "HW-HOME"
    assert order["id"] in " ".join(replies), replies


def test_the_owner_reports_a_problem_there(sixth_stack, desk):
    url, sender = sixth_stack.config.rasa_url, "e2e-sixth-report"
    replies = say(url, sender, "my boiler is broken and not working, report it to Hearthwise")
    [ticket] = listed(desk, f"/v1/tickets?provider={PROVIDER}", "tickets")
    assert ticket["provider"] == PROVIDER and ticket["category"] == "repair"
    assert ticket["on_behalf_of"]["account_id"] == "HW-5001"
    assert ticket["id"] in " ".join(replies), replies
