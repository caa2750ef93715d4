"""Stand-in's custom actions, run by the Rasa SDK action server (`rasa run actions`).

Modules are split by job: settings, owner profile, service-desk client, provider directory,
problem inference, and one module per capability (service_requests, ...).
"""

from actions.core.version import __version__
from actions.providers.log_masking import install_log_masking

__all__ = ["__version__"]

# Owner identifiers never reach a log line in clear, whichever library logs them.
install_log_masking()
