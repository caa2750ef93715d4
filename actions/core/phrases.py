"""Short phrases that fill a response's parameters ("took the call"), kept as responses in
the domain so that every word the owner sees can be translated there."""

from __future__ import annotations

from rasa_sdk.types import DomainDict


def response_text(domain: DomainDict, name: str) -> str:
    """The text of the response `name` (its first variant), to use as a parameter."""
    variants = (domain.get("responses") or {}).get(name) or [{}]
    return str(variants[0].get("text", ""))


def phrase(domain: DomainDict, table: dict[str, str], key: str | None, default: str) -> str:
    """The text of the response `table[key]` (or `table[default]`), to use as a parameter."""
    return response_text(domain, table.get(key or "", table[default]))
