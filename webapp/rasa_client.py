"""Talking to the Rasa server's REST channel: one pooled HTTP client per process, bounded waits."""

from __future__ import annotations

import logging
from typing import Any

import httpx

logger = logging.getLogger(__name__)

REST_WEBHOOK_PATH = "/webhooks/rest/webhook"


class AssistantUnavailable(RuntimeError):
    """Rasa could not be reached, timed out, or answered with something other than a reply list."""


class RasaClient:
    """Forwards one subscriber message to Rasa and returns Rasa's list of bot messages."""

    def __init__(
        self,
        base_url: str,
        *,
        api_token: str | None = None,
        connect_timeout_s: float = 3.0,
        read_timeout_s: float = 30.0,
        connect_retries: int = 2,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._params = {"token": api_token} if api_token else {}
        # The transport's retries cover only failures to connect: a message that reached Rasa is never
        # sent twice, because a second delivery would run the user's turn (and any account change) twice.
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            timeout=httpx.Timeout(
                read_timeout_s, connect=connect_timeout_s, write=5.0, pool=connect_timeout_s
            ),
            transport=transport or httpx.AsyncHTTPTransport(retries=connect_retries),
            limits=httpx.Limits(max_connections=50, max_keepalive_connections=10),
        )

    async def send(self, sender_id: str, message: str, metadata: dict[str, Any]) -> list[dict[str, Any]]:
        body = {"sender": sender_id, "message": message, "metadata": metadata}
        try:
            response = await self._http.post(REST_WEBHOOK_PATH, json=body, params=self._params)
        except httpx.TimeoutException as exc:
            logger.warning("Rasa at %s timed out for conversation %s: %r", self.base_url, sender_id, exc)
            raise AssistantUnavailable("the assistant did not answer in time") from exc
        except httpx.HTTPError as exc:
            logger.warning("Rasa at %s unreachable for conversation %s: %r", self.base_url, sender_id, exc)
            raise AssistantUnavailable("the assistant could not be reached") from exc
        if response.status_code != 200:
            logger.warning(
                "Rasa at %s answered HTTP %s for conversation %s: %.200s",
                self.base_url,
                response.status_code,
                sender_id,
                response.text,
            )
            raise AssistantUnavailable(f"the assistant answered HTTP {response.status_code}")
        try:
            replies = response.json()
        except ValueError as exc:
            raise AssistantUnavailable("the assistant's answer was not JSON") from exc
        if not isinstance(replies, list):
            raise AssistantUnavailable("the assistant's answer was not a list of messages")
        return [reply for reply in replies if isinstance(reply, dict)]

    async def aclose(self) -> None:
        await self._http.aclose()
