"""Rasa's `rest` and `callback` channels with the owner's credential checked and stamped.

Stock Rasa's REST and callback channels take any sender id from anyone who can reach the port,
so anyone on the network could write as the owner and say "yes" to a cost. These two keep
the stock URLs (`/webhooks/rest/webhook`, `/webhooks/callback/webhook`), bodies and replies,
and add:
- the owner's token (`STANDIN_OWNER_TOKEN`, as `Authorization: Bearer …` or `?token=`, which
  Rasa's console client sends) is required: without it 401, and nothing reaches Rasa;
- the body is checked (a JSON object, `sender` and `message` non-empty strings within limits,
  `metadata` an object if present): anything else is 400, and nothing reaches Rasa;
- each message is stamped (`rasa_addons.owner_stamp`), so the action server can tell the
  owner's own words from anything another channel let through;
- what the callback channel pushes is signed with the token, and a push the owner's relay does
  not take (no answer, or not 2xx) fails the turn instead of vanishing: a notice triggered
  through Rasa's API is then answered 500 and retried by the action server, never marked said.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from rasa.core.channels.rest import QueueOutputChannel, RestInput
from rasa.shared.exceptions import RasaException
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from rasa_addons.owner_stamp import (
    MIN_TOKEN_LENGTH,
    PUSH_SIGNATURE_HEADER,
    STAMP_KEY,
    sign_push,
    stamp,
    token_matches,
)

logger = logging.getLogger(__name__)

MAX_SENDER_LENGTH = 255
# Far above anything typed or dictated (the desk takes 5,000 characters of description, and
# Stand-in asks for a shorter one when it is more), far below what would burden NLU.
MAX_MESSAGE_LENGTH = 20000
PUSH_TIMEOUT_S = 10.0
DONE = "DONE"  # the end of a streamed turn, as Rasa's own rest channel marks it


class PushFailed(RuntimeError):
    """The owner's relay did not take a pushed message."""


def _token_from(credentials: dict[str, Any] | None, channel: str) -> str:
    token = str((credentials or {}).get("token") or "").strip()
    if len(token) < MIN_TOKEN_LENGTH:
        raise RasaException(
            f"the {channel} channel needs the owner's token: set STANDIN_OWNER_TOKEN"
            f" ({MIN_TOKEN_LENGTH} characters or more)"
        )
    return token


def _presented(request: Request) -> str | None:
    header = request.headers.get("Authorization") or ""
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return request.args.get("token")


def _refusal(status: int, code: str, message: str) -> HTTPResponse:
    return response.json({"error": {"code": code, "message": message}}, status=status)


def _parsed(request: Request) -> tuple[str, str, dict[str, Any]] | HTTPResponse:
    """(sender, text, metadata) from the body, or the 400 that says what is wrong."""
    try:
        body = json.loads(request.body or b"")
    except ValueError:
        return _refusal(400, "invalid_json", "the body is not JSON")
    if not isinstance(body, dict):
        return _refusal(400, "invalid_body", "the body must be a JSON object")
    sender, text, metadata = body.get("sender"), body.get("message"), body.get("metadata")
    if not isinstance(sender, str) or not sender.strip() or len(sender) > MAX_SENDER_LENGTH:
        return _refusal(
            400, "invalid_sender", f"sender must be a string of 1 to {MAX_SENDER_LENGTH} characters"
        )
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_MESSAGE_LENGTH:
        return _refusal(
            400,
            "invalid_message",
            f"message must be a non-empty string of at most {MAX_MESSAGE_LENGTH} characters",
        )
    if metadata is not None and not isinstance(metadata, dict):
        return _refusal(400, "invalid_metadata", "metadata must be a JSON object")
    # The stamp and Stand-in's own keys are the channel's to set, never the client's.
    kept = {k: v for k, v in (metadata or {}).items() if not str(k).startswith("standin")}
    return sender, text, kept


def owner_message(
    token: str,
    text: str,
    output: CollectingOutputChannel,
    sender: str,
    channel: str,
    metadata: dict[str, Any],
) -> UserMessage:
    """A message the channel took with the owner's token, stamped as such."""
    message = UserMessage(
        text,
        output,
        sender,
        input_channel=channel,
        message_id=uuid.uuid4().hex,
        metadata=dict(metadata),
    )
    message.metadata[STAMP_KEY] = stamp(token, message.sender_id, message.message_id, message.text)
    return message


