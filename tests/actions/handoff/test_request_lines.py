"""How one audit row reads as a request line in a summary."""

from __future__ import annotations

import pytest

from actions.handoff.request_lines import request_kind


@pytest.mark.parametrize(
    ("method", "path", "kind"),
    [
        ("POST", "/v1/tickets", "ticket"),
        ("GET", "/v1/tickets", "other"),
        ("POST", "/v1/tickets/TCK-1/notes", "note"),
        ("POST", "/v1/tickets/TCK-1/cancel", "cancel"),
        ("POST", "/v1/tickets/TCK-1/escalate", "escalate"),
        ("POST", "/v1/appointments", "appointment"),
        ("POST", "/v1/appointments/APT-1/reschedule", "appointment_change"),
        ("POST", "/v1/appointments/APT-1/cancel", "appointment_change"),
        ("POST", "/v1/parts/orders", "parts_order"),
        ("POST", "/v1/meter-readings", "other"),
        ("GET", "/v1/tickets?status=open", "other"),
    ],
)
def test_request_kinds(method, path, kind):
    assert request_kind(method, path) == kind
