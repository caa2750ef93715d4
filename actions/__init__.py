"""Stand-in's custom actions, run by the Rasa SDK action server (`python -m actions.server`).

One package per capability, each importing only itself and those below it (`make imports`):
core, owner, providers, store, notify, handoff, devices, calls, journeys. `runtime` builds the
shared services; `server` is the entry point. See docs/architecture.md.
"""

from actions.core.version import __version__
from actions.providers.log_masking import install_log_masking

__all__ = ["__version__"]

# Owner identifiers never reach a log line in clear, whichever library logs them.
install_log_masking()