class OwnerRestInput(RestInput):
    """`rest`: replies come back in the HTTP answer (or streamed, with `?stream=true`)."""

    @classmethod
    def name(cls) -> str:
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        return cls(_token_from(credentials, cls.name()))

    def __init__(self, token: str) -> None:
        self.token = token

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint(f"owner_{self.name()}_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> Any:
            if not token_matches(self.token, _presented(request)):
                return _refusal(401, "unauthorized", "the owner's token is required")
            parsed = _parsed(request)
            if isinstance(parsed, HTTPResponse):
                return parsed
            return await self.take(request, on_new_message, *parsed)

        return webhook

    async def take(
        self,
        request: Request,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        sender: str,
        text: str,
        metadata: dict[str, Any],
    ) -> Any:
        if request.args.get("stream", "").lower() == "true":
            return response.stream(
                self._stream(on_new_message, text, sender, metadata),
                content_type="text/event-stream",
            )
        collector = CollectingOutputChannel()
        await on_new_message(
            owner_message(self.token, text, collector, sender, self.name(), metadata)
        )
        return response.json(collector.messages)

    def _stream(
        self,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        text: str,
        sender: str,
        metadata: dict[str, Any],
    ) -> Callable[[Any], Awaitable[None]]:
        """Rasa's console client reads replies as JSON lines while the turn runs."""

        async def stream(resp: Any) -> None:
            queue: asyncio.Queue = asyncio.Queue()

            async def turn() -> None:
                output = QueueOutputChannel(queue)
                try:
                    await on_new_message(
                        owner_message(self.token, text, output, sender, self.name(), metadata)
                    )
                finally:
                    await queue.put(DONE)

            task = asyncio.ensure_future(turn())
            while (message := await queue.get()) != DONE:
                await resp.write(json.dumps(message) + "\n")
            await task

        return stream


class SignedCallbackOutput(CollectingOutputChannel):
    """Pushes each message to the owner's relay, signed; a push not taken raises PushFailed."""

    @classmethod
    def name(cls) -> str:
        return "callback"

    def __init__(self, url: str, token: str) -> None:
        super().__init__()
        self.url = url
        self.token = token
        self._notice_id: Any = None

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        # A notice's id rides along (the action server puts it on each of its messages), so
        # the relay can drop the repeat of a notice whose first push it took but Rasa did not
        # learn of.
        self._notice_id = message.get("notice_id")
        try:
            await super().send_response(recipient_id, message)
        finally:
            self._notice_id = None

    async def _persist_message(self, message: dict[str, Any]) -> None:
        if self._notice_id is not None:
            message = {**message, "notice_id": self._notice_id}
        await super()._persist_message(message)
        body = json.dumps(message).encode()
        headers = {
            "Content-Type": "application/json",
            PUSH_SIGNATURE_HEADER: sign_push(self.token, body),
        }
        timeout = aiohttp.ClientTimeout(total=PUSH_TIMEOUT_S)
        try:
            async with aiohttp.ClientSession(timeout=timeout) as session:
                async with session.post(self.url, data=body, headers=headers) as resp:
                    await resp.read()
                    status = resp.status
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as err:
            raise PushFailed(f"the owner's relay was not reached: {type(err).__name__}") from err
        if not 200 <= status < 300:
            raise PushFailed(f"the owner's relay answered {status}")


class OwnerCallbackInput(OwnerRestInput):
    """`callback`: the owner's messages come in over HTTP; every reply, and every message
    Stand-in sends on its own, is pushed to the relay at `url` (STANDIN_CALLBACK_URL)."""

    @classmethod
    def name(cls) -> str:
        return "callback"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        url = str((credentials or {}).get("url") or "").strip()
        if not url.startswith(("http://", "https://")):
            raise RasaException(
                "the callback channel needs the relay's URL: set STANDIN_CALLBACK_URL"
            )
        return cls(url, _token_from(credentials, cls.name()))

    def __init__(self, url: str, token: str) -> None:
        super().__init__(token)
        self.url = url

    async def take(
        self,
        request: Request,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        sender: str,
        text: str,
        metadata: dict[str, Any],
    ) -> Any:
        message = owner_message(
            self.token, text, self.get_output_channel(), sender, self.name(), metadata
        )
        try:
            await on_new_message(message)
        except PushFailed as err:
            # The turn ran (what it sent to a company is idempotent on a resend), but the
            # owner did not get its answer: say so, so the relay can send the message again.
            logger.error("a reply to %s was not pushed: %s", sender, err)
            return _refusal(502, "push_failed", f"the reply could not be delivered: {err}")
        return response.text("success")

    def get_output_channel(self) -> CollectingOutputChannel:
        return SignedCallbackOutput(self.url, self.token)
