"""Where the account database lives and how to open it: URL resolution, engines and units of work."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, sessionmaker

logger = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA_DIR = REPO_ROOT / "var"
DATABASE_FILE_NAME = "marquee.db"

# How long a SQLite writer waits for another writer's lock before failing with "database is locked".
SQLITE_BUSY_TIMEOUT_MS = 30_000


def data_dir() -> Path:
    """The folder for local data (SQLite file, caches); `MARQUEE_DATA_DIR` overrides `<repo>/var`."""
    folder = Path(os.environ.get("MARQUEE_DATA_DIR") or DEFAULT_DATA_DIR).expanduser()
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def database_url() -> str:
    """The configured database URL: `MARQUEE_DATABASE_URL`, else a SQLite file in the data folder."""
    configured = os.environ.get("MARQUEE_DATABASE_URL", "").strip()
    if configured:
        return normalise_url(configured)
    return f"sqlite:///{data_dir() / DATABASE_FILE_NAME}"


def normalise_url(url: str | URL) -> str:
    """Route plain PostgreSQL URLs to the psycopg 3 driver (SQLAlchemy's default would be psycopg2)."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def make_engine(url: str | URL | None = None, **engine_options: object) -> Engine:
    """An engine for `url` (default: `database_url()`), tuned per backend."""
    resolved = make_url(normalise_url(url if url is not None else database_url()))
    if resolved.get_backend_name() == "sqlite":
        _ensure_sqlite_folder(resolved)
        engine = create_engine(resolved, **engine_options)
        event.listen(engine, "connect", _configure_sqlite_connection)
        event.listen(engine, "begin", _begin_sqlite_transaction)
    else:
        # pool_pre_ping: a PostgreSQL restart should cost one reconnect, not a failed request.
        engine_options.setdefault("pool_pre_ping", True)
        engine = create_engine(resolved, **engine_options)
    logger.debug("opened engine for %s", resolved.render_as_string(hide_password=True))
    return engine


def _ensure_sqlite_folder(url: URL) -> None:
    database = url.database
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)


def _configure_sqlite_connection(dbapi_connection, _connection_record) -> None:
    # Python's sqlite3 module only opens transactions before INSERT/UPDATE/DELETE, so DDL (migrations) and
    # SAVEPOINTs would run outside them; take over transaction control and issue BEGIN ourselves.
    dbapi_connection.isolation_level = None
    # SQLite leaves foreign keys off per connection unless asked; WAL lets readers run while one writes.
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode=WAL")
        # In WAL mode NORMAL cannot corrupt the file; a power cut may lose the last commits, not half of one.
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


def _begin_sqlite_transaction(connection) -> None:
    # Writers that read first can ask for `execution_options(sqlite_begin="IMMEDIATE")` to take the write
    # lock up front; otherwise another writer's commit makes their later write fail instead of wait.
    mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
    if mode not in ("DEFERRED", "IMMEDIATE", "EXCLUSIVE"):
        raise ValueError(f"sqlite_begin must be DEFERRED, IMMEDIATE or EXCLUSIVE, not {mode!r}")
    connection.exec_driver_sql(f"BEGIN {mode}")


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """A session factory bound to `engine`; objects stay readable after commit."""
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One unit of work: commits when the block succeeds, rolls back and re-raises when it fails."""
    session = make_sessionmaker(engine)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
