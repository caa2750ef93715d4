"""Providers, their menus, locations and support hours; the owner's account, devices and meters."""

from __future__ import annotations

from pydantic import Field

from .base import (
    Response,
)


class Category(Response):
    id: str
    name: str
    description: str


class MenuOption(Response):
    digit: str
    label: str
    topic: str
    queue: str | None = Field(None, description="Set on leaves: the queue the call joins")
    next: MenuNode | None = Field(None, description="Set on branches: the next menu")


class MenuNode(Response):
    prompt: str
    options: list[MenuOption]


MenuOption.update_forward_refs()


class SupportHours(Response):
    timezone: str
    days: list[str]
    open: str
    close: str


class Location(Response):
    id: str
    name: str
    city: str | None
    address: str
    timezone: str | None = None


class Provider(Response):
    id: str
    name: str
    aliases: list[str]
    kind: str
    phone_number: str
    categories: list[Category]
    menu: MenuNode
    support_hours: SupportHours
    average_handle_time_s: int
    typical_wait_s: int
    agents: int
    callbacks_offered: bool
    service_centres: list[Location] = Field(
        ..., description="Where the provider's customers bring what they own; parts can go there"
    )
    services: list[str] = Field(
        ..., description="The services its appointments are for, the first being the default"
    )
    technician_visits: bool
    visit_locations: list[Location] = Field(
        ..., description="Where its technicians visit (the customer's address), for appointments"
    )
    keywords: list[str] = Field(
        ...,
        description="Words for what a customer has with the provider (router, car, fridge):"
        " a customer who names one means this provider",
    )
    parts_delivery: str | None = Field(
        ...,
        description="Where parts go when the provider has no service centres (one of"
        " visit_locations' ids: parts come with the technician); null where it sends no parts",
    )
    general_category: str = Field(
        ...,
        description="Where a problem that fits no other category is filed: one of `categories`",
    )


class ProviderList(Response):
    providers: list[Provider]


class Device(Response):
    device_id: str
    kind: str
    model: str
    name: str


class LastReading(Response):
    value: float
    read_at: str


class Meter(Response):
    meter_id: str
    kind: str
    unit: str
    last_reading: LastReading


class Owner(Response):
    name: str
    phone: str


class Account(Response):
    account_id: str
    provider: str
    owner: Owner
    devices: list[Device]
    meters: list[Meter]
