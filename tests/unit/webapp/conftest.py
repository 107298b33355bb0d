"""The web app on a real migrated SQLite database, with a small world of accounts, tickets and staff.

The schema is migrated once per session into a template file that each test copies, so every test has its
own database without paying for the migrations again.
"""

from __future__ import annotations

import shutil
import socket
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from webapp_testkit import SESSION_SECRET, TOKEN_SECRET
from webapp_world import WebWorld, build_web_world

from accountdb import migrate
from accountdb.engine import make_engine
from webapp.app import create_app
from webapp.settings import Settings


@pytest.fixture(scope="session")
def web_world_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, WebWorld]:
    path = tmp_path_factory.mktemp("webapp-world") / "web.db"
    url = f"sqlite:///{path}"
    migrate.upgrade(url)
    engine = make_engine(url)
    world = build_web_world(engine)
    engine.dispose()  # the last connection closing checkpoints the WAL into the file we copy
    return path, world


@pytest.fixture
def web_world(web_world_template: tuple[Path, WebWorld]) -> WebWorld:
    return web_world_template[1]


@pytest.fixture
def web_db_url(web_world_template: tuple[Path, WebWorld], tmp_path: Path) -> str:
    copy = tmp_path / "web.db"
    shutil.copyfile(web_world_template[0], copy)
    return f"sqlite:///{copy}"


@pytest.fixture
def web_engine(web_db_url: str) -> Iterator[Engine]:
    engine = make_engine(web_db_url)
    yield engine
    engine.dispose()


def closed_port() -> int:
    """A local port nothing listens on: connecting to it is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def settings(web_db_url: str) -> Settings:
    return Settings(
        database_url=web_db_url,
        rasa_url=f"http://127.0.0.1:{closed_port()}",
        rasa_token=None,
        token_secret=TOKEN_SECRET,
        session_secret=SESSION_SECRET,
        rasa_connect_timeout_s=1.0,
        rasa_read_timeout_s=1.0,
        rasa_connect_retries=1,
    )


@pytest.fixture
def make_client(settings: Settings) -> Iterator:
    """Build a client for the app with some settings changed, e.g. make_client(demo_signin=True)."""
    clients = []

    def build(**changes: object) -> TestClient:
        client = TestClient(create_app(replace(settings, **changes)), base_url="http://testserver")
        client.__enter__()
        clients.append(client)
        return client

    yield build
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def client(make_client) -> TestClient:  # noqa: ANN001
    return make_client()
