"""An owner on the Socket.IO channel: hold news and "take the call?" are pushed to their socket,
the channel they use, not to the callback URL."""

from __future__ import annotations

import threading
import time

import socketio

from tests.e2e.test_calls import VOLTRA, only_call


class Socket:
    """A Socket.IO client as the owner's app would be: one session, messages as they come."""

    def __init__(self, url: str) -> None:
        self.messages: list[str] = []
        self._cond = threading.Condition()
        # Python-socketio's synchronous client: the asyncio one needs a newer aiohttp than
        # Rasa 3.6 pins.
        self.client = socketio.Client(reconnection=False)
        self.client.on("bot_uttered", self._on_bot)
        self.client.connect(url, socketio_path="/socket.io", wait_timeout=20)
        # Without session persistence (see credentials.yml) the conversation is the socket id.
        self.session_id = str(self.client.get_sid())

    def _on_bot(self, data: dict) -> None:
        with self._cond:
            self.messages.append(str(data.get("text") or ""))
            self._cond.notify_all()

    def say(self, text: str) -> None:
        self.client.emit("user_uttered", {"message": text})

    def wait_for(self, fragment: str, timeout_s: float = 60) -> None:
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while not any(fragment in m for m in self.messages):
                left = deadline - time.monotonic()
                assert left > 0, f"no {fragment!r} on the socket in {timeout_s}s: {self.messages}"
                self._cond.wait(left)

    def close(self) -> None:
        self.client.disconnect()


def test_pushes_go_to_the_owners_socket(stack, call_desk):
    desk = call_desk
    socket = Socket(stack.config.rasa_url)
    who = socket.session_id
    try:
        socket.say("get me someone at Voltra about the charging port")
        socket.wait_for("I'm holding in Voltra Motors's queue")
        call = only_call(desk, VOLTRA)
        desk.post(f"/_sim/calls/{call['id']}/connect")
        socket.wait_for("Take the call?")
        socket.say("yes")
        socket.wait_for("through to your phone")
    finally:
        socket.close()
    assert only_call(desk, VOLTRA)["state"] == "transferred"
    assert stack.inbox is not None and stack.inbox.texts(who) == []  # not the callback URL
