"""More companies without code: a YAML file of providers, owners, accounts and parts, added to
the seeded world at start-up (SERVICE_DESK_EXTRA_SEED names the file).

The whole file is read and checked before anything is added: its own shape (every field of a
provider the desk serves, the kinds of its values, time zones that exist), then against what is
already seeded (no id, API key, name or alias used twice; every account's owner and provider, and
every catalogue's provider, known). A file with any problem adds nothing and the desk does not
start; the error names the file and each problem. The shape of the file:

    providers:            # as in seed.PROVIDERS, with `questions` as {category, question, kind}
      - id: hearthwise-heating
        name: Hearthwise Heating
        ...
    owners:               # new owners; an account may also belong to a seeded one (alex, sam)
      kim: {name: Kim Doe, phone: "+15550177"}
    accounts:             # as in seed.ACCOUNTS, by account id
      HW-5001: {owner: alex, provider: hearthwise-heating, api_key: sk-..., devices: [...]}
    parts:                # the catalogue, by provider id
      hearthwise-heating: [{sku: ..., name: ..., price: 12.5, currency: EUR, fits: [...]}]
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, Extra, Field, ValidationError, confloat, conint, constr, validator

from . import seed
from .config import ConfigError
from .models import PHONE_RE

PROVIDER_ID = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
LOCATION_ID = r"^[A-Za-z0-9][A-Za-z0-9_]*(?:-[A-Za-z0-9_]+)*$"
CLOCK = r"^(?:[01]\d|2[0-3]):[0-5]\d$|^24:00$"
Text = constr(strip_whitespace=True, min_length=1, max_length=500)


class ExtraSeedError(ConfigError):
    """The extra seed file cannot be used; the message names the file and every problem."""


class _Strict(BaseModel):
    class Config:
        extra = Extra.forbid  # a misspelt field is an error, never silently ignored


def _zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{value!r} is not a known time zone") from None
    return value


class Location(_Strict):
    id: constr(regex=LOCATION_ID)  # type: ignore[valid-type]
    name: Text  # type: ignore[valid-type]
    city: Text | None = None  # type: ignore[valid-type]
    address: Text  # type: ignore[valid-type]
    timezone: str  # slots are laid out on this clock

    _tz = validator("timezone", allow_reuse=True)(_zone)


class Category(_Strict):
    id: constr(regex=r"^[a-z0-9_]+$")  # type: ignore[valid-type]
    name: Text  # type: ignore[valid-type]
    description: str = ""


class MenuOption(_Strict):
    digit: constr(regex=r"^[0-9*#]$")  # type: ignore[valid-type]
    label: Text  # type: ignore[valid-type]
    topic: Text  # type: ignore[valid-type]
    queue: Text | None = None  # type: ignore[valid-type]
    next: Menu | None = None

    @validator("next", always=True)
    def _leaf_or_branch(cls, value: Menu | None, values: dict[str, Any]) -> Menu | None:
        if (value is None) == (values.get("queue") is None):
            raise ValueError("an option has either a queue (a leaf) or a next menu, not both")
        return value


class Menu(_Strict):
    prompt: Text  # type: ignore[valid-type]
    options: list[MenuOption] = Field(..., min_items=1)

    @validator("options")
    def _digits_once(cls, options: list[MenuOption]) -> list[MenuOption]:
        digits = [o.digit for o in options]
        if len(set(digits)) != len(digits):
            raise ValueError("each digit may lead to one option only")
        return options


MenuOption.update_forward_refs()


class SupportHours(_Strict):
    timezone: str
    days: list[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]] = Field(..., min_items=1)
    open: constr(regex=CLOCK)  # type: ignore[valid-type]
    close: constr(regex=CLOCK)  # type: ignore[valid-type]

    _tz = validator("timezone", allow_reuse=True)(_zone)


class Question(_Strict):
    category: str
    question: Text  # type: ignore[valid-type]
    kind: Literal["general", "identity"] = "general"


class Provider(_Strict):
    id: constr(regex=PROVIDER_ID, max_length=60)  # type: ignore[valid-type]
    name: Text  # type: ignore[valid-type]
    aliases: list[Text] = []  # type: ignore[valid-type]
    kind: Text  # type: ignore[valid-type]
    phone_number: constr(regex=PHONE_RE)  # type: ignore[valid-type]
    categories: list[Category] = Field(..., min_items=1)
    menu: Menu
    support_hours: SupportHours
    typical_wait_s: conint(ge=1, le=86_400)  # type: ignore[valid-type]
    average_handle_time_s: conint(ge=1, le=86_400)  # type: ignore[valid-type]
    agents: conint(ge=1, le=1000)  # type: ignore[valid-type]
    callbacks_offered: bool = False
    service_centres: list[Location] = []
    services: list[constr(regex=r"^[a-z0-9_]+$")] = []  # type: ignore[valid-type]
    technician_visits: bool = False
    visit_locations: list[Location] = []
    keywords: list[Text] = []  # type: ignore[valid-type]
    parts_delivery: str | None = None
    general_category: str  # where a problem that fits no other category is filed
    questions: list[Question] = []

    @validator("questions")
    def _known_categories(cls, questions: list[Question], values: dict[str, Any]) -> list[Question]:
        ids = {c.id for c in values.get("categories") or []}
        for q in questions:
            if q.category not in ids:
                raise ValueError(f"a question's category {q.category!r} is not a category")
        return questions

    @validator("parts_delivery")
    def _a_visit_location(cls, value: str | None, values: dict[str, Any]) -> str | None:
        visits = [loc.id for loc in values.get("visit_locations") or []]
        if value is not None and value not in visits:
            raise ValueError(f"must be one of visit_locations' ids {visits}")
        return value

    @validator("general_category")
    def _a_category(cls, value: str, values: dict[str, Any]) -> str:
        if "categories" not in values:
            return value  # the categories are wrong already, and said so
        ids = [c.id for c in values["categories"]]
        if value not in ids:
            provider = values.get("id", "the provider")
            raise ValueError(
                f"{provider}'s general_category {value!r} is not one of its categories {ids}"
            )
        return value

    def problems(self) -> list[str]:
        """What the field checks cannot see: ids used twice, services with nowhere to happen."""
        found = []
        places = [loc.id for loc in (*self.service_centres, *self.visit_locations)]
        if len(set(places)) != len(places):
            found.append(f"{self.id}: a location id is used twice")
        if self.services and not places:
            found.append(f"{self.id}: services need a service centre or a visit location")
        if len({c.id for c in self.categories}) != len(self.categories):
            found.append(f"{self.id}: a category id is used twice")
        return found

    def as_seed(self) -> dict[str, Any]:
        entry = self.dict(exclude={"questions", "menu"})
        # A leaf has no `next` at all: the desk tells a branch from a leaf by that key.
        entry["menu"] = self.menu.dict(exclude_none=True)
        entry["questions"] = [(q.category, q.question, q.kind) for q in self.questions]
        return entry


class Owner(_Strict):
    name: Text  # type: ignore[valid-type]
    phone: constr(regex=PHONE_RE)  # type: ignore[valid-type]


class Device(_Strict):
    device_id: Text  # type: ignore[valid-type]
    kind: Text  # type: ignore[valid-type]
    model: Text  # type: ignore[valid-type]
    name: Text  # type: ignore[valid-type]


class Meter(_Strict):
    meter_id: Text  # type: ignore[valid-type]
    kind: Text  # type: ignore[valid-type]
    unit: Text  # type: ignore[valid-type]
    initial_value: confloat(ge=0)  # type: ignore[valid-type]


class Account(_Strict):
    owner: str
    provider: str
    api_key: constr(min_length=8, max_length=200, regex=r"^\S+$")  # type: ignore[valid-type]
    devices: list[Device] = []
    meters: list[Meter] = []


class Part(_Strict):
    sku: Text  # type: ignore[valid-type]
    name: Text  # type: ignore[valid-type]
    price: confloat(ge=0)  # type: ignore[valid-type]
    currency: constr(regex=r"^[A-Z]{3}$") = "EUR"  # type: ignore[valid-type]
    fits: list[Text] = []  # type: ignore[valid-type]


class ExtraSeed(_Strict):
    providers: list[Provider] = []
    owners: dict[str, Owner] = {}
    accounts: dict[str, Account] = {}
    parts: dict[str, list[Part]] = {}


def _clashes(extra: ExtraSeed) -> list[str]:
    """What the file's entries share with each other or with the seeded world."""
    problems = [p for provider in extra.providers for p in provider.problems()]
    provider_ids = list(seed.PROVIDERS) + [p.id for p in extra.providers]
    for provider in extra.providers:
        if provider_ids.count(provider.id) > 1:
            problems.append(f"provider {provider.id!r} exists already")
        for other in provider_ids:
            # A slot id is SLOT-<provider>-<location>-<time>: no id may begin another's.
            if other != provider.id and (
                other.startswith(provider.id + "-") or provider.id.startswith(other + "-")
            ):
                problems.append(f"provider ids {provider.id!r} and {other!r} would mix in slot ids")
    names: dict[str, str] = {}
    for entry in [*seed.PROVIDERS.values(), *(p.dict() for p in extra.providers)]:
        for name in {entry["name"].lower(), *(a.lower() for a in entry["aliases"])}:
            if names.setdefault(name, entry["id"]) != entry["id"]:
                problems.append(f"{entry['id']}: the name or alias {name!r} is {names[name]}'s")
    owners = set(seed.OWNERS) | set(extra.owners)
    problems += [f"owner {o!r} exists already" for o in extra.owners if o in seed.OWNERS]
    keys = {a["api_key"] for a in seed.ACCOUNTS.values()}
    devices = {d["device_id"] for a in seed.ACCOUNTS.values() for d in a["devices"]}
    meters = {m["meter_id"] for a in seed.ACCOUNTS.values() for m in a["meters"]}
    for account_id, account in extra.accounts.items():
        where = f"account {account_id!r}"
        if account_id in seed.ACCOUNTS:
            problems.append(f"{where} exists already")
        if account.owner not in owners:
            problems.append(f"{where}: owner {account.owner!r} is not an owner")
        if account.provider not in provider_ids:
            problems.append(f"{where}: provider {account.provider!r} is not a provider")
        if account.api_key in keys:
            problems.append(f"{where}: its API key is another account's")
        keys.add(account.api_key)
        for device in account.devices:
            if device.device_id in devices:
                problems.append(f"{where}: device {device.device_id!r} exists already")
            devices.add(device.device_id)
        for meter in account.meters:
            if meter.meter_id in meters:
                problems.append(f"{where}: meter {meter.meter_id!r} exists already")
            meters.add(meter.meter_id)
    for provider_id, parts in extra.parts.items():
        if provider_id not in provider_ids:
            problems.append(f"parts: {provider_id!r} is not a provider")
        skus = [p["sku"] for p in seed.PARTS.get(provider_id, [])] + [p.sku for p in parts]
        if len(set(skus)) != len(skus):
            problems.append(f"parts of {provider_id!r}: a SKU is listed twice")
    return problems


