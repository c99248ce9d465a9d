"""Rasa's socket.io channel with working `session_persistence`.

Rasa 3.6's `session_request` handler calls `sio.enter_room()` without `await`.
Since python-socketio 5.10 that method is a coroutine, so the socket never
joins the room named after the session id and every reply to a persistent
session is lost (Rasa issue 13027). This channel re-registers that
handler and awaits the call. It also re-registers the message handler, which
in Rasa fails silently on anything but a well-formed message: here a bad
payload or an invalid session id gets a polite reply, and the text goes
through the shared inbound path (connectors/inbound.py).

credentials.yml:
    connectors.socketio.SocketIOInput:
      user_message_evt: user_uttered
      bot_message_evt: bot_uttered
      session_persistence: true
"""

from __future__ import annotations

import inspect
import re
import uuid
from typing import Any

from rasa.core.channels.socketio import SocketIOInput as RasaSocketIOInput
from rasa.core.channels.socketio import SocketIOOutput
from sanic import Blueprint

from connectors import inbound
from content import load

# Session ids become tracker keys: accept what this channel hands out (uuid4
# hex) and other plain ids, mint a new one for anything else.
VALID_SESSION_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")


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

        @sio.on("session_request", namespace=self.namespace)
        async def session_request(sid: str, data: dict | None) -> None:
            session_id = (data or {}).get("session_id")
            if not (isinstance(session_id, str) and VALID_SESSION_ID.fullmatch(session_id)):
                session_id = uuid.uuid4().hex
            if self.session_persistence:
                joined = sio.enter_room(sid, session_id, namespace=self.namespace)
                if inspect.isawaitable(joined):  # a coroutine since python-socketio 5.10
                    await joined
            await sio.emit("session_confirm", session_id, room=sid, namespace=self.namespace)

        @sio.on(self.user_message_evt, namespace=self.namespace)
        async def handle_message(sid: str, data: Any) -> None:
            output = Output(sio, self.bot_message_evt)
            data = data if isinstance(data, dict) else {}
            sender_id = sid
            if self.session_persistence:
                sender_id = data.get("session_id")
                if not (isinstance(sender_id, str) and VALID_SESSION_ID.fullmatch(sender_id)):
                    await output.send_text_message(sid, load().message("session_invalid"))
                    return
            text = data.get("message")
            await inbound.handle(on_new_message, output, self.name(), sender_id, text)

        return blueprint

    def get_output_channel(self) -> Output | None:
        return Output(self.sio, self.bot_message_evt) if self.sio else None
