"""One module per resource; importing them registers their routes in api.ROUTES."""

from . import (  # noqa: F401  (imported for their route registrations)
    appointments,
    calls,
    meters,
    parts,
    providers,
    sim,
    system,
    tickets,
    webhooks,
)
