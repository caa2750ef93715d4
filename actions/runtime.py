"""The action server's shared services, built once per process on first use.

Opening the case memory brings its schema to the newest migration, so the first call (the
server's start-up check) is also the migration step.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache

from actions.calls.dialer import ServiceDeskDialer
from actions.calls.tracker import CallTracker
from actions.core.settings import Settings, settings
from actions.devices.config import TelemetryConfig, telemetry_config
from actions.devices.intake import TelemetryIntake
from actions.handoff.case_feedback import CaseFeedback
from actions.handoff.catalogue import catalogue
from actions.handoff.catalogue import wait_s as handoff_wait_s
from actions.handoff.owner_hold import owner_holds
from actions.handoff.provider_questions import QuestionWatcher
from actions.handoff.registry import HandoffRegistry
from actions.owner.profile import OwnerProfile, load_profile
from actions.providers.client import ServiceDeskClient
from actions.providers.directory import ProviderDirectory
from actions.store.calls import CallStore
from actions.store.case_memory import CaseMemory
from actions.store.devices import DeviceStore
from actions.store.notices import NoticeOutbox
from actions.store.owner_preferences import owner_key
from actions.store.preferences import PreferenceStore


@dataclass(frozen=True)
class Services:
    settings: Settings
    profile: OwnerProfile
    desk: ServiceDeskClient
    directory: ProviderDirectory
    memory: CaseMemory
    notices: NoticeOutbox
    calls: CallTracker
    handoffs: HandoffRegistry
    questions: QuestionWatcher
    feedback: CaseFeedback
    telemetry_config: TelemetryConfig
    devices: DeviceStore
    telemetry: TelemetryIntake


@lru_cache(maxsize=1)
def services() -> Services:
    """Raises ConfigError (with what to fix) when the settings or the owner profile are bad."""
    config = settings()
    profile = load_profile(config.owner_profile_path)
    memory = CaseMemory(config.db_url)
    # Every request the client sends is recorded in the store's audit log.
    desk = ServiceDeskClient(config, audit=memory.record_request)
    notices = NoticeOutbox(memory.engine)
    preferences = PreferenceStore(memory.engine)
    calls = CallTracker(
        dialer=ServiceDeskDialer(desk, profile),
        store=CallStore(memory.engine, notices),
        outbox=notices,
        profile=profile,
        # The same owner key as the conversation's preferences (store.owner_preferences).
        preferences=lambda: preferences.load(owner_key(profile), profile.preferences),
        answer_timeout_s=handoff_wait_s("agent_connected", config),
        poll_interval_s=config.call_poll_s,
    )
    handoffs = HandoffRegistry(
        memory.engine, notices, catalogue(), lambda point: handoff_wait_s(point, config)
    )
    calls.handoffs = handoffs
    devices = DeviceStore(memory.engine)
    load_prefs = lambda: preferences.load(owner_key(profile), profile.preferences)  # noqa: E731
    telemetry = TelemetryIntake(
        profile=profile,
        config=telemetry_config(),
        store=devices,
        memory=memory,
        notices=notices,
        preferences=load_prefs,
        conversation_id=owner_conversation(config, profile),
        output_channel=config.notify_channel,
        token_of=lambda name: os.environ.get(name, "").strip() or None,
    )
    svc = Services(
        settings=config,
        profile=profile,
        desk=desk,
        directory=ProviderDirectory(desk, profile, config.directory_ttl_s),
        memory=memory,
        notices=notices,
        calls=calls,
        handoffs=handoffs,
        questions=QuestionWatcher(memory, handoffs, notices, profile, desk, config.notify_channel),
        feedback=CaseFeedback(memory, notices, handoffs, config.notify_channel),
        telemetry_config=telemetry_config(),
        devices=devices,
        telemetry=telemetry,
    )

    # The call tracker's timeout asks whether the owner has taken the company over before it
    # talks to the company.
    async def held(provider: str) -> bool:
        return await owner_holds(handoffs, provider) is not None

    calls.owner_holds = held
    return svc


def owner_conversation(config: Settings, profile: OwnerProfile) -> str:
    """Where news nobody asked for in a conversation goes (devices, scheduled readings)."""
    return config.owner_conversation or profile.owner.phone
