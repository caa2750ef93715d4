"""Reporting a problem, the form: `report_problem_form` collects provider, description and
category, inferring what it can from the owner's words.

A field the desk refused last time (`rejected_fields`) is asked of the owner, never inferred
again. Sending is open_ticket's job.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.core.words import says_unsure
from actions.journeys.form_exit import FormWithAWayOut
from actions.owner.forms import MISREAD_INTENTS, still_open
from actions.owner.messages import latest_intent, latest_text
from actions.providers.desk_errors import DeskError
from actions.providers.desk_models import Provider
from actions.providers.problem_inference import (
    category_candidates,
    describes_a_problem,
    device_provider,
    infer_category,
    match_category,
)
from actions.runtime import Services, services

FORM = "report_problem_form"
FORM_SLOTS = (
    "problem_provider",
    "problem_description",
    "problem_category",
    "problem_category_misses",
    "rejected_fields",
)
# Answers to the category question that may match nothing before the report goes to the
# inferred or the general category: the question is never asked a third time.
MAX_CATEGORY_MISSES = 2
# Intents of a message that tries to say what is wrong (Rasa reads a description as any of them).
DESCRIBING_INTENTS = {
    "inform",
    "report_problem",
    "out_of_scope",
    "choose_slot",
    "answer_provider_question",
    "nlu_fallback",
}


def _rejected(tracker: Tracker, field: str) -> bool:
    """True when the desk refused this field last time: then only the owner may answer it."""
    return field in (tracker.get_slot("rejected_fields") or [])


async def known_providers(svc: Services) -> str:
    try:
        names = await svc.directory.known_names()
    except DeskError:
        names = [a.provider for a in svc.profile.accounts]
    return ", ".join(names)


class ValidateReportProblemForm(FormWithAWayOut):
    def name(self) -> str:
        return "validate_report_problem_form"

    async def validate_problem_provider(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        svc = services()
        text = str(value or "").strip()
        if not text:
            return {"problem_provider": None}
        try:
            provider = await svc.directory.match(text)
        except DeskError:
            dispatcher.utter_message(response="utter_directory_unreachable")
            return {"problem_provider": None}
        if provider is None:
            # The form asks again, listing the companies it knows.
            dispatcher.utter_message(response="utter_unknown_provider", name=text)
            return {"problem_provider": None}
        if svc.profile.account_for(provider.id) is None:
            dispatcher.utter_message(
                response="utter_no_account_at_provider", provider_name=provider.name
            )
            return {"problem_provider": None}
        return {"problem_provider": provider.id, **self._category(provider, tracker, dispatcher)}

    async def validate_problem_description(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        svc = services()
        text = str(value or "").strip()
        result: dict[str, Any] = {}
        if not text:
            return {"problem_description": None}
        provider = await self._provider(svc, tracker.get_slot("problem_provider"))
        if (
            provider is None
            and not tracker.get_slot("problem_provider")
            and not _rejected(tracker, "provider")
        ):
            # The entity extractor may miss a name that is in the text: match it ourselves.
            try:
                found = await svc.directory.match(text)
                if found is None:
                    # No company named: the owner's device may say which ("the fridge").
                    owned = device_provider(text, svc.profile)
                    found = await svc.directory.get(owned) if owned else None
            except DeskError:
                found = None
            if found is not None and svc.profile.account_for(found.id):
                provider = found
                result["problem_provider"] = found.id
        if not describes_a_problem(text, provider):
            if tracker.get_slot("requested_slot") == "problem_description":
                dispatcher.utter_message(response="utter_problem_too_vague")
            return {**result, "problem_description": None}
        result["problem_description"] = text
        if provider is not None and not tracker.get_slot("problem_category"):
            result.update(self._category(provider, tracker, dispatcher, text))
        return result

    async def extract_problem_category(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Two answers to the category question the slot's mapping (domain.yml) cannot take
        as they are: "I don't know" (or "you choose"), which files the report under the
        closest or the general category, saying so; and an answer Rasa read as another intent
        ("no signal on any device" as a no), which is an answer when its words name one of the
        company's categories."""
        if not still_open(tracker, "problem_category"):
            return {}
        provider = await self._provider(services(), tracker.get_slot("problem_provider"))
        if provider is None:
            return {}
        if says_unsure(latest_text(tracker)):
            return self._fallback(provider, tracker, dispatcher)
        if latest_intent(tracker) not in MISREAD_INTENTS:
            return {}
        picked = match_category(latest_text(tracker), provider)
        return {"problem_category": picked} if picked else {}

    async def validate_problem_category(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        svc = services()
        provider = await self._provider(svc, tracker.get_slot("problem_provider"))
        if provider is None or value is None:
            return {"problem_category": None}
        category = provider.category(str(value)) or None
        category_id = category.id if category else match_category(str(value or ""), provider)
        if category_id is not None:
            return {"problem_category": category_id}
        misses = int(tracker.get_slot("problem_category_misses") or 0)
        # Only an attempt to say what is wrong counts: a "yes", or a turn to another journey
        # ("actually, ring them instead"), never files the report by itself.
        misses += latest_intent(tracker) in DESCRIBING_INTENTS
        if misses >= MAX_CATEGORY_MISSES:
            fallback = self._fallback(provider, tracker, dispatcher)
            if fallback:
                return fallback
        dispatcher.utter_message(
            response="utter_category_not_understood",
            answer=str(value),
            provider_name=provider.name,
        )
        return {"problem_category": None, "problem_category_misses": misses}

    @staticmethod
    def _fallback(
        provider: Provider, tracker: Tracker, dispatcher: CollectingDispatcher
    ) -> dict[str, Any]:
        """The category the owner's words point to at all, else the company's general one,
        and the owner told which and why; {} when the company names no general category."""
        said = " ".join(
            str(t) for t in (tracker.get_slot("problem_description"), latest_text(tracker)) if t
        )
        inferred = provider.category(infer_category(said, provider) or "")
        chosen = inferred or provider.general()
        if chosen is None:
            return {}
        dispatcher.utter_message(
            response="utter_category_closest" if inferred else "utter_category_general",
            category_name=chosen.name,
            provider_name=provider.name,
        )
        return {"problem_category": chosen.id, "problem_category_misses": None}

    @staticmethod
    async def _provider(svc: Services, provider_id: str | None) -> Provider | None:
        if not provider_id:
            return None
        try:
            return await svc.directory.get(provider_id)
        except DeskError:
            return None

    @staticmethod
    def _category(
        provider: Provider,
        tracker: Tracker,
        dispatcher: CollectingDispatcher,
        description: str | None = None,
    ) -> dict[str, Any]:
        """The category the description points to; the company's general one, said so, when
        it points to none (asking would only repeat what the owner said); none, so the form
        asks, when it points to several."""
        text = description or tracker.get_slot("problem_description")
        if not text or tracker.get_slot("problem_category") or _rejected(tracker, "category"):
            return {}
        if not describes_a_problem(text, provider):
            return {}  # "report something to voltra" says nothing to file it by
        candidates = category_candidates(text, provider)
        if len(candidates) == 1:
            return {"problem_category": candidates[0]}
        general = provider.general()
        if candidates or general is None:
            return {}
        dispatcher.utter_message(
            response="utter_category_general",
            category_name=general.name,
            provider_name=provider.name,
        )
        return {"problem_category": general.id}


class ActionAskProblemProvider(Action):
    def name(self) -> str:
        return "action_ask_problem_provider"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        dispatcher.utter_message(
            response="utter_ask_problem_provider",
            known_providers=await known_providers(services()),
        )
        return []


class ActionAskProblemCategory(Action):
    def name(self) -> str:
        return "action_ask_problem_category"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        svc = services()
        provider_id = tracker.get_slot("problem_provider")
        try:
            provider = await svc.directory.get(provider_id) if provider_id else None
        except DeskError:
            provider = None
        if provider is None:
            dispatcher.utter_message(response="utter_directory_unreachable")
            return [SlotSet("problem_provider", None)]
        options = [f"{i}) {c.name}" for i, c in enumerate(provider.categories, start=1)]
        dispatcher.utter_message(
            response="utter_ask_problem_category",
            provider_name=provider.name,
            categories=", ".join(options),
            buttons=[
                {"title": c.name, "payload": f'/inform{{"problem_category": "{c.id}"}}'}
                for c in provider.categories
            ],
        )
        return []
