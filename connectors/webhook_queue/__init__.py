"""Durable webhook events: stored before the 200, handled once, by any replica.

Zalo and Messenger never resend an event we answered 200, so a channel first
stores the event (table `webhook_events`, in the tracker store's database:
SQLite `rasa.db` in the single-machine profile, PostgreSQL in the cluster),
then answers 200; a worker in every Rasa process claims stored events and
handles them. An event's id is unique per channel, so a redelivery, or a
replayed signed body, is dropped for as long as the row is kept (KEEP_SECONDS).

Claiming: only the oldest pending event of each sender can be claimed (per-user
order), by one process at a time, with a lease renewed while it is handled. A
process killed mid-event leaves it pending; its lease expires and any replica
takes it (at start-up in the single-process SQLite profile, at once). Taken up
again, an event whose turn was never saved is answered as usual; one whose
turn was saved before any reply left gets the replies saved in the tracker
(no second turn); one marked `replying` (its first reply was on its way) is
not answered again, so nobody gets a step twice, at the risk of losing that
one reply.

Only masked text is stored (inbound.prepare), and it is blanked once handled:
what stays for KEEP_SECONDS is the channel, the event id and the sender id.
"""

from connectors.webhook_queue.store import (
    EVENTS,
    KEEP_SECONDS,
    LEASE_SECONDS,
    MAX_ATTEMPTS,
    POLL_SECONDS,
    WebhookQueue,
    depth,
    event_key,
)
from connectors.webhook_queue.worker import (
    NON_TEXT,
    Worker,
    answer,
    engine_of,
    saved_replies,
    start,
    text_payload,
)

__all__ = [
    "EVENTS", "KEEP_SECONDS", "LEASE_SECONDS", "MAX_ATTEMPTS", "NON_TEXT", "POLL_SECONDS",
    "WebhookQueue", "Worker", "answer", "depth", "engine_of", "event_key",
    "saved_replies", "start", "text_payload",
]  # fmt: skip
