"""The owner's answer to an identity check, passed through to the company once and kept nowhere.

Stand-in never invents, guesses or stores such answers. The answer is read from the owner's
message in the same action that sends it (the answer form's extraction), so it is never put in
a slot, in the pending-request store for "try again", in the audit log (which records
`servicedesk_client.WITHHELD` instead) or in a log line. The idempotency key is derived without
it, since a hash of a birth date can be guessed back. If the company cannot be reached, the
owner is told that nothing was sent and is asked again; nothing is resent on Stand-in's own.

What Stand-in cannot remove is Rasa's own record of the conversation: the tracker store keeps
every message as the owner typed it (see the README's note on retention).
"""

from __future__ import annotations

import asyncio
import logging

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.core.idempotency import request_key
from actions.handoff.owner_control import sending_credentials
from actions.providers.desk_errors import DeskError, DeskRejected, DeskTimeout, DeskUnavailable
from actions.providers.directory import display_name
from actions.runtime import Services
from actions.store.cases import Case

logger = logging.getLogger(__name__)

POINT = "identity_check"
# What the answer form's slot holds once the answer went (never the answer itself).
RELAYED = "[identity answer passed through]"


def _turn_without_text(tracker: Tracker) -> str:
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return f"{event.get('timestamp')}"
    return "no-user-message"


async def relay_identity_answer(
    svc: Services, dispatcher: CollectingDispatcher, tracker: Tracker, case: Case, answer: str
) -> bool:
    """Send `answer` once; True when the form is done (sent, or its fate unknowable), False
    when nothing was sent and the owner should be asked again."""
    name = await display_name(svc, case.provider)
    creds = await sending_credentials(svc, case.provider, dispatcher, "identity answer")
    if creds is None:
        return True  # nothing was sent, and there is nothing to retry: the form ends
    account, key = creds
    idem = request_key(
        tracker.sender_id,
        _turn_without_text(tracker),
        "identity_answer",
        {"ticket_id": case.ticket_id},
    )
    try:
        await svc.desk.add_ticket_note(
            key,
            case.ticket_id,
            answer,
            idem,
            provider=account.provider,
            conversation_id=tracker.sender_id,
            withhold_text=True,
        )
    except DeskTimeout:
        outcome = "unknown"
        dispatcher.utter_message(
            response="utter_identity_answer_unknown", provider_name=name, ticket_id=case.ticket_id
        )
    except DeskUnavailable:
        dispatcher.utter_message(
            response="utter_identity_answer_not_sent",
            provider_name=name,
            ticket_id=case.ticket_id,
        )
        return False
    except DeskRejected as err:
        outcome = "refused"
        dispatcher.utter_message(
            response="utter_case_note_refused",
            provider_name=name,
            ticket_id=case.ticket_id,
            message=err.message,
        )
    except DeskError as err:
        logger.error("identity answer for %s failed: %s", case.ticket_id, type(err).__name__)
        outcome = "unknown"
        dispatcher.utter_message(
            response="utter_identity_answer_unknown", provider_name=name, ticket_id=case.ticket_id
        )
    else:
        outcome = "relayed"
        dispatcher.utter_message(
            response="utter_identity_answer_relayed", provider_name=name, ticket_id=case.ticket_id
        )
    await asyncio.to_thread(svc.handoffs.answer, tracker.sender_id, POINT, outcome)
    return True