def _where(loc: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in loc if part != "__root__")


def load_extra_seed(path: str | Path) -> ExtraSeed:
    """Read and check the file; ExtraSeedError names every problem found."""
    source = Path(path)
    label = f"SERVICE_DESK_EXTRA_SEED={str(path)!r}"
    try:
        raw = yaml.safe_load(source.read_text(encoding="utf-8"))
    except OSError as err:
        raise ExtraSeedError(f"{label}: cannot read it ({err.strerror or err})") from None
    except yaml.YAMLError as err:
        where = " ".join(str(err).split())  # one line: the launcher shows the first
        raise ExtraSeedError(f"{label}: not valid YAML ({where})") from None
    if not isinstance(raw, dict):
        raise ExtraSeedError(f"{label}: must be a mapping of providers, owners, accounts, parts")
    try:
        extra = ExtraSeed.parse_obj(raw)
    except ValidationError as err:
        problems = [f"{_where(e['loc'])}: {e['msg']}" for e in err.errors()]
        raise ExtraSeedError(f"{label}: " + "; ".join(problems)) from None
    problems = _clashes(extra)
    if problems:
        raise ExtraSeedError(f"{label}: " + "; ".join(problems))
    return extra


def install_extra_seed(extra: ExtraSeed) -> None:
    """Add a checked file's entries to the seeded world (the desk reads only that world)."""
    for provider in extra.providers:
        seed.PROVIDERS[provider.id] = provider.as_seed()
        seed.PARTS.setdefault(provider.id, [])
    for owner_id, owner in extra.owners.items():
        seed.OWNERS[owner_id] = owner.dict()
    for account_id, account in extra.accounts.items():
        seed.ACCOUNTS[account_id] = account.dict()
        seed.API_KEYS[account.api_key] = account_id
    for provider_id, parts in extra.parts.items():
        seed.PARTS[provider_id] = [*seed.PARTS.get(provider_id, []), *(p.dict() for p in parts)]


def install_from(path: str | None) -> ExtraSeed | None:
    """Load, check and install the file named by SERVICE_DESK_EXTRA_SEED, if any."""
    if not path:
        return None
    extra = load_extra_seed(path)
    install_extra_seed(extra)
    return extra


__all__ = ["ExtraSeed", "ExtraSeedError", "install_extra_seed", "install_from", "load_extra_seed"]
