"""Shared fixtures: a real service desk subprocess, plus a tiny sync HTTP client for it.

- `service_desk` (session): one desk for the whole run (sim control on, fixed start time).
- `desk` (function): the same desk, reset to its seeded state before the test.
- `desk_factory` (session): start extra desks with other settings; all stopped at the end.
"""

from __future__ import annotations

import json as jsonlib
import shutil
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

from launcher.processes import ManagedProcess, free_port  # noqa: E402

T = TypeVar("T")

START_TIME = "2026-11-23T09:00:00Z"  # a Monday, 09:00 UTC
MACHINE = "Stand-in/0.1.0"
BASE_ENV = {
    "SERVICE_DESK_SIM_CONTROL": "1",
    "SERVICE_DESK_START_TIME": START_TIME,
    # Fast retries and short injected timeouts keep the suite quick.
    "SERVICE_DESK_WEBHOOK_BACKOFF_S": "0.05",
    "SERVICE_DESK_WEBHOOK_MAX_ATTEMPTS": "4",
    "SERVICE_DESK_TIMEOUT_FAULT_S": "2",
}
# Every desk the tests start checks each answer it sends against its own /openapi.json and
# appends what does not match here; `desk_answers_match_openapi` fails the session on any line.
DESK_OPENAPI_VIOLATIONS = Path(tempfile.mkdtemp(prefix="servicedesk-openapi-")) / "violations.jsonl"
BASE_ENV["SERVICE_DESK_CHECK_RESPONSES"] = str(DESK_OPENAPI_VIOLATIONS)


def wait_until(
    check: Callable[[], T], timeout_s: float = 10.0, interval_s: float = 0.05, what: str = ""
) -> T:
    """Poll `check` until it returns something truthy; fail the test after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout_s}s waiting for {what or check}")
        time.sleep(interval_s)  # polling interval, not synchronisation


class DeskProcess:
    """A `python -m servicedesk` child process and a client for it."""

    def __init__(self, workdir: Path, env: Mapping[str, str] | None = None) -> None:
        workdir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.db_path = workdir / "servicedesk.sqlite3"
        self.log_path = workdir / "servicedesk.log"
        self.env = {
            **BASE_ENV,
            "SERVICE_DESK_HOST": "127.0.0.1",
            "SERVICE_DESK_PORT": str(self.port),
            "SERVICE_DESK_DB": str(self.db_path),
            **(env or {}),
        }
        self.process: ManagedProcess | None = None

    @classmethod
    def attach(cls, url: str) -> DeskProcess:
        """A client for a desk started elsewhere (e.g. by the launcher): no process, no files."""
        desk = cls.__new__(cls)
        desk.url = url.rstrip("/")
        desk.process = None
        return desk

    def start(self, timeout_s: float = 30.0) -> DeskProcess:
        self.process = ManagedProcess(
            "servicedesk", [sys.executable, "-m", "servicedesk"], self.log_path, self.env
        ).start()
        self.process.wait_for_http(f"{self.url}/health", timeout_s)
        return self

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()
            self.process = None

    def restart(self, timeout_s: float = 30.0) -> DeskProcess:
        """Stop and start again on the same port and database file."""
        self.stop()
        return self.start(timeout_s)

    def request(
        self,
        method: str,
        path: str,
        json: Any = None,
        key: str | None = None,
        headers: Mapping[str, str] | None = None,
        data: bytes | None = None,
        timeout_s: float = 15.0,
    ) -> tuple[int, dict[str, str], Any]:
        """(status, headers with lower-case names, decoded JSON body or text)."""
        hdrs = {"Accept": "application/json", **(headers or {})}
        if key is not None:
            hdrs["Authorization"] = f"Bearer {key}"
        if json is not None:
            data = jsonlib.dumps(json).encode()
        if data is not None:
            hdrs.setdefault("Content-Type", "application/json")
        req = urllib.request.Request(self.url + path, data=data, method=method, headers=hdrs)
        try:
            with urllib.request.urlopen(req, timeout=timeout_s) as resp:
                status, raw, rh = resp.status, resp.read(), resp.headers
        except urllib.error.HTTPError as err:
            status, raw, rh = err.code, err.read(), err.headers
        text = raw.decode("utf-8", "replace")
        try:
            body: Any = jsonlib.loads(text) if text else None
        except ValueError:
            body = text
        return status, {k.lower(): v for k, v in rh.items()}, body

    def get(self, path: str, key: str | None = None, **kw: Any) -> tuple[int, dict[str, str], Any]:
        return self.request("GET", path, key=key, **kw)

    def post(
        self, path: str, json: Any = None, key: str | None = None, **kw: Any
    ) -> tuple[int, dict[str, str], Any]:
        return self.request("POST", path, json=json, key=key, **kw)

    def reset(self) -> None:
        status, _, body = self.post("/_sim/reset")
        assert status == 200, body

    def advance(self, seconds: float) -> dict[str, Any]:
        status, _, body = self.post("/_sim/advance", {"seconds": seconds})
        assert status == 200, body
        return body

    def state(self) -> dict[str, Any]:
        status, _, body = self.get("/_sim/state")
        assert status == 200, body
        return body

    wait_until = staticmethod(wait_until)


@pytest.fixture(scope="session", autouse=True)
def desk_answers_match_openapi() -> Iterator[None]:
    """After the session (every desk stopped by then): no desk answered off its document."""
    yield
    if DESK_OPENAPI_VIOLATIONS.exists() and DESK_OPENAPI_VIOLATIONS.stat().st_size:
        lines = DESK_OPENAPI_VIOLATIONS.read_text(encoding="utf-8").splitlines()
        pytest.fail(
            f"{len(lines)} desk answer(s) do not match the desk's OpenAPI document"
            f" ({DESK_OPENAPI_VIOLATIONS}):\n" + "\n".join(lines[:20]),
            pytrace=False,
        )
    shutil.rmtree(DESK_OPENAPI_VIOLATIONS.parent, ignore_errors=True)


@pytest.fixture(scope="session")
def desk_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., DeskProcess]]:
    """`desk_factory(env={...}, start=True)` -> a new DeskProcess; all stopped at session end."""
    started: list[DeskProcess] = []

    def make(env: Mapping[str, str] | None = None, start: bool = True) -> DeskProcess:
        desk = DeskProcess(tmp_path_factory.mktemp("servicedesk"), env)
        started.append(desk)
        return desk.start() if start else desk

    yield make
    for desk in started:
        desk.stop()


@pytest.fixture(scope="session")
def service_desk(desk_factory: Callable[..., DeskProcess]) -> DeskProcess:
    return desk_factory()


@pytest.fixture
def desk(service_desk: DeskProcess) -> DeskProcess:
    service_desk.reset()
    return service_desk
