"""A company's question on a ticket: answered from the owner's profile where the answer is
there, otherwise put to the owner (the `provider_question` handoff point); an identity check
is always put to the owner (`identity_check`) and never answered by Stand-in.

The watcher runs in the action server's monitor loop and reads open questions from the case
memory (kept current by webhooks and by every read of a ticket), so a question is handled
whichever way it arrived and after any restart. Each question is handled once: its subject
("<ticket>:q:<hash of the question>") marks the handoff that recorded it.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re

from actions.core.idempotency import request_key
from actions.handoff.registry import HandoffRegistry
from actions.owner.profile import OwnerProfile
from actions.providers.client import ServiceDeskClient
from actions.providers.desk_errors import DeskError
from actions.store.cases import Case
from actions.store.notices import Notice, NoticeOutbox

logger = logging.getLogger(__name__)

IDENTITY_POINT, QUESTION_POINT = "identity_check", "provider_question"
# What only the account holder knows. Matched as a fallback when the company does not mark
# the question itself (question_kind "identity"): a false positive only means the owner is
# asked, never that something is answered.
IDENTITY_WORDS = re.compile(
    r"date of birth|birth ?date|\bdob\b|security (question|answer|word)|last payment"
    r"|maiden name|password|passcode|pass phrase|passphrase|\bpin\b|memorable (word|phrase)"
    r"|social security|last (four|4) digits|confirm (it'?s|it is) you|verify (your )?identity"
    r"|identity check|mother'?s",
    re.IGNORECASE,
)


def is_identity_question(question: str, kind: str | None) -> bool:
    return kind == "identity" or bool(IDENTITY_WORDS.search(question))


def subject_for(ticket_id: str, question: str) -> str:
    """Names one question on one ticket: the same question asked again is the same subject."""
    digest = hashlib.sha256(question.encode()).hexdigest()[:12]
    return f"{ticket_id}:q:{digest}"


def question_subject(case: Case) -> str:
    return subject_for(case.ticket_id, case.question or "")


def answer_from_profile(profile: OwnerProfile, provider: str, question: str) -> str | None:
    """The answer when the profile holds it for certain; None when only the owner can say."""
    if is_identity_question(question, None):
        return None  # never, even where the profile would seem to know
    account = profile.account_for(provider)
    if account is None:
        return None
    text = question.lower()
    if re.search(r"\baccount (number|id)\b", text):
        return account.account_id
    if re.search(r"\b(phone|contact|callback|mobile) number\b", text):
        return profile.owner.phone
    if re.search(r"\b(serial number|device id|model number|which model|vin)\b", text):
        ids = [d.id for d in account.devices]
        return ids[0] if len(ids) == 1 else None  # two devices: the owner must say which
    return None


class QuestionWatcher:
    def __init__(
        self,
        memory: object,
        handoffs: HandoffRegistry,
        outbox: NoticeOutbox,
        profile: OwnerProfile,
        desk: ServiceDeskClient,
        notify_channel: str,
    ) -> None:
        self.memory = memory
        self.handoffs = handoffs
        self.outbox = outbox
        self.profile = profile
        self.desk = desk
        self.notify_channel = notify_channel

    def _unhandled(self) -> list[Case]:
        waiting = self.memory.awaiting_customer()  # type: ignore[attr-defined]
        if not waiting:
            return []
        known = self.handoffs.subjects([question_subject(c) for c in waiting])
        held = {h.provider for h in self.handoffs.waiting(point="owner_request")}
        # Held companies: the owner handles them; their questions wait for the hand-back.
        return [
            c
            for c in waiting
            if question_subject(c) not in known and c.provider not in held and c.conversation_id
        ]

    async def tick(self) -> int:
        cases = await asyncio.to_thread(self._unhandled)
        for case in cases:
            try:
                await self.handle(case)
            except Exception:
                logger.exception("handling the question on %s failed", case.ticket_id)
        return len(cases)

    async def handle(self, case: Case) -> None:
        question = case.question or ""
        subject = question_subject(case)
        identity = is_identity_question(question, case.question_kind)
        answer = None if identity else answer_from_profile(self.profile, case.provider, question)
        if answer is not None and await self._answer(case, answer, subject):
            return
        point = IDENTITY_POINT if identity else QUESTION_POINT
        data = {"ticket_id": case.ticket_id, "question": question}
        await asyncio.to_thread(self._record, point, case, subject, data, point, None)

    def _record(
        self,
        point: str,
        case: Case,
        subject: str,
        data: dict,
        notice_kind: str,
        answered: str | None,
    ) -> None:
        """The question as a handoff (closed at once as `answered` when Stand-in answered it
        itself), and the notice that tells the owner; once per question (the notice's key)."""
        conversation = str(case.conversation_id)
        self.handoffs.open(
            point,
            conversation,
            provider=case.provider,
            subject=subject,
            data=data,
            output_channel=self.notify_channel,
        )
        if answered is not None:
            self.handoffs.answer(conversation, point, answered, subject)
        self.outbox.enqueue(
            Notice(
                notice_kind,
                {"provider": case.provider, **data},
                subject=subject,
                dedupe_key=f"{subject}:{notice_kind}",
            ),
            conversation,
            self.notify_channel,
        )

    async def _answer(self, case: Case, answer: str, subject: str) -> bool:
        """Send the profile's answer once; False (ask the owner instead) if it did not go."""
        try:
            _, key = self.profile.credentials(case.provider)
        except Exception:
            return False
        idem = request_key(str(case.conversation_id), subject, "profile_answer", {"text": answer})
        try:
            await self.desk.add_ticket_note(
                key, case.ticket_id, answer, idem, case.provider, case.conversation_id
            )
        except DeskError as err:
            logger.info("answering %s from the profile failed: %s", case.ticket_id, err)
            return False
        data = {"ticket_id": case.ticket_id, "question": case.question, "answer": answer}
        await asyncio.to_thread(
            self._record,
            QUESTION_POINT,
            case,
            subject,
            data,
            "question_answered_from_profile",
            "answered_from_profile",
        )
        return True
