"""The owner's preferences in conversation: read them all, or change one.

"set my spending limit to 50 euros", "quiet hours from 10pm to 7am", "turn on automatic meter
readings". Each change is validated, stored, and read back to the owner as it now stands.
"""

from __future__ import annotations

import re

from pydantic import ValidationError
from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.core.number_parsing import find_number
from actions.core.time_parsing import parse_time_range
from actions.owner.messages import latest_text, owner_stamped
from actions.owner.profile import Preferences
from actions.owner.wording import money
from actions.runtime import services
from actions.store.owner_preferences import current_preferences, update_preferences

_OFF = re.compile(r"\b(off|disable|stop|don'?t|do not|no more|never|turn off|switch off)\b", re.I)
_OTHER_CURRENCY = re.compile(r"(\$|£|\b(dollars?|usd|pounds?|gbp|lira|try)\b)", re.I)
_NO_QUIET = re.compile(r"\b(no|remove|clear|turn off|disable|cancel|delete)\b.*\bquiet", re.I)
AUTOMATIONS = {
    "meter_readings": "auto_submit_meter_readings",
    "fault_reports": "auto_report_device_faults",
}
AUTOMATION_RESPONSES = {
    ("meter_readings", True): "utter_pref_auto_meter_on",
    ("meter_readings", False): "utter_pref_auto_meter_off",
    ("fault_reports", True): "utter_pref_auto_faults_on",
    ("fault_reports", False): "utter_pref_auto_faults_off",
}


def say_preferences(dispatcher: CollectingDispatcher, prefs: Preferences, phone: str) -> None:
    if prefs.spending_limit > 0:
        dispatcher.utter_message(
            response="utter_pref_spending_limit",
            amount=money(prefs.spending_limit),
            currency=prefs.currency,
        )
    else:
        dispatcher.utter_message(response="utter_pref_spending_limit_zero")
    if prefs.quiet_hours_start:
        dispatcher.utter_message(
            response="utter_pref_quiet_hours",
            start=prefs.quiet_hours_start,
            end=prefs.quiet_hours_end,
        )
    else:
        dispatcher.utter_message(response="utter_pref_no_quiet_hours")
    for which, field in AUTOMATIONS.items():
        dispatcher.utter_message(response=AUTOMATION_RESPONSES[which, getattr(prefs, field)])
    say_callback_preference(dispatcher, prefs)
    dispatcher.utter_message(response="utter_pref_phone", phone=phone)


def say_callback_preference(dispatcher: CollectingDispatcher, prefs: Preferences) -> None:
    if not prefs.offer_callbacks:
        dispatcher.utter_message(response="utter_pref_callbacks_off")
    elif prefs.prefer_callbacks:
        dispatcher.utter_message(response="utter_pref_callbacks_preferred")
    else:
        dispatcher.utter_message(
            response="utter_pref_callbacks", threshold_min=prefs.callback_threshold_min
        )


class ActionShowPreferences(Action):
    def name(self) -> str:
        return "action_show_preferences"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        svc = services()
        say_preferences(dispatcher, await current_preferences(svc), svc.profile.owner.phone)
        return []


class ActionSetSpendingLimit(Action):
    def name(self) -> str:
        return "action_set_spending_limit"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        svc = services()
        text = latest_text(tracker)
        amount = find_number(text)
        prefs = await current_preferences(svc)
        if amount is None:
            dispatcher.utter_message(response="utter_pref_spending_limit_how_much")
            return []
        if _OTHER_CURRENCY.search(text):
            dispatcher.utter_message(
                response="utter_pref_currency_unsupported", currency=prefs.currency
            )
            return []
        if amount > prefs.spending_limit and not owner_stamped(svc.settings.owner_token, tracker):
            # A higher standing limit is a yes to spending: only the owner's own channel.
            dispatcher.utter_message(response="utter_consent_needs_owner_channel")
            return []
        try:
            prefs = await update_preferences(svc, spending_limit=amount)
        except ValidationError:
            dispatcher.utter_message(
                response="utter_pref_spending_limit_invalid", currency=prefs.currency
            )
            return []
        if prefs.spending_limit > 0:
            dispatcher.utter_message(
                response="utter_pref_spending_limit_set",
                amount=money(prefs.spending_limit),
                currency=prefs.currency,
            )
        else:
            dispatcher.utter_message(response="utter_pref_spending_limit_zero")
        return []


