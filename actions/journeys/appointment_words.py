"""What the owner's words say about an appointment: which company (by its name, or by a thing
the owner has there, as the directory's keywords and the owner's devices name it) and which of
the services that company books (words that name a kind of service are language, kept here by
service id; which services a company offers comes from the directory)."""

from __future__ import annotations

import re

from actions.core.words import has_phrase, normalise
from actions.journeys.part_words import centre_from_text
from actions.providers.desk_errors import DeskError
from actions.runtime import Services

# Words that name a kind of service, by the service's id (which companies offer which service
# comes from the provider directory). A service not listed here is named by its id's words.
SERVICE_WORDS: dict[str, tuple[str, ...]] = {
    "repair": ("repair", "fix"),
    "maintenance": ("maintenance", "service", "servicing", "inspection", "check up"),
    "tyre_change": ("tyre", "tyres", "tire", "tires"),
    "installation": ("install", "installation", "installing", "set up"),
}
# Services that fix a fault: a booking for one that describes the fault opens a ticket for it
# first, so the company knows what the visit is for (appointment_actions).
FAULT_SERVICES = {"repair", "technician_visit"}
# Words that ask for someone to come out, said with a report ("report it and get a technician
# out"): the booking follows the ticket (open_ticket).
VISIT_WORDS = (
    "technician out",
    "engineer out",
    "get a technician",
    "send a technician",
    "get an engineer",
    "send an engineer",
    "someone out",
    "somebody out",
    "someone to come",
    "send someone",
    "come and fix",
    "come and look",
    "book a visit",
    "book a repair",
    "repair visit",
    "book an appointment",
)
# Words that arrange a visit or name its place rather than its service ("set up a visit", "the
# Lisbon service centre"), taken out before the service words are read.
ARRANGING = re.compile(
    r"\bset up (?:a |an |the )?(?:visit|appointment|booking|time|slot)\b"
    r"|\bservice (?:centre|center|station|point)s?\b"  # a place, not a maintenance service
)
# Services whose words ("fix", "repair") also come with a more specific one ("fix the tyres").
GENERIC_SERVICES = {"repair"}


async def infer_provider(svc: Services, text: str) -> str | None:
    """The one provider `text` points to by name or by a thing the owner has there."""
    words = normalise(text)
    if not words:
        return None
    try:
        named = await svc.directory.match(text)
    except DeskError:
        named = None
    if named is not None:
        return named.id
    hits = set()
    for account in svc.profile.accounts:
        try:
            things = await svc.directory.keywords(account.provider)
        except DeskError:
            things = []
        for device in account.devices:
            things += [normalise(device.kind.replace("_", " ")), normalise(device.name)]
        if any(t and has_phrase(words, t) for t in things):
            hits.add(account.provider)
    return hits.pop() if len(hits) == 1 else None


def service_words(service: str) -> tuple[str, ...]:
    """The words that name `service`: its own ("tyre change"), and those of SERVICE_WORDS."""
    return (*SERVICE_WORDS.get(service, ()), normalise(service.replace("_", " ")))


def infer_service(offered: list[str], text: str) -> str | None:
    """The service of `offered` (a provider's, the default first) that `text` names, else the
    default; None if the provider offers none."""
    if not offered:
        return None
    # "set up a visit" arranges the visit; only "set up the dishwasher" names an installation.
    words = ARRANGING.sub(" ", normalise(text))
    named = [s for s in offered if any(has_phrase(words, w) for w in service_words(s))]
    # "fix the tyres" names a repair and a tyre change: the more specific service wins.
    specific = [s for s in named if s not in GENERIC_SERVICES]
    return (specific or named or offered)[0]


async def offered_services(svc: Services, provider: str) -> list[str] | None:
    """The services `provider` books, from the directory; None when it cannot be read."""
    try:
        return await svc.directory.services(provider)
    except DeskError:
        return None


async def infer_place(svc: Services, provider: str, text: str) -> str | None:
    """The provider's service centre `text` names (by code or city), if any."""
    try:
        company = await svc.directory.get(provider)
    except DeskError:
        return None
    return centre_from_text(text, company.service_centres) if company else None
