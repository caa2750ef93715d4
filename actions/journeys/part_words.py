"""What the owner's words name when parts are the subject: one of their devices, a part of a
list (by code, by the words of its name or by its number) or a service centre (by code or city)."""

from __future__ import annotations

from actions.core.slot_choice import ORDINALS
from actions.core.words import has_phrase, normalise
from actions.owner.device_words import device_words
from actions.owner.profile import Account, Device
from actions.providers.desk_models import Location, Part
from actions.providers.naming import named_provider
from actions.runtime import Services

# Words that never tell one part from another.
FILLER = {
    "a", "an", "the", "my", "for", "new", "order", "need", "i", "buy", "get", "me", "part",
    "parts", "replacement", "please", "to", "of", "and", "want", "can", "you", "one",
    "car", "fridge", "washing", "machine", "router", "it", "some",
}  # fmt: skip


def owner_devices(svc: Services) -> list[tuple[Account, Device]]:
    """Every device of the owner's, with the account it belongs to."""
    return [(a, d) for a in svc.profile.accounts for d in a.devices]


def owner_device(svc: Services, device_id: str | None) -> tuple[Account, Device] | None:
    """The owner's device `device_id` and its account, if the owner has it."""
    return next(((a, d) for a, d in owner_devices(svc) if d.id == device_id), None)


def find_device(svc: Services, text: str) -> str | None:
    """The one device of the owner's that `text` names (by id, kind, name, or the company it is
    with: "my Voltra"), else None."""
    words = normalise(text)
    devices = owner_devices(svc)
    for _, device in devices:
        if normalise(device.id) in words:
            return device.id
    company = named_provider(svc.profile, text)
    hits = {
        d.id
        for a, d in devices
        if a.provider == company or any(has_phrase(words, w) for w in device_words(d))
    }
    return hits.pop() if len(hits) == 1 else None


def device_list(svc: Services) -> str:
    return ", ".join(f"{d.name or d.kind} ({d.id})" for _, d in owner_devices(svc))


def match_part(text: str, parts: list[Part], by_number: bool) -> Part | None:
    """The one part `text` names: by SKU, by the words of its name, or by its number."""
    words = normalise(text)
    for part in parts:
        if has_phrase(words, normalise(part.sku)):
            return part
    said = {w for w in words.split() if w not in FILLER and len(w) > 2}
    scores = [(len(said & set(normalise(p.name).split())), p) for p in parts]
    best = max((s for s, _ in scores), default=0)
    top = [p for s, p in scores if s == best]
    if best > 0 and len(top) == 1:
        return top[0]
    if by_number:
        numbers = [ORDINALS[w] for w in words.split() if w in ORDINALS]
        numbers += [int(w) for w in words.split() if w.isdigit() and len(w) < 3]
        if len(numbers) == 1 and 1 <= numbers[0] <= len(parts):
            return parts[numbers[0] - 1]
    return None


def centre_from_text(text: str, centres: list[Location]) -> str | None:
    """The service centre `text` names, by its code or its city."""
    words = normalise(text)
    for centre in centres:
        if has_phrase(words, normalise(centre.id)) or (
            centre.city and has_phrase(words, normalise(centre.city))
        ):
            return centre.id
    return None


def centre_places(centres: list[Location]) -> list[str]:
    """How the owner knows the centres: by city ("Lisbon"), else by name."""
    return [c.city or c.name or c.id for c in centres]
