"""The benchmark's conversation mix: scripts from conversations.yml, with names and identities from the
seeded account database, so every title, person and profile a message mentions really exists."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import Engine, select

from accountdb.engine import session_scope
from accountdb.models import Credit, Person, Profile, Title
from actions.identity import TOKEN_METADATA_KEY, issue_token

MIX_FILE = Path(__file__).with_name("conversations.yml")
# Titles people ask about are mostly the ones on screen: draw from the most popular part of the catalog.
POPULAR_TITLES = 200
PEOPLE = 200
PROFILES = 400


@dataclass(frozen=True)
class Script:
    name: str
    messages: tuple[str, ...]
    # Account questions are answered only for a verified subscriber: these always carry a signed token.
    signed_in: bool = False


@dataclass
class Conversation:
    """One replayed conversation: its messages in order (and the templates they were filled from), and the
    metadata every message carries."""

    script: str
    messages: list[str]
    templates: tuple[str, ...]
    metadata: dict[str, Any] = field(default_factory=dict)


def load_scripts(assistant: str, path: Path = MIX_FILE) -> list[Script]:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    entries = document.get(assistant) if isinstance(document, dict) else None
    if not entries:
        raise ValueError(f"{path} has no conversations for '{assistant}'. Add a '{assistant}:' list.")
    scripts = []
    for entry in entries:
        signed_in = entry.get("signed_in", False)
        if not isinstance(signed_in, bool):
            raise ValueError(
                f"{path}: 'signed_in' of '{entry.get('name')}' must be true or false, not {signed_in!r}"
            )
        scripts.append(Script(str(entry["name"]), tuple(str(m) for m in entry["messages"]), signed_in))
    return scripts


@dataclass(frozen=True)
class CatalogSample:
    """Real names and identities drawn once from the benchmark database."""

    titles: list[str]
    people: list[str]
    profiles: list[tuple[int, int]]  # (account_id, profile_id)


def sample_catalog(engine: Engine) -> CatalogSample:
    with session_scope(engine) as session:
        titles = session.scalars(
            select(Title.name).order_by(Title.popularity.desc(), Title.id).limit(POPULAR_TITLES)
        ).all()
        people = session.scalars(
            select(Person.name)
            .where(Person.id.in_(select(Credit.person_id)))
            .order_by(Person.id)
            .limit(PEOPLE)
        ).all()
        profiles = session.execute(
            select(Profile.account_id, Profile.id).order_by(Profile.id).limit(PROFILES)
        ).all()
    if not titles or not people or not profiles:
        raise ValueError(
            "the benchmark database has no titles, credited people or profiles. "
            "Seed it with `marquee seed --scale small` first."
        )
    return CatalogSample(list(titles), list(people), [(a, p) for a, p in profiles])


class MixPlayer:
    """Hands out conversations in the order of the mix, deterministic for a given seed.

    Conversations of `signed_in` scripts, and every second conversation (by number) of the others, carry a
    signed token of a real profile in their metadata, as the web and app clients send it; the rest are
    anonymous.
    """

    def __init__(
        self,
        scripts: list[Script],
        catalog: CatalogSample | None = None,
        *,
        token_secret: str | None = None,
        seed: int = 42,
    ) -> None:
        self.scripts = scripts
        self.catalog = catalog
        self.token_secret = token_secret
        self.random = random.Random(seed)
        self.count = 0

    def next(self) -> Conversation:
        number = self.count
        self.count += 1
        script = self.scripts[number % len(self.scripts)]
        messages = self._fill(script.messages)
        metadata: dict[str, Any] = {}
        if self.catalog is not None and self.token_secret and (script.signed_in or number % 2 == 1):
            account_id, profile_id = self.random.choice(self.catalog.profiles)
            metadata[TOKEN_METADATA_KEY] = issue_token(account_id, profile_id, secret=self.token_secret)
        return Conversation(script.name, messages, script.messages, metadata)

    def _fill(self, messages: tuple[str, ...]) -> list[str]:
        if not any("{" in message for message in messages):
            return list(messages)
        if self.catalog is None:
            raise ValueError(f"{messages!r} have placeholders but no catalog was sampled")
        # One title and one person per conversation, so "what is X about?" and "who is in X" name the same.
        names = {
            "title": self.random.choice(self.catalog.titles),
            "person": self.random.choice(self.catalog.people),
        }
        return [message.format(**names) for message in messages]
