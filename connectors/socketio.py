"""Rasa's socket.io channel, with web sessions that belong to their page.

Rasa 3.6 puts a caller into whatever room (`session_id`) it names, so anyone
who learns or guesses an id reads and drives that conversation. Here:
- the server issues every session id, with a token (an HMAC of the id under
  WEB_SESSION_SECRET) that only the page holding it can show; a reconnect
  with a wrong or missing token gets a new session (sessions.py);
- a message is taken for the session its socket was confirmed in, never for
  an id the message names;
- connections are accepted only from the chat page's origins (WEB_ORIGINS,
  comma-separated; by default any page served from this machine);
- `enter_room()` is awaited (a coroutine since python-socketio 5.10; Rasa
  issue 13027), custom JSON is emitted as the payload, and a bad payload gets
  a polite reply; the text goes through the shared inbound path.

credentials.yml:
    connectors.socketio.SocketIOInput:
      user_message_evt: user_uttered
      bot_message_evt: bot_uttered
      session_persistence: true
"""

from __future__ import annotations

import inspect
import json
import logging
import os
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from rasa.core.channels.socketio import SocketIOInput as RasaSocketIOInput
from rasa.core.channels.socketio import SocketIOOutput
from sanic import Blueprint

from addons.limits import MAX_BODY_BYTES, MAX_JSON_DEPTH, too_deep
from connectors import inbound, sessions
from content import load

logger = logging.getLogger(__name__)

LOCAL_HOSTS = {"localhost", "127.0.0.1", "[::1]", "::1"}


def origin_check(web_origins: str) -> Callable[[str | None], bool]:
    """WEB_ORIGINS (comma-separated) if set, else pages served from this machine."""
    listed = {o.strip().rstrip("/") for o in web_origins.split(",")} - {""}

    def allowed(origin: str | None) -> bool:
        if not origin:  # not a browser: nothing to protect by origin, tokens still apply
            return True
        if listed:
            return origin.rstrip("/") in listed
        return urlsplit(origin).hostname in LOCAL_HOSTS

    return allowed


class DepthCheckedJSON:
    """The JSON module socket.io decodes packets with, refusing deep nesting
    before parsing (addons/limits.py does the same for HTTP bodies): the packet
    is dropped with one log line instead of a RecursionError traceback."""

    dumps = staticmethod(json.dumps)

    @staticmethod
    def loads(text: str | bytes, **kwargs: Any) -> Any:
        raw = text.encode("utf-8", "replace") if isinstance(text, str) else text
        if too_deep(raw):
            raise ValueError(f"socket.io packet nested deeper than {MAX_JSON_DEPTH} levels")
        return json.loads(text, **kwargs)


class Output(SocketIOOutput):
    """Rasa's output, with custom JSON sent as the event's payload.

    Rasa 3.6 calls `sio.emit(event, **json_message)`, which python-socketio 5
    refuses (TypeError on any unknown key such as `erased`): the message is
    lost and the turn is not saved.
    """

    async def send_custom_json(
        self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any
    ) -> None:
        await self.sio.emit(self.bot_message_evt, json_message, room=recipient_id)


class SocketIOInput(RasaSocketIOInput):
    @classmethod
    def name(cls) -> str:
        # Same name as Rasa's channel: trackers and analytics see "socketio".
        return "socketio"

    def blueprint(self, on_new_message: inbound.OnNewMessage) -> Blueprint:
        blueprint = super().blueprint(on_new_message)
        sio = self.sio
        # Checked by engineio before a connection is accepted.
        sio.eio.cors_allowed_origins = origin_check(os.environ.get("WEB_ORIGINS", ""))
        sio.eio.max_http_buffer_size = MAX_BODY_BYTES
        sio.packet_class.json = DepthCheckedJSON
        signer = sessions.Signer.from_env()
        confirmed: dict[str, str] = {}  # socket id -> its session id

        @sio.on("disconnect", namespace=self.namespace)
        async def disconnect(sid: str) -> None:
            confirmed.pop(sid, None)

        @sio.on("session_request", namespace=self.namespace)
        async def session_request(sid: str, data: Any) -> None:
            data = data if isinstance(data, dict) else {}
            session_id = signer.reuse(data.get("session_id"), data.get("session_token"))
            if session_id is None:
                session_id = signer.new_id()
            confirmed[sid] = session_id
            if self.session_persistence:
                joined = sio.enter_room(sid, session_id, namespace=self.namespace)
                if inspect.isawaitable(joined):  # a coroutine since python-socketio 5.10
                    await joined
            reply = {"session_id": session_id, "session_token": signer.token(session_id)}
            await sio.emit("session_confirm", reply, room=sid, namespace=self.namespace)

        @sio.on(self.user_message_evt, namespace=self.namespace)
        async def handle_message(sid: str, data: Any) -> None:
            output = Output(sio, self.bot_message_evt)
            data = data if isinstance(data, dict) else {}
            sender_id = confirmed.get(sid) if self.session_persistence else sid
            if sender_id is None:
                await output.send_text_message(sid, load().message("session_invalid"))
                return
            text = data.get("message")
            await inbound.handle(on_new_message, output, self.name(), sender_id, text)

        return blueprint

    def get_output_channel(self) -> Output | None:
        return Output(self.sio, self.bot_message_evt) if self.sio else None
