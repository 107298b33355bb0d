"""Runs Marquee's real input channels (bot/channels.py, from bot/credentials.yml) on a real Sanic server with
Rasa 3.6 and a real Rasa tracker store, sends PIN-shaped and other messages over REST and socket.io, and
prints as JSON what the stand-in agent received, what the client got back, and every log line.

Run with the Rasa environment from the repository root, with the root on the import path and
MARQUEE_TOKEN_SECRET set: `PYTHONPATH=. .venv-rasa/bin/python tests/unit/bot/pin_channel_probe.py`. test_pin_channel.py runs it and checks the result.

The agent is replaced by a recorder at `app.ctx.agent` (where `rasa run` puts the agent) with a real
`InMemoryTrackerStore`: conversations whose sender id contains "at-pin" have `parental_controls_form` active
and `requested_slot: parental_pin`, those with "in-form" are in the same form at the rating question, and
looking up one with "broken" fails, as an unreachable tracker store does.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import socket
import sys
from typing import Any

import aiohttp
import socketio
import yaml
from rasa.core.channels.channel import InputChannel, UserMessage, register
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActiveLoop, SlotSet
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.utils.common import class_from_module_path
from sanic import Sanic

from actions.support.pin_seal import SEALED_PIN_KEY, seal_pin

LOG = io.StringIO()
PIN = "4826"
DOMAIN = Domain.from_yaml(
    """
version: "3.1"
slots:
  parental_rating: {type: text, influence_conversation: false, mappings: [{type: custom}]}
  parental_pin: {type: text, influence_conversation: false, mappings: [{type: custom}]}
forms:
  parental_controls_form: {required_slots: [parental_rating, parental_pin]}
"""
)
# (case name, conversation kind, message, extra metadata)
CASES: list[tuple[str, str, str, dict[str, Any]]] = [
    ("bare_pin", "at-pin", PIN, {}),
    ("labelled_pin", "at-pin", f"PIN: {PIN}", {}),
    ("spaced_pin", "at-pin", "48 26", {}),
    ("sentence_pin", "at-pin", f"my new pin is {PIN}.", {}),
    ("mistyped_pin", "at-pin", "48261", {}),
    ("keep", "at-pin", "no, keep the old one", {}),
    ("password_at_pin_step", "at-pin", "my password is Hunter2-Secret!", {}),
    ("film_year_elsewhere", "in-form", "1917", {}),
    ("labelled_pin_elsewhere", "in-form", f"my pin is {PIN}", {}),
    ("bare_digits_no_conversation", "new", "2012", {}),
    ("client_forged_keys", "in-form", "something funny", {}),
    ("tracker_unreachable", "broken", PIN, {}),
]
SECRETS = (PIN, "48 26", "48261", "Hunter2-Secret")


class ProbeTrackerStore(InMemoryTrackerStore):
    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        if "broken" in sender_id:
            raise ConnectionError("the tracker store is unreachable")
        return await super().retrieve(sender_id)


class RecordingAgent:
    """Stands in for rasa.core.agent.Agent: records each message and answers through its output channel."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.tracker_store = ProbeTrackerStore(DOMAIN)

    async def handle_message(self, message: UserMessage) -> None:
        self.received.append(
            {"text": message.text, "metadata": message.metadata, "sender": message.sender_id}
        )
        await message.output_channel.send_response(message.sender_id, {"text": f"you said: {message.text}"})

    async def start_conversation(self, sender_id: str, kind: str) -> None:
        if kind not in ("at-pin", "in-form"):
            return
        requested = "parental_pin" if kind == "at-pin" else "parental_rating"
        events = [ActiveLoop("parental_controls_form"), SlotSet("requested_slot", requested)]
        await self.tracker_store.save(DialogueStateTracker.from_events(sender_id, events, DOMAIN.slots))


def channels_from_credentials() -> list[InputChannel]:
    with open("bot/credentials.yml") as file:
        credentials = yaml.safe_load(file)
    return [class_from_module_path(path).from_credentials(config) for path, config in credentials.items()]


def metadata_for(name: str, sender: str) -> dict[str, Any]:
    metadata: dict[str, Any] = {"marquee_token": "token-for-the-probe"}
    if name == "client_forged_keys":
        metadata[SEALED_PIN_KEY] = seal_pin("0000", sender)
        metadata["marquee_held_text"] = seal_pin("forged", sender)
    return metadata


async def over_rest(session: aiohttp.ClientSession, base: str, agent: RecordingAgent) -> dict[str, Any]:
    results = {}
    for name, kind, message, _ in CASES:
        sender = f"rest-{kind}-{name}"
        await agent.start_conversation(sender, kind)
        before = len(agent.received)
        body = {"sender": sender, "message": message, "metadata": metadata_for(name, sender)}
        async with session.post(f"{base}/webhooks/rest/webhook", json=body) as response:
            results[name] = {"replies": await response.json(), "received": agent.received[before:]}
    return results


async def over_socketio(base: str, agent: RecordingAgent) -> dict[str, Any]:
    client = socketio.AsyncClient()
    replies: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    confirmed: asyncio.Queue[str] = asyncio.Queue()
    client.on("bot_uttered", replies.put_nowait)
    client.on("session_confirm", confirmed.put_nowait)
    await client.connect(base, socketio_path="/socket.io", transports=["polling"])
    results = {}
    try:
        for name, kind, message, _ in CASES:
            sender = f"socketio-{kind}-{name}"
            await agent.start_conversation(sender, kind)
            await client.emit("session_request", {"session_id": sender})
            await asyncio.wait_for(confirmed.get(), 10)
            before = len(agent.received)
            await client.emit(
                "user_uttered",
                {"message": message, "session_id": sender, "customData": metadata_for(name, sender)},
            )
            received = [await asyncio.wait_for(replies.get(), 10)]
            await asyncio.sleep(0.2)  # a warning and the reply arrive together
            while not replies.empty():
                received.append(replies.get_nowait())
            results[name] = {"replies": received, "received": agent.received[before:]}
    finally:
        await client.eio.disconnect(abort=True)
    return results


async def probe() -> dict[str, Any]:
    app = Sanic("marquee_pin_channel_probe", configure_logging=False)
    app.ctx.agent = agent = RecordingAgent()
    register(channels_from_credentials(), app, "/webhooks/")
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    server = await app.create_server(sock=sock, return_asyncio_server=True, access_log=True)
    await server.startup()
    await server.start_serving()
    try:
        async with aiohttp.ClientSession() as session:
            rest = await over_rest(session, base, agent)
        # The port is in Sanic's log; the test sets it aside before looking for digits.
        return {"rest": rest, "socketio": await over_socketio(base, agent), "port": port}
    finally:
        server.close()
        await server.wait_closed()


def main() -> None:
    handler = logging.StreamHandler(LOG)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    logging.basicConfig(level=logging.DEBUG, handlers=[handler], force=True)
    results = asyncio.run(probe())
    results["log"] = LOG.getvalue()
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
