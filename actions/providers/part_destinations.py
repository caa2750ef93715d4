"""Where an ordered part goes, as the owner hears it: one of the provider's service centres
(as the directory lists them), else the owner's home."""

from __future__ import annotations

from actions.providers.desk_errors import DeskError
from actions.providers.desk_models import Location, Provider
from actions.providers.directory import ProviderDirectory

HOME = "your home"


def centre_label(provider: Provider, centre: Location) -> str:
    """ "Voltra Lisbon (SC-LIS-1)": the company's short name, the centre's city and its code."""
    return f"{provider.short_name} {centre.city or centre.name} ({centre.id})"


def destination(provider: Provider | None, code: str | None) -> str:
    """How the owner hears where the part goes: a service centre of `provider`, else home."""
    if provider is None or not code:
        return HOME
    centre = next((c for c in provider.service_centres if c.id == code), None)
    return centre_label(provider, centre) if centre else HOME


async def destination_of(directory: ProviderDirectory, provider_id: str, code: str | None) -> str:
    """`destination`, with the provider read from the directory. Without the directory the
    code itself is said: better than calling a service centre "your home"."""
    try:
        provider = await directory.get(provider_id)
    except DeskError:
        return code or HOME
    return destination(provider, code)
