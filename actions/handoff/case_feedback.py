"""The feedback loop: when a case closes, the owner gets a short account of it, built from the
audit log (`case_summary`), so nothing done in their name is left out.

`CaseFeedback.case_changed` runs after a ticket update is stored (a provider webhook); a case
that reached a final status queues one `case_closed` notice (its key names the case, so a
duplicate event adds nothing). The notice is rendered when it is said, from the store as it is
then (`handoff_notices.say_case_closed`).
"""

from __future__ import annotations

import logging

from actions.handoff.registry import HandoffRegistry
from actions.store.case_memory import CaseMemory
from actions.store.notices import Notice, NoticeOutbox

logger = logging.getLogger(__name__)


class CaseFeedback:
    def __init__(
        self,
        memory: CaseMemory,
        outbox: NoticeOutbox,
        handoffs: HandoffRegistry,
        notify_channel: str,
    ) -> None:
        self.memory = memory
        self.outbox = outbox
        self.handoffs = handoffs
        self.notify_channel = notify_channel

    def case_changed(self, provider: str, ticket_id: str) -> None:
        """Queue the closing account of `provider`'s `ticket_id` once it is final (safe to call
        often)."""
        case = self.memory.case(provider, ticket_id)
        if case is None or case.is_open or not case.conversation_id:
            return
        if self.handoffs.waiting(point="owner_request", provider=case.provider):
            return  # the owner handles this company: told when they hand it back
        self.outbox.enqueue(
            Notice(
                "case_closed",
                {"provider": case.provider, "ticket_id": case.ticket_id},
                subject=case.ticket_id,
                # The provider too: another company's ticket of the same id is another case.
                dedupe_key=f"{case.provider}:{case.ticket_id}:closed",
            ),
            case.conversation_id,
            self.notify_channel,
        )
