"""The action server as Rasa sees it: `python -m rasa_sdk --actions actions` started for real, on a database
seeded with `marquee seed --scale tiny`, answering Rasa 3.6 webhook calls over HTTP.

Runs on SQLite and on PostgreSQL (when MARQUEE_TEST_POSTGRES_URL is reachable); every suggested title is
checked against the database: it exists, is watchable in the profile's region, within its maturity limit,
not watched before and never repeated in the conversation.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from driver import Conversation, load_domain
from sqlalchemy import Engine, select

from accountdb.demo.scales import SCALES
from accountdb.demo.seeder import seed_demo_world
from accountdb.engine import make_engine, session_scope
from accountdb.models import Account, Profile, Rating, ViewingEvent
from actions.catalog_snapshot import load_snapshot
from actions.identity import issue_token
from actions.replies import TROUBLE_TEXT

REPO = Path(__file__).resolve().parents[2]
SECRET = "integration-secret-that-is-long-enough-0123456789"
STARTUP_SECONDS = 120


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def seeded(db_url: str) -> Iterator[Engine]:
    seed_demo_world(db_url, SCALES["tiny"], seed=7, progress=False)
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def action_server(seeded: Engine, tmp_path: Path) -> Iterator[str]:
    port = _free_port()
    env = {
        **os.environ,
        "MARQUEE_DATABASE_URL": seeded.url.render_as_string(hide_password=False),
        "MARQUEE_TOKEN_SECRET": SECRET,
        "MARQUEE_DATA_DIR": str(tmp_path / "data"),
        "HF_HUB_OFFLINE": "1",
        # These conversations never search descriptions; loading the embedding model would only slow start-up.
        "MARQUEE_ACTIONS_WARM_UP": "0",
    }
    log = (tmp_path / "action-server.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "rasa_sdk", "--actions", "actions", "--port", str(port)],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        # Its own process group: Sanic serves from a child worker process, and both must end with the test.
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + STARTUP_SECONDS
    try:
        while True:
            if process.poll() is not None:
                pytest.fail(
                    f"action server exited with {process.returncode}: {(tmp_path / 'action-server.log').read_text()[-2000:]}"
                )
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"action server did not start within {STARTUP_SECONDS} s")
            time.sleep(0.5)
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()


def _conversation(url: str, metadata: dict) -> Conversation:
    client = httpx.Client(base_url=url, timeout=60)

    def send(payload: dict) -> dict:
        response = client.post("/webhook", json=payload)
        assert response.status_code == 200, response.text
        return response.json()

    return Conversation(send, load_domain(), sender_id=f"it-{time.monotonic_ns()}", metadata=metadata)


def _adult_profile(engine: Engine) -> tuple[int, int, str, int]:
    with session_scope(engine) as session:
        row = session.execute(
            select(Account.id, Profile.id, Account.country, Profile.maturity_limit)
            .join(Profile, Profile.account_id == Account.id)
            .where(Profile.is_kids.is_(False), Account.status == "active")
            .order_by(Profile.id)
        ).first()
    return tuple(row)


def _kids_profile(engine: Engine) -> tuple[int, int, str, int]:
    with session_scope(engine) as session:
        row = session.execute(
            select(Account.id, Profile.id, Account.country, Profile.maturity_limit)
            .join(Profile, Profile.account_id == Account.id)
            .where(Profile.is_kids.is_(True), Account.status == "active")
            .order_by(Profile.id)
        ).first()
    return tuple(row)


def _watched(engine: Engine, profile_id: int) -> set[str]:
    with session_scope(engine) as session:
        return {
            str(i)
            for i in session.scalars(
                select(ViewingEvent.title_id).where(ViewingEvent.profile_id == profile_id)
            )
        }


pytestmark = pytest.mark.slow


def test_discovery_conversations_over_http(action_server: str, seeded: Engine) -> None:
    account, profile, region, limit = _adult_profile(seeded)
    watched = _watched(seeded, profile)
    snapshot = load_snapshot(seeded)
    chat = _conversation(action_server, {"marquee_token": issue_token(account, profile, secret=SECRET)})

    turns = [
        ("action_recommend", "what should I watch tonight?", "request_recommendation", ()),
        ("action_recommend", "a comedy", "request_recommendation", (("genre", "comedy"),)),
        ("action_recommend", "under 2 hours", "request_recommendation", (("runtime", "120"),)),
        ("action_recommend", "another one", "refine_another", ()),
        ("action_trending", "what's trending", "ask_trending", ()),
    ]
    shown: list[str] = []
    for action, text, intent, entities in turns:
        result = chat.say(action, text, intent, entities)
        assert result.text and TROUBLE_TEXT not in result.text
        relaxed = "dropped" in result.text
        for card in result.cards:
            facts = snapshot.get(card["id"])
            assert facts is not None
            assert facts.watchable_in(region) and facts.maturity_rank <= limit
            assert card["id"] not in watched
            if action == "action_recommend" and intent != "request_recommendation" and not relaxed:
                assert "Comedy" in facts.genres
                if chat.slots.get("max_runtime"):
                    assert facts.kind == "movie" and facts.runtime_minutes <= 120
        shown += result.card_ids
    assert len(shown) == len(set(shown)) and shown

    first = shown[0]
    chat.say("action_choose_option", '/choose_option{"ordinal":"1"}', "choose_option", (("ordinal", "1"),))
    loved = chat.say("action_feedback", "loved it", "feedback_positive")
    assert "loved" in loved.text
    with session_scope(seeded) as session:
        stored = session.scalar(
            select(Rating.value).where(
                Rating.profile_id == profile, Rating.title_id == int(chat.slots["focus_title_id"])
            )
        )
    assert stored == "love" and first

    # A kids profile, asking for what it may not see.
    account, profile, region, limit = _kids_profile(seeded)
    chat = _conversation(action_server, {"marquee_token": issue_token(account, profile, secret=SECRET)})
    for action, text, intent, entities in [
        (
            "action_recommend",
            "something scary",
            "request_recommendation",
            (("mood", "scary"), ("genre", "horror")),
        ),
        ("action_recommend", "another one", "refine_another", ()),
        ("action_trending", "what's new", "ask_new_releases", ()),
    ]:
        result = chat.say(action, text, intent, entities)
        for card in result.cards:
            facts = snapshot.get(card["id"])
            assert facts.maturity_rank <= limit and facts.watchable_in(region)
