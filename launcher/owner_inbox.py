"""The owner's side of the `callback` channel: where Rasa pushes what Stand-in says.

Rasa's callback channel POSTs each bot message (`{"recipient_id", "text", ...}`) to one URL. A
real deployment points that URL at its messaging relay; the demo, `make run` and the tests
point it at this small receiver, which keeps every message and can print them as they come.
Given the owner's token, it takes only messages signed with it (`X-StandIn-Signature`), as a
relay should: anything else is 401 and not kept.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from rasa_addons.owner_stamp import PUSH_SIGNATURE_HEADER, push_signed


class OwnerInbox:
    """Start with `start()`, always `stop()`. Thread-safe."""

    def __init__(
        self,
        port: int = 0,
        on_message: Callable[[dict[str, Any]], None] | None = None,
        token: str | None = None,
    ) -> None:
        self._messages: list[dict[str, Any]] = []
        self._cond = threading.Condition()
        # While False the inbox answers 503 and keeps nothing, as a relay that is down would.
        self.available = True
        self._on_message = on_message
        inbox = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                if not inbox.available:
                    self.send_response(503)
                    self.end_headers()
                    return
                if token and not push_signed(token, raw, self.headers.get(PUSH_SIGNATURE_HEADER)):
                    self.send_response(401)
                    self.end_headers()
                    return
                try:
                    message = json.loads(raw)
                    if not isinstance(message, dict):
                        raise ValueError("not an object")
                except ValueError:
                    self.send_response(400)
                    self.end_headers()
                    return
                message["received_at"] = time.time()
                inbox._add(message)
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"status":"ok"}')

            def log_message(self, *args: object) -> None:
                pass  # the messages are the log

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/bot"

    def start(self) -> OwnerInbox:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _add(self, message: dict[str, Any]) -> None:
        with self._cond:
            self._messages.append(message)
            self._cond.notify_all()
        if self._on_message is not None:
            self._on_message(message)

    def messages(self, recipient: str | None = None) -> list[dict[str, Any]]:
        with self._cond:
            return [
                m for m in self._messages if recipient is None or m.get("recipient_id") == recipient
            ]

    def texts(self, recipient: str | None = None) -> list[str]:
        return [str(m.get("text") or "") for m in self.messages(recipient)]

    def wait_for(
        self,
        predicate: Callable[[list[dict[str, Any]]], bool],
        recipient: str | None = None,
        timeout_s: float = 30.0,
    ) -> list[dict[str, Any]]:
        """Block until `predicate(messages)` holds; raise TimeoutError with what arrived."""
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while True:
                found = [
                    m
                    for m in self._messages
                    if recipient is None or m.get("recipient_id") == recipient
                ]
                if predicate(found):
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    texts = [m.get("text") for m in found]
                    raise TimeoutError(f"owner inbox: condition not met in {timeout_s}s: {texts}")
                self._cond.wait(left)
