"""One managed child process: start it, wait until it answers over HTTP, stop it for sure.

Used by the demo, `make run` and the tests, so every caller shuts its children down the same
way and nobody synchronises on sleeps.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class ProcessFailed(RuntimeError):
    """A child exited or never became ready; the message carries the tail of its log."""


def free_port() -> int:
    """Ask the kernel for a free TCP port on loopback."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ManagedProcess:
    """A subprocess in its own process group, with its output going to a log file."""

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        log_path: Path,
        env: Mapping[str, str] | None = None,
        cwd: Path = PROJECT_ROOT,
    ) -> None:
        self.name = name
        self.argv = list(argv)
        self.log_path = log_path
        self.env = {**os.environ, **(env or {})}
        self.cwd = cwd
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def start(self) -> ManagedProcess:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "ab")
        # A new session, so stop() can signal the whole group (Rasa forks helpers).
        self._proc = subprocess.Popen(
            self.argv,
            cwd=self.cwd,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self

    def is_running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def wait_for_http(self, url: str, timeout_s: float, expect_status: int = 200) -> None:
        """Poll `url` until it answers `expect_status`, the process dies, or time runs out."""
        deadline = time.monotonic() + timeout_s
        last_error = "no answer yet"
        while time.monotonic() < deadline:
            if not self.is_running():
                raise ProcessFailed(
                    f"{self.name} exited with code {self._proc.returncode if self._proc else '?'}"
                    f" before it was ready. Log tail ({self.log_path}):\n{self.log_tail()}"
                )
            try:
                with urllib.request.urlopen(url, timeout=2) as resp:
                    if resp.status == expect_status:
                        return
                    last_error = f"status {resp.status}"
            except urllib.error.HTTPError as err:
                if err.code == expect_status:
                    return
                last_error = f"status {err.code}"
            except (urllib.error.URLError, OSError) as err:
                last_error = str(err)
            # Polling interval, not synchronisation: the loop ends on the condition above.
            time.sleep(0.2)
        raise ProcessFailed(
            f"{self.name} was not ready at {url} within {timeout_s:.0f}s ({last_error})."
            f" Log tail ({self.log_path}):\n{self.log_tail()}"
        )

    def stop(self, timeout_s: float = 15.0) -> None:
        """SIGTERM the group, then SIGKILL whatever is left after `timeout_s`."""
        proc = self._proc
        if proc is not None and proc.poll() is None:
            for sig, wait_s in ((signal.SIGTERM, timeout_s), (signal.SIGKILL, 5.0)):
                try:
                    os.killpg(proc.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    proc.wait(timeout=wait_s)
                    break
                except subprocess.TimeoutExpired:
                    continue
        if proc is not None:
            # Children that outlived the leader (same group) get no second chance.
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        if self._log is not None:
            self._log.close()
            self._log = None
