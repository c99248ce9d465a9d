"""Messenger settings, from the environment only (never credentials.yml).

FB_VERIFY_TOKEN, FB_APP_SECRET, FB_PAGE_ACCESS_TOKEN; FB_GRAPH_URL (default
https://graph.facebook.com) and FB_GRAPH_VERSION (default below) only for tests.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass

from connectors.facebook.client import DEFAULT_GRAPH_URL, DEFAULT_GRAPH_VERSION

logger = logging.getLogger(__name__)

ENV_VARS = ("FB_VERIFY_TOKEN", "FB_APP_SECRET", "FB_PAGE_ACCESS_TOKEN")


@dataclass(frozen=True)
class FacebookSettings:
    verify_token: str
    app_secret: str
    page_token: str
    graph_url: str | None = None
    graph_version: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "graph_url", self.graph_url or DEFAULT_GRAPH_URL)
        object.__setattr__(self, "graph_version", self.graph_version or DEFAULT_GRAPH_VERSION)

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> FacebookSettings:
        settings = cls(*(env.get(name, "") for name in ENV_VARS),
                       env.get("FB_GRAPH_URL"), env.get("FB_GRAPH_VERSION"))  # fmt: skip
        if not settings.configured:
            logger.info(
                "Facebook channel not configured (set %s); its webhook answers 503",
                ", ".join(settings.missing()),
            )
        return settings

    @property
    def configured(self) -> bool:
        return bool(self.verify_token and self.app_secret and self.page_token)

    def missing(self) -> list[str]:
        values = (self.verify_token, self.app_secret, self.page_token)
        return [name for name, value in zip(ENV_VARS, values, strict=True) if not value]
