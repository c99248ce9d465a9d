"""Facebook Messenger channel; credentials.yml names `connectors.facebook.FacebookInput`.
Settings come from FB_* environment variables (settings.py); replies are fitted
to Messenger by render.py and sent by client.py."""

from connectors.facebook.channel import (
    FacebookInput,
    Incoming,
    MessengerBot,
    parse_events,
    valid_signature,
)
from connectors.facebook.client import DEFAULT_GRAPH_URL, DEFAULT_GRAPH_VERSION, GraphClient
from connectors.facebook.render import MAX_BUTTONS, MAX_QUICK_REPLIES, MAX_TEXT, MAX_TITLE, render
from connectors.facebook.settings import ENV_VARS, FacebookSettings

__all__ = [
    "DEFAULT_GRAPH_URL", "DEFAULT_GRAPH_VERSION", "ENV_VARS", "FacebookInput",
    "FacebookSettings", "GraphClient", "Incoming", "MAX_BUTTONS", "MAX_QUICK_REPLIES",
    "MAX_TEXT", "MAX_TITLE", "MessengerBot", "parse_events", "render", "valid_signature",
]  # fmt: skip
