"""Run the account database's Alembic migrations from code (no alembic.ini needed, works when installed)."""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import URL, make_url

from accountdb.engine import database_url, make_engine, normalise_url

logger = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str | None = None) -> Config:
    """An Alembic Config for the package's migrations, aimed at `url` (default: `database_url()`)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # Passed as an attribute, not the `sqlalchemy.url` option: ConfigParser would choke on the `%`
    # of URL-encoded passwords.
    config.attributes["database_url"] = normalise_url(url or database_url())
    return config


def head_revision() -> str:
    """The newest revision the code knows about."""
    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    if head is None:
        raise RuntimeError(
            f"no migrations found in {MIGRATIONS_DIR}; the package is incomplete, reinstall it"
        )
    return head


def is_known_revision(revision: str) -> bool:
    """Whether `revision` is one of this installation's migrations (else a newer Marquee wrote it)."""
    return revision in {
        script.revision
        for script in ScriptDirectory.from_config(alembic_config("sqlite://")).walk_revisions()
    }


def current_revision(url: str | None = None) -> str | None:
    """The revision the database at `url` is at; None for a database never migrated."""
    resolved = make_url(normalise_url(url or database_url()))
    if _is_missing_sqlite_file(resolved):
        return None  # opening it would create an empty file: asking must not change anything
    engine = make_engine(resolved)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def _is_missing_sqlite_file(url: URL) -> bool:
    database = url.database
    return (
        url.get_backend_name() == "sqlite"
        and bool(database)
        and database != ":memory:"
        and not database.startswith("file:")
        and not Path(database).expanduser().exists()
    )


def is_at_head(url: str | None = None) -> bool:
    return current_revision(url) == head_revision()


def upgrade(url: str | None = None, revision: str = "head") -> str | None:
    """Upgrade the database at `url` to `revision`; returns the revision it is at afterwards."""
    config = alembic_config(url)
    before = current_revision(config.attributes["database_url"])
    command.upgrade(config, revision)
    after = current_revision(config.attributes["database_url"])
    if before == after:
        logger.info("account database already at revision %s", after)
    else:
        logger.info("account database upgraded from revision %s to %s", before or "(empty)", after)
    return after


def downgrade(url: str | None, revision: str) -> str | None:
    """Downgrade the database at `url` to `revision` ("base" removes every table); returns the new revision."""
    config = alembic_config(url)
    command.downgrade(config, revision)
    after = current_revision(config.attributes["database_url"])
    logger.info("account database downgraded to revision %s", after or "base")
    return after