class ActionSetQuietHours(Action):
    def name(self) -> str:
        return "action_set_quiet_hours"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        svc = services()
        text = latest_text(tracker)
        if _NO_QUIET.search(text):
            await update_preferences(svc, quiet_hours_start=None, quiet_hours_end=None)
            dispatcher.utter_message(response="utter_pref_no_quiet_hours")
            return []
        span = parse_time_range(text)
        if span is None:
            dispatcher.utter_message(response="utter_pref_quiet_hours_how")
            return []
        start, end = (t.strftime("%H:%M") for t in span)
        await update_preferences(svc, quiet_hours_start=start, quiet_hours_end=end)
        dispatcher.utter_message(response="utter_pref_quiet_hours", start=start, end=end)
        return []


class ActionSetAutomation(Action):
    def name(self) -> str:
        return "action_set_automation"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        svc = services()
        text = latest_text(tracker)
        which = next(tracker.get_latest_entity_values("automation"), None)
        if which not in AUTOMATIONS:
            lowered = text.lower()
            which = (
                "meter_readings"
                if "meter" in lowered or "reading" in lowered
                else "fault_reports"
                if "fault" in lowered or "report" in lowered
                else None
            )
        if which is None:
            dispatcher.utter_message(response="utter_pref_automation_which")
            return []
        on = not _OFF.search(text)
        prefs = await update_preferences(svc, **{AUTOMATIONS[which]: on})
        dispatcher.utter_message(
            response=AUTOMATION_RESPONSES[which, getattr(prefs, AUTOMATIONS[which])]
        )
        return []


_NO_CALLBACKS = re.compile(
    r"\b(never|don'?t|do not|no more|stop|hate|dislike)\b.*\bcall ?backs?\b|\bjust hold\b", re.I
)
_PREFER = re.compile(r"\b(prefer|rather|always|favou?r|instead of holding)\b", re.I)
# A callback preference speaks of callbacks, waiting or holding: a number without them ("speeds
# under 2 mbps") is not a threshold, whatever the classifier read.
_ABOUT_WAITING = re.compile(
    r"\b(call ?backs?|(?:call|ring)(?:ed|ing|s)? (?:me |us )?back|wait\w*|hold\w*|hang\w* on|"
    r"on the line|queue\w*|min(?:ute)?s?)\b",
    re.I,
)


class ActionSetCallbackPreference(Action):
    """ "I prefer callbacks", "offer a callback when the wait is over 5 minutes", "never
    ask for callbacks"."""

    def name(self) -> str:
        return "action_set_callback_preference"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        svc = services()
        text = latest_text(tracker)
        threshold = find_number(text)
        if not _ABOUT_WAITING.search(text):
            dispatcher.utter_message(response="utter_default")
            return []
        if _NO_CALLBACKS.search(text):
            changes: dict[str, object] = {"offer_callbacks": False, "prefer_callbacks": False}
        elif threshold is not None:
            if threshold != int(threshold):
                dispatcher.utter_message(response="utter_pref_callback_threshold_invalid")
                return []
            changes = {
                "offer_callbacks": True,
                "prefer_callbacks": False,
                "callback_threshold_min": int(threshold),
            }
        elif _PREFER.search(text):
            changes = {"offer_callbacks": True, "prefer_callbacks": True}
        else:
            say_callback_preference(dispatcher, await current_preferences(svc))
            return []
        try:
            prefs = await update_preferences(svc, **changes)
        except ValidationError:
            dispatcher.utter_message(response="utter_pref_callback_threshold_invalid")
            return []
        say_callback_preference(dispatcher, prefs)
        return []
