"""`python -m servicedesk`: read the environment, then serve until SIGINT/SIGTERM."""

from __future__ import annotations

import logging
import socket
import sys

from logmask import install as install_log_masking

from .config import ConfigError, Settings, load_settings
from .extra_seed import install_from


def _setup_logging() -> None:
    # Our own handler only: Sanic's loggers already print to stderr, so no root handler.
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    log = logging.getLogger("servicedesk")
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False


def _port_free(settings: Settings) -> str | None:
    """None if host:port can be bound, else the reason (checked first for a clear message)."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((settings.host, settings.port))
    except OSError as err:
        return err.strerror or str(err)
    return None


def main() -> int:
    # The desk's log lines are masked like every process of the stack (logmask imports nothing
    # of Stand-in's, so the desk stays independent of the action server).
    install_log_masking()
    try:
        settings = load_settings()
        # The whole file is checked before anything of it is added: a bad one adds nothing.
        install_from(settings.extra_seed)
    except ConfigError as err:
        # One clear line, no traceback: the launcher shows it to the person running the demo.
        print(f"servicedesk: configuration error: {err}", file=sys.stderr)
        return 2
    problem = _port_free(settings)
    if problem:
        print(
            f"servicedesk: cannot listen on {settings.host}:{settings.port} ({problem});"
            " set SERVICE_DESK_HOST/SERVICE_DESK_PORT",
            file=sys.stderr,
        )
        return 1
    _setup_logging()
    from .app import create_app

    app = create_app(settings)
    app.run(host=settings.host, port=settings.port, access_log=False, motd=False, workers=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
