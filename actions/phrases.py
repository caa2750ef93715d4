"""Short phrases that fill a response's parameters ("took the call"), kept as responses in
the domain so that every word the owner sees can be translated there."""

from __future__ import annotations

from rasa_sdk.types import DomainDict


def phrase(domain: DomainDict, table: dict[str, str], key: str | None, default: str) -> str:
    """The text of the response `table[key]` (or `table[default]`), to use as a parameter."""
    name = table.get(key or "", table[default])
    variants = (domain.get("responses") or {}).get(name) or [{}]
    return str(variants[0].get("text", ""))
