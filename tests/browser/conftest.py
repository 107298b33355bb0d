"""Browser tests: the real web app under uvicorn (`marquee web`), driven by Playwright with Debian's chromium.

Two servers run on the same migrated SQLite world: one whose Rasa URL points at a closed port (the
assistant is down) and one whose Rasa URL points at a small stand-in for Rasa's REST channel, which
answers with text, quick-reply buttons and title cards so the page's rendering can be checked.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from chromium_browser import chromium_or_skip, launched_chromium
from webapp_world import build_web_world

from accountdb import migrate
from accountdb.engine import make_engine

REPO_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO_ROOT / "results"
SERVER_START_TIMEOUT_S = 60


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if Path(str(item.fspath)).parent == Path(__file__).parent:
            item.add_marker(pytest.mark.browser)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RasaStandIn(BaseHTTPRequestHandler):
    """Answers POST /webhooks/rest/webhook the way Rasa's REST channel does, echoing what it was sent."""

    received: list[dict] = []

    def do_POST(self) -> None:  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        RasaStandIn.received.append(body)
        if body["message"] == "/affirm":
            replies = [{"recipient_id": body["sender"], "text": "Great, enjoy the show!"}]
        elif body["message"] == "set parental controls":
            # The shape of action_ask_parental_pin: text and buttons, then the input hint as "custom".
            replies = [
                {
                    "recipient_id": body["sender"],
                    "text": "Type a new 4-digit PIN for this profile, or say no to keep the current one.",
                    "buttons": [{"title": "Keep the current PIN", "payload": "/deny"}],
                },
                {
                    "recipient_id": body["sender"],
                    "custom": {"type": "input_hint", "input": "secret", "slot": "parental_pin"},
                },
            ]
        elif body["message"].isdigit():
            replies = [{"recipient_id": body["sender"], "text": "I'll set the new PIN you typed. Go ahead?"}]
        else:
            replies = [
                {"recipient_id": body["sender"], "text": "Here are two picks for tonight:"},
                {
                    "recipient_id": body["sender"],
                    # The shape the bot's actions send (actions/replies.py): json_message -> "custom".
                    "custom": {
                        "type": "title_cards",
                        "cards": [
                            {
                                "id": 1,
                                "title": "Harbor Lights",
                                "year": 2021,
                                "type": "movie",
                                "genres": ["Drama"],
                                "runtime_minutes": 100,
                                "maturity": "PG-13",
                                "reason": "A quiet, warm drama like the ones you finish",
                            },
                            {
                                "id": 2,
                                "title": "Night Shift Diaries",
                                "year": 2021,
                                "type": "series",
                                "genres": ["Comedy", "Workplace"],
                                "seasons": 2,
                                "maturity": "TV-MA",
                                "reason": "Popular in your region this week",
                            },
                        ],
                    },
                },
                {
                    "recipient_id": body["sender"],
                    "text": "Want more like these?",
                    "buttons": [
                        {"title": "Yes please", "payload": "/affirm"},
                        {"title": "No", "payload": "/deny"},
                    ],
                },
            ]
        payload = json.dumps(replies).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    return chromium_or_skip()


@pytest.fixture(scope="session")
def world_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('browser-world') / 'web.db'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    build_web_world(engine)
    engine.dispose()
    return url


@pytest.fixture
def rasa_received() -> list[dict]:
    """The request bodies the Rasa stand-in has received so far (in this session)."""
    return RasaStandIn.received


@pytest.fixture(scope="session")
def rasa_stand_in() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), RasaStandIn)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def start_web(world_db: str, rasa_url: str, log_path: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {
        **os.environ,
        "MARQUEE_DATABASE_URL": world_db,
        "MARQUEE_RASA_URL": rasa_url,
        "MARQUEE_TOKEN_SECRET": "browser-test-token-secret-0123456789abcdef",
        "MARQUEE_SESSION_SECRET": "browser-test-session-secret-0123456789abcdef",
        "MARQUEE_DEMO_SIGNIN": "1",
    }
    log = log_path.open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "marquee", "web", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=REPO_ROOT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"`marquee web` exited with {process.returncode}: {log_path.read_text()[-2000:]}"
            )
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return process, base
        except httpx.HTTPError:
            time.sleep(0.2)
    process.terminate()
    raise RuntimeError(
        f"`marquee web` did not answer /healthz in {SERVER_START_TIMEOUT_S} s: {log_path.read_text()[-2000:]}"
    )


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="session")
def web_without_rasa(world_db: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    process, base = start_web(
        world_db, f"http://127.0.0.1:{free_port()}", tmp_path_factory.mktemp("logs") / "down.log"
    )
    yield base
    stop(process)


@pytest.fixture(scope="session")
def web_with_rasa(
    world_db: str, rasa_stand_in: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    process, base = start_web(world_db, rasa_stand_in, tmp_path_factory.mktemp("logs") / "up.log")
    yield base
    stop(process)


# Module scope, not session: Playwright's sync API keeps an event loop running on this thread until it
# stops, and later tests that call asyncio.run() would fail while it lives.
@pytest.fixture(scope="module")
def browser(chromium_path: Path) -> Iterator:
    with launched_chromium(chromium_path) as browser:
        yield browser


@pytest.fixture
def page(browser) -> Iterator:  # noqa: ANN001
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(exist_ok=True)
    return SCREENSHOTS
