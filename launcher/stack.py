"""Stand-in's stack: the service desk, the action server and the Rasa server, started in order.

Each part gets its port, its log file and its SQLite file from one StackConfig, so the demo,
`make run` and the end-to-end tests run the same processes the same way.
"""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from launcher.owner_inbox import OwnerInbox
from launcher.processes import PROJECT_ROOT, ManagedProcess, ProcessFailed
from launcher.tokens import new_token

DEMO_ENV_FILE = PROJECT_ROOT / "launcher" / "demo.env"


class StackError(RuntimeError):
    """The stack cannot start; the message says what to do."""


def _port(name: str, default: int) -> int:
    raw = os.environ.get(name, str(default))
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise StackError(f"{name}={raw!r} is not a TCP port number")
    return int(raw)


def owner_token() -> str:
    """STANDIN_OWNER_TOKEN, made and put in this process's environment when it is not set.

    The launcher's process is the owner's side for the demo, `make run` and the tests: the
    conversation helpers (`launcher.conversation.say`) read the token from there."""
    token = os.environ.get("STANDIN_OWNER_TOKEN", "").strip()
    if not token:
        token = os.environ["STANDIN_OWNER_TOKEN"] = new_token()
    return token


OWNER_TOKEN_FILE = "owner-token"


def keep_owner_token(var_dir: Path, token: str) -> Path:
    """Write the owner's token where `make shell` finds it (readable by this user only)."""
    var_dir.mkdir(parents=True, exist_ok=True)
    path = var_dir / OWNER_TOKEN_FILE
    path.touch(mode=0o600, exist_ok=True)
    path.chmod(0o600)
    path.write_text(token + "\n")
    return path


def demo_keys() -> dict[str, str]:
    """The desk's published demo keys, for variables the environment does not already set."""
    keys = {}
    for line in DEMO_ENV_FILE.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            name, value = line.split("=", 1)
            if not os.environ.get(name.strip()):
                keys[name.strip()] = value.strip()
    return keys


