"""`marquee chat`: a terminal chat with the running assistant over Rasa's REST channel.

Buttons are shown as numbered choices: typing the number sends the button's payload. Title cards are
rendered as lines of text, the same content a web client shows as cards.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import uuid
from typing import Any, TextIO

import httpx

from marquee.cli import UserError
from marquee.commands.token import find_profile, signed_token
from webapp.chat_replies import BotMessage, TitleCard, to_bot_messages
from webapp.rasa_client import REST_WEBHOOK_PATH

logger = logging.getLogger(__name__)

QUIT_WORDS = {"/quit", "/exit", "quit", "exit"}


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "chat",
        help="chat with the running assistant in the terminal",
        description=(
            "Chat with the running assistant (start it with `make demo`). With --profile, messages carry a "
            "signed token for that subscriber profile, as the web page's do; without it you chat anonymously. "
            "Buttons appear as numbered choices: type the number to pick one. Type /quit to leave."
        ),
    )
    parser.add_argument(
        "--profile",
        metavar="EMAIL[:PROFILE]",
        help="the subscriber to chat as, e.g. demo@marquee.example or demo@marquee.example:Kids",
    )
    parser.add_argument(
        "--rasa-url",
        default=os.environ.get("MARQUEE_RASA_URL", "http://127.0.0.1:5005"),
        help="the Rasa server (default: $MARQUEE_RASA_URL or http://127.0.0.1:5005)",
    )
    parser.add_argument("--region", help="two-letter region hint for anonymous chats, e.g. GB")
    parser.add_argument(
        "--timeout", type=float, default=30.0, help="seconds to wait for each reply (default 30)"
    )
    parser.set_defaults(handler=run)


def metadata_for(args: argparse.Namespace) -> dict[str, Any]:
    metadata: dict[str, Any] = {}
    if args.region:
        metadata["region"] = args.region.upper()
    if args.profile:
        email, _, profile_name = args.profile.partition(":")
        account_id, profile_id, name = find_profile(email, profile_name or None)
        metadata["marquee_token"] = signed_token(account_id, profile_id, hours=12)
        print(f"(chatting as {email.strip().lower()}, profile {name})")
    return metadata


def card_line(card: TitleCard) -> str:
    facts = [str(card.year) if card.year else None, card.type]
    if card.seasons:
        facts.append(f"{card.seasons} season" + ("s" if card.seasons != 1 else ""))
    elif card.runtime:
        facts.append(f"{card.runtime} min")
    facts.append(card.maturity)
    if card.genres:
        facts.append(", ".join(card.genres))
    line = f"  • {card.title} ({' · '.join(f for f in facts if f)})"
    return f"{line}\n      {card.reason}" if card.reason else line


def render(messages: list[BotMessage], out: TextIO) -> list[str]:
    """Print the bot's messages; return the payloads of the numbered choices, in order."""
    payloads: list[str] = []
    for message in messages:
        if message.text:
            out.write(f"bot> {message.text}\n")
        # Text-only replies already list the titles; cards add them only when the text does not.
        text = message.text or ""
        for card in message.title_cards:
            if card.title not in text:
                out.write(card_line(card) + "\n")
        for button in message.buttons:
            payloads.append(button.payload)
            out.write(f"  [{len(payloads)}] {button.title}\n")
    if not messages:
        out.write("bot> (no reply)\n")
    return payloads


def outgoing(line: str, choices: list[str]) -> str:
    """A number picks the matching button; anything else is sent as typed."""
    stripped = line.strip()
    if stripped.isdigit() and 1 <= int(stripped) <= len(choices):
        return choices[int(stripped) - 1]
    return stripped


def run(args: argparse.Namespace) -> int:
    metadata = metadata_for(args)
    sender = f"cli-{uuid.uuid4().hex[:12]}"
    url = args.rasa_url.rstrip("/") + REST_WEBHOOK_PATH
    interactive = sys.stdin.isatty()
    choices: list[str] = []
    with httpx.Client(timeout=httpx.Timeout(args.timeout, connect=3.0)) as client:
        while True:
            if interactive:
                print("you> ", end="", flush=True)
            line = sys.stdin.readline()
            if not line or line.strip() in QUIT_WORDS:
                return 0
            message = outgoing(line, choices)
            if not message:
                continue
            try:
                response = client.post(url, json={"sender": sender, "message": message, "metadata": metadata})
                response.raise_for_status()
                replies = response.json()
            except httpx.ConnectError as exc:
                raise UserError(
                    f"the assistant is not running at {args.rasa_url}. Start it with `make demo`"
                ) from exc
            except (httpx.HTTPError, ValueError) as exc:
                logger.warning("no usable reply from %s: %s", url, exc)
                print("bot> (the assistant is having trouble; try again in a moment)")
                continue
            choices = render(to_bot_messages(replies if isinstance(replies, list) else []), sys.stdout)
