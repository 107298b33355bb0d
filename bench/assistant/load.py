"""Load generator: replays the conversation mix over Rasa's REST webhook with a fixed number of concurrent
conversations and a fixed message budget, and summarises per-message latency and throughput."""

from __future__ import annotations

import asyncio
import os
import sys
import time
import uuid
from dataclasses import dataclass, field

import httpx
import numpy as np
from tqdm import tqdm

from .mix import MixPlayer

REST_WEBHOOK = "/webhooks/rest/webhook"
# Both "I'm having trouble" replies (the channel's, bot/channels.py, and the actions', actions/replies.py)
# say this: a turn that failed is answered, so it must be counted apart from a real answer.
TROUBLE_MARK = "having trouble right now"
REQUEST_TIMEOUT_SECONDS = 120.0


@dataclass(frozen=True)
class Answered:
    """One message that got an HTTP 200: which mix message it was, who sent it, when, and how long it took.
    `sent_at` is wall-clock time so it can be matched with the action server's timing lines."""

    template: str
    sender: str
    sent_at: float
    ms: float
    first_reply: str = ""  # the first reply's text (or its kind), so a reader can see what was answered


@dataclass
class PhaseResult:
    label: str
    concurrency: int
    answered: list[Answered] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    silent_replies: int = 0
    # Messages answered with "I'm having trouble" (an action or the action server failed), by template.
    trouble: dict[str, int] = field(default_factory=dict)
    wall_seconds: float = 0.0
    load_average: float = 0.0
    # CPU seconds each server (process tree) used during the phase, by server name.
    server_cpu_seconds: dict[str, float] = field(default_factory=dict)
    # How many blocks of messages were folded into this result (absorb).
    blocks: int = 1

    @property
    def latencies_ms(self) -> list[float]:
        return [message.ms for message in self.answered]

    @property
    def messages(self) -> int:
        return len(self.answered)

    def latencies_by_template(self) -> dict[str, list[float]]:
        """Per message of the mix as written in conversations.yml, so slow turns can be told from fast ones."""
        grouped: dict[str, list[float]] = {}
        for message in self.answered:
            grouped.setdefault(message.template, []).append(message.ms)
        return grouped

    def percentile(self, q: float) -> float:
        return float(np.percentile(self.latencies_ms, q)) if self.latencies_ms else float("nan")

    def absorb(self, other: PhaseResult) -> None:
        """Fold another block measured at the same concurrency into this result: messages, errors and
        times add up; the load average is the mean of the blocks'."""
        self.answered += other.answered
        self.errors += other.errors
        self.silent_replies += other.silent_replies
        for template, count in other.trouble.items():
            self.trouble[template] = self.trouble.get(template, 0) + count
        self.wall_seconds += other.wall_seconds
        for server, seconds in other.server_cpu_seconds.items():
            self.server_cpu_seconds[server] = self.server_cpu_seconds.get(server, 0.0) + seconds
        self.load_average = (self.load_average * self.blocks + other.load_average * other.blocks) / (
            self.blocks + other.blocks
        )
        self.blocks += other.blocks

    def cpu_ms_per_message(self, server: str) -> float:
        if server not in self.server_cpu_seconds or not self.messages:
            return float("nan")
        return 1000 * self.server_cpu_seconds[server] / self.messages

    @property
    def throughput(self) -> float:
        return self.messages / self.wall_seconds if self.wall_seconds else float("nan")


def _first_reply(replies: object) -> str:
    if not isinstance(replies, list) or not replies or not isinstance(replies[0], dict):
        return ""
    first = replies[0]
    return str(first.get("text") or ("(custom payload)" if first.get("custom") else "(no text)"))


async def _send(
    client: httpx.AsyncClient, sender: str, text: str, template: str, metadata: dict, result: PhaseResult
) -> None:
    sent_at, started = time.time(), time.perf_counter()
    try:
        response = await client.post(
            REST_WEBHOOK, json={"sender": sender, "message": text, "metadata": metadata}
        )
    except httpx.HTTPError as exc:
        result.errors.append(f"{text!r}: {type(exc).__name__}: {exc}")
        return
    elapsed_ms = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        result.errors.append(f"{text!r}: HTTP {response.status_code} {response.text[:200]}")
        return
    replies = response.json()
    result.answered.append(Answered(template, sender, sent_at, elapsed_ms, _first_reply(replies)))
    if not isinstance(replies, list) or not replies:
        result.silent_replies += 1
    elif any(TROUBLE_MARK in str(reply.get("text") or "") for reply in replies if isinstance(reply, dict)):
        result.trouble[template] = result.trouble.get(template, 0) + 1


async def run_phase(
    base_url: str, player: MixPlayer, *, label: str, concurrency: int, messages: int, progress: bool = True
) -> PhaseResult:
    """Send `messages` messages from `concurrency` simultaneous conversations; each conversation is replayed
    turn by turn (a conversation's next message waits for the reply, as a person would)."""
    result = PhaseResult(label, concurrency, load_average=os.getloadavg()[0])
    budget = messages
    bar = tqdm(total=messages, desc=label, unit="msg", file=sys.stderr, disable=not progress, leave=False)

    async def conversation_worker(client: httpx.AsyncClient) -> None:
        nonlocal budget
        while budget > 0:
            conversation = player.next()
            sender = f"bench-{uuid.uuid4().hex[:12]}"
            for text, template in zip(conversation.messages, conversation.templates, strict=True):
                if budget <= 0:
                    return
                budget -= 1
                await _send(client, sender, text, template, conversation.metadata, result)
                bar.update()

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base_url, timeout=REQUEST_TIMEOUT_SECONDS, limits=limits) as client:
        started = time.perf_counter()
        await asyncio.gather(*(conversation_worker(client) for _ in range(concurrency)))
        result.wall_seconds = time.perf_counter() - started
    bar.close()
    return result


async def parse_latencies(base_url: str, texts: list[str], *, token: str, repeats: int) -> list[float]:
    """NLU alone (`POST /model/parse`), one request at a time: the floor under every message."""
    latencies = []
    async with httpx.AsyncClient(base_url=base_url, timeout=REQUEST_TIMEOUT_SECONDS) as client:
        for index in range(repeats):
            started = time.perf_counter()
            response = await client.post(
                "/model/parse", params={"token": token}, json={"text": texts[index % len(texts)]}
            )
            if response.status_code == 200:
                latencies.append((time.perf_counter() - started) * 1000)
    return latencies
