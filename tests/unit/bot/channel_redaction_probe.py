"""Runs Marquee's real input channels (bot/channels.py, loaded from bot/credentials.yml the way `rasa run`
loads them) on a real Sanic server with Rasa 3.6, and prints what happened as JSON.

Run with the Rasa environment from the repository root, with the root on the import path:
`PYTHONPATH=. .venv-rasa/bin/python tests/unit/bot/channel_redaction_probe.py`.
test_channel_redaction.py runs it and checks the result.

Rasa's agent is replaced by a recorder (`app.ctx.agent`, exactly where `rasa run` puts the agent): it
keeps the text and metadata Rasa would have built the UserUttered event from, and answers the way the
message metadata's "probe" entry asks (reply, warn like an action, stay silent, or fail). Everything the
process logs, Rasa and Sanic included, at DEBUG, is captured and printed too.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import socket
import sys
from pathlib import Path
from typing import Any

import aiohttp
import socketio
import yaml
from rasa.core.channels.channel import InputChannel, UserMessage, register
from rasa.shared.utils.common import class_from_module_path
from sanic import Sanic

from actions.secret_warning import CARD_WARNING

ROOT = Path(__file__).resolve().parents[3]
LOG = io.StringIO()
CASES: list[dict[str, Any]] = [
    {"name": "card", "message": "my card number is 4111 1111 1111 1111, why was I charged twice?"},
    {"name": "card_digits_only", "message": "card 4111111111111111 please"},
    {"name": "password", "message": "my password is Hunter2-Secret!"},
    {"name": "both", "message": "card 5555-5555-5555-4444 and password: Hunter2-Secret!"},
    {"name": "clean", "message": "something like Stranger Things"},
    {
        "name": "client_flag_ignored",
        "message": "a funny series",
        "metadata": {"marquee_redacted": ["password"]},
    },
    {"name": "action_warned", "message": "my card number is 4111 1111 1111 1111", "probe": "warn"},
    {"name": "silent_with_secret", "message": "my password is Hunter2-Secret!", "probe": "silent"},
    {"name": "failure_with_secret", "message": "my card number is 4111 1111 1111 1111", "probe": "raise"},
    {"name": "silent_command", "message": "/session_start", "probe": "silent"},
]
# socket.io has no end-of-turn marker; these cases run over it too, and the probe waits for this many messages.
SOCKETIO_REPLIES = {
    "card": 2,
    "clean": 1,
    "client_flag_ignored": 1,
    "action_warned": 2,
    "silent_with_secret": 2,
}


class RecordingAgent:
    """Stands in for rasa.core.agent.Agent: records each message and answers through its output channel."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []

    async def handle_message(self, message: UserMessage) -> None:
        metadata = message.metadata if isinstance(message.metadata, dict) else {}
        self.received.append(
            {"text": message.text, "metadata": message.metadata, "channel": message.input_channel}
        )
        probe = metadata.get("probe", "reply")
        if probe == "raise":
            raise RuntimeError("the tracker store is unreachable")
        if probe == "silent":
            return
        if probe == "warn":  # what an action does: the warning first, in the tracker
            await message.output_channel.send_response(message.sender_id, {"text": CARD_WARNING})
        await message.output_channel.send_response(
            message.sender_id,
            {"text": f"you said: {message.text}", "buttons": [{"title": "Help", "payload": "/help"}]},
        )


def channels_from_credentials() -> list[InputChannel]:
    """The channels of bot/credentials.yml, built as rasa.core.run does for custom channels (that module
    itself imports TensorFlow, which would make this probe slow)."""
    credentials = yaml.safe_load((ROOT / "bot" / "credentials.yml").read_text())
    return [class_from_module_path(path).from_credentials(config) for path, config in credentials.items()]


def free_socket() -> socket.socket:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    return sock


async def over_rest(session: aiohttp.ClientSession, base: str, case: dict[str, Any]) -> dict[str, Any]:
    metadata = {"marquee_token": "token-for-the-probe", **case.get("metadata", {})}
    if "probe" in case:
        metadata["probe"] = case["probe"]
    body = {"sender": f"rest-{case['name']}", "message": case["message"], "metadata": metadata}
    async with session.post(f"{base}/webhooks/rest/webhook", json=body) as response:
        return {"status": response.status, "replies": await response.json()}


class SocketIOUser:
    """One rasa-webchat-like client: asks for a session per case, sends the message, collects bot messages."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.client = socketio.AsyncClient()
        self.replies: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.confirmed: asyncio.Queue[str] = asyncio.Queue()
        self.client.on("bot_uttered", self.replies.put_nowait)
        self.client.on("session_confirm", self.confirmed.put_nowait)

    async def __aenter__(self) -> SocketIOUser:
        await self.client.connect(self.base, socketio_path="/socket.io", transports=["polling"])
        return self

    async def __aexit__(self, *exc: object) -> None:
        # A graceful disconnect waits out the pending long-poll (about 30 s); the server is closed next anyway.
        await self.client.eio.disconnect(abort=True)

    async def say(self, case: dict[str, Any]) -> dict[str, Any]:
        await self.client.emit("session_request", {"session_id": f"socketio-{case['name']}"})
        session_id = await asyncio.wait_for(self.confirmed.get(), 10)
        custom = {"marquee_token": "token-for-the-probe", **case.get("metadata", {})}
        if "probe" in case:
            custom["probe"] = case["probe"]
        await self.client.emit(
            "user_uttered", {"message": case["message"], "session_id": session_id, "customData": custom}
        )
        received = []
        for _ in range(SOCKETIO_REPLIES[case["name"]]):
            received.append(await asyncio.wait_for(self.replies.get(), 10))
        await asyncio.sleep(0.2)  # anything beyond the expected messages would have arrived with them
        while not self.replies.empty():
            received.append(self.replies.get_nowait())
        return {"session_id": session_id, "replies": received}


async def probe() -> dict[str, Any]:
    app = Sanic("marquee_channel_probe", configure_logging=False)
    app.ctx.agent = agent = RecordingAgent()
    register(channels_from_credentials(), app, "/webhooks/")
    sock = free_socket()
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    server = await app.create_server(sock=sock, return_asyncio_server=True, access_log=True)
    await server.startup()
    await server.start_serving()
    results: dict[str, Any] = {"rest": {}, "socketio": {}}
    try:
        async with aiohttp.ClientSession() as session:
            for case in CASES:
                before = len(agent.received)
                outcome = await over_rest(session, base, case)
                outcome["received"] = agent.received[before:]
                results["rest"][case["name"]] = outcome
            async with session.post(
                f"{base}/webhooks/rest/webhook",
                json={"sender": "rest-bad", "message": "hello", "metadata": ["not", "an", "object"]},
            ) as response:
                results["rest_bad_metadata"] = {"status": response.status, "body": await response.text()}
        async with SocketIOUser(base) as user:
            for case in CASES:
                if case["name"] not in SOCKETIO_REPLIES:
                    continue
                before = len(agent.received)
                outcome = await user.say(case)
                outcome["received"] = agent.received[before:]
                results["socketio"][case["name"]] = outcome
    finally:
        server.close()
        await server.wait_closed()
    return results


def main() -> None:
    handler = logging.StreamHandler(LOG)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    logging.basicConfig(level=logging.DEBUG, handlers=[handler], force=True)
    results = asyncio.run(probe())
    results["log"] = LOG.getvalue()
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
