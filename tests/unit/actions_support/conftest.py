"""Fixtures for the support actions: the support world on a migrated SQLite copy, rasa_sdk's executor with
the whole `actions` package registered, and `chat(account, profile)` conversations signed in by token."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from rasa_sdk.executor import ActionExecutor
from sqlalchemy import Engine
from support_driver import Chat, load_domain
from support_world import World, build_world

from accountdb import migrate
from accountdb.engine import make_engine
from actions.identity import issue_token
from actions.services import Services, use_services

TOKEN_SECRET = "support-test-secret-that-is-long-enough-0123456789"


@pytest.fixture(scope="session")
def support_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, World]:
    path = tmp_path_factory.mktemp("support-world") / "world.db"
    url = f"sqlite:///{path}"
    migrate.upgrade(url)
    engine = make_engine(url)
    world = build_world(engine)
    engine.dispose()
    return path, world


@pytest.fixture
def world(support_template: tuple[Path, World]) -> World:
    return support_template[1]


@pytest.fixture
def engine(support_template: tuple[Path, World], tmp_path: Path) -> Iterator[Engine]:
    copy = tmp_path / "world.db"
    shutil.copyfile(support_template[0], copy)
    engine = make_engine(f"sqlite:///{copy}")
    use_services(Services(engine))
    yield engine
    use_services(None)
    engine.dispose()


@pytest.fixture(scope="session")
def executor() -> ActionExecutor:
    executor = ActionExecutor()
    executor.register_package("actions")
    return executor


@pytest.fixture(scope="session")
def domain() -> dict:
    return load_domain()


@pytest.fixture
def token_secret(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("MARQUEE_TOKEN_SECRET", TOKEN_SECRET)
    return TOKEN_SECRET


@pytest.fixture
def chat(executor: ActionExecutor, domain: dict, engine: Engine, token_secret: str) -> Callable[..., Chat]:
    """chat(account, profile) -> a conversation signed in as that profile; chat() is signed out."""

    def start(account: int | None = None, profile: int | None = None, **token_options) -> Chat:  # noqa: ANN003
        metadata = {}
        if account is not None and profile is not None:
            metadata["marquee_token"] = issue_token(account, profile, **token_options)
        return Chat(executor, domain, metadata=metadata)

    return start
