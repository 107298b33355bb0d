"""A migrated SQLite database holding the tiny world, built once and copied for each test that writes."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from tiny_world import World, build_world

from accountdb import migrate
from accountdb.engine import make_engine

TOKEN_SECRET = "unit-test-secret-that-is-long-enough-0123456789"


@pytest.fixture(scope="session")
def world_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, World]:
    path = tmp_path_factory.mktemp("world") / "world.db"
    url = f"sqlite:///{path}"
    migrate.upgrade(url)
    engine = make_engine(url)
    world = build_world(engine)
    engine.dispose()  # closing the last connection checkpoints the WAL into the file we copy
    return path, world


@pytest.fixture
def world_engine(world_template: tuple[Path, World], tmp_path: Path) -> Iterator[Engine]:
    """A private copy of the world database; tests may write to it."""
    copy = tmp_path / "world.db"
    shutil.copyfile(world_template[0], copy)
    engine = make_engine(f"sqlite:///{copy}")
    yield engine
    engine.dispose()


@pytest.fixture
def world(world_template: tuple[Path, World]) -> World:
    return world_template[1]


@pytest.fixture
def token_secret(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("MARQUEE_TOKEN_SECRET", TOKEN_SECRET)
    return TOKEN_SECRET