@dataclass
class StackConfig:
    var_dir: Path
    rasa_port: int = 5005
    action_port: int = 5055
    desk_port: int = 8090
    sim_control: bool = True
    desk_start_time: str | None = None
    extra_env: dict[str, str] = field(default_factory=dict)
    # Where Rasa's callback channel pushes the owner's messages; None: an owner inbox that the
    # stack starts itself (STANDIN_CALLBACK_URL in the environment wins).
    callback_url: str | None = None
    # The model Rasa serves; None: the newest in models/.
    model: Path | None = None
    # Rasa's endpoints file (tracker and lock stores, action server); None: endpoints.yml.
    endpoints: Path | None = None
    # Rasa's API token: RASA_AUTH_TOKEN from the environment, else a fresh one per stack.
    rasa_token: str = field(
        default_factory=lambda: os.environ.get("RASA_AUTH_TOKEN") or new_token(),
        repr=False,
    )
    # What Rasa shows the action server on every call (STANDIN_ACTION_TOKEN, else fresh).
    action_token: str = field(
        default_factory=lambda: os.environ.get("STANDIN_ACTION_TOKEN") or new_token(),
        repr=False,
    )
    # What the owner's side shows Rasa's rest and callback channels, and what pushes to the
    # owner inbox are signed with (STANDIN_OWNER_TOKEN, else fresh).
    owner_token: str = field(default_factory=lambda: owner_token(), repr=False)

    @classmethod
    def from_environment(cls, var_dir: Path, sim_control: bool = True) -> StackConfig:
        return cls(
            var_dir=var_dir,
            rasa_port=_port("RASA_PORT", 5005),
            action_port=_port("ACTION_SERVER_PORT", 5055),
            desk_port=_port("SERVICE_DESK_PORT", 8090),
            sim_control=sim_control,
        )

    @property
    def desk_url(self) -> str:
        return f"http://127.0.0.1:{self.desk_port}"

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"

    @property
    def action_url(self) -> str:
        return f"http://127.0.0.1:{self.action_port}"

    @property
    def desk_db(self) -> Path:
        return self.var_dir / "servicedesk.sqlite3"

    @property
    def tracker_db(self) -> Path:
        return self.var_dir / "rasa-tracker.sqlite3"

    def env(self) -> dict[str, str]:
        env = {
            "RASA_TELEMETRY_ENABLED": "false",
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "PYTHONUNBUFFERED": "1",
            "SERVICE_DESK_PORT": str(self.desk_port),
            "SERVICE_DESK_HOST": "127.0.0.1",
            "SERVICE_DESK_DB": str(self.desk_db),
            "SERVICE_DESK_SIM_CONTROL": "1" if self.sim_control else "0",
            "SERVICE_DESK_URL": self.desk_url,
            "ACTION_SERVER_PORT": str(self.action_port),
            "RASA_PORT": str(self.rasa_port),
            "RASA_AUTH_TOKEN": self.rasa_token,
            "STANDIN_ACTION_TOKEN": self.action_token,
            "STANDIN_OWNER_TOKEN": self.owner_token,
            "STANDIN_RASA_URL": self.rasa_url,
            "RASA_TRACKER_DB": str(self.tracker_db),
            "STANDIN_DB_URL": f"sqlite:///{self.var_dir / 'standin.sqlite3'}",
            **demo_keys(),
            **self.extra_env,
        }
        if self.desk_start_time:
            env["SERVICE_DESK_START_TIME"] = self.desk_start_time
        if self.callback_url:
            env["STANDIN_CALLBACK_URL"] = self.callback_url
        return env


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def latest_model(models_dir: Path = PROJECT_ROOT / "models") -> Path:
    models = sorted(models_dir.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    if not models:
        raise StackError("no trained model in models/: run `make train` (make demo does it)")
    return models[-1]


class Stack:
    """Start with `start()`, always `stop()` (it is also a context manager)."""

    def __init__(
        self,
        config: StackConfig,
        on_push: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        self.config = config
        self.inbox: OwnerInbox | None = None
        self._on_push = on_push
        self.desk: ManagedProcess | None = None
        self.actions: ManagedProcess | None = None
        self.rasa: ManagedProcess | None = None

    def __enter__(self) -> Stack:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def processes(self) -> list[ManagedProcess]:
        return [p for p in (self.rasa, self.actions, self.desk) if p is not None]

    def start(self, rasa_timeout_s: float = 240.0) -> None:
        cfg = self.config
        cfg.var_dir.mkdir(parents=True, exist_ok=True)
        for name, port in (
            ("RASA_PORT", cfg.rasa_port),
            ("ACTION_SERVER_PORT", cfg.action_port),
            ("SERVICE_DESK_PORT", cfg.desk_port),
        ):
            if not _port_is_free(port):
                raise StackError(
                    f"port {port} is already in use. Stop what listens there, or set {name}."
                )
        model = cfg.model or latest_model()
        if not cfg.callback_url and not os.environ.get("STANDIN_CALLBACK_URL"):
            self.inbox = OwnerInbox(on_message=self._on_push, token=cfg.owner_token).start()
            cfg.callback_url = self.inbox.url
        env = cfg.env()
        logs = cfg.var_dir / "logs"
        try:
            self.desk = ManagedProcess(
                "service desk", [sys.executable, "-m", "servicedesk"], logs / "servicedesk.log", env
            ).start()
            self.desk.wait_for_http(f"{cfg.desk_url}/health", timeout_s=30)
            self.actions = ManagedProcess(
                "action server",
                [sys.executable, "-m", "actions.server"],
                logs / "actions.log",
                env,
            ).start()
            self.actions.wait_for_http(f"{cfg.action_url}/health", timeout_s=90)
            self.rasa = ManagedProcess(
                "rasa server",
                [
                    sys.executable,
                    "-m",
                    "launcher.rasa_server",
                    "--model",
                    str(model),
                    "--endpoints",
                    str(cfg.endpoints or "endpoints.yml"),
                    "--credentials",
                    "credentials.yml",
                    "--port",
                    str(cfg.rasa_port),
                    # No --interface: launcher.rasa_server's loopback default is what runs.
                ],
                logs / "rasa.log",
                env,
            ).start()
            self.rasa.wait_for_http(f"{cfg.rasa_url}/", timeout_s=rasa_timeout_s)
        except ProcessFailed:
            self.stop()
            raise

    def stop(self) -> None:
        for process in self.processes:
            process.stop()
        if self.inbox is not None:
            self.inbox.stop()
            self.inbox = None
