"""Alembic environment: which database to migrate and how to compare it with accountdb.models.

The URL comes from `config.attributes["database_url"]` (set by accountdb.migrate), else the
`sqlalchemy.url` option, else `accountdb.engine.database_url()`. A caller may also hand over an open
connection in `config.attributes["connection"]`.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, text

from accountdb.engine import database_url, make_engine
from accountdb.models import Base

config = context.config
target_metadata = Base.metadata

# Arbitrary but fixed: every `marquee migrate` against one PostgreSQL database takes this advisory lock.
POSTGRES_MIGRATION_LOCK_ID = 0x6D617271  # "marq"


def _configure(connection: Connection) -> None:
    if connection.dialect.name == "sqlite":
        # Take the write lock at BEGIN: a second migrator then waits (busy_timeout) and sees the finished
        # schema, instead of failing when it tries to upgrade a stale read snapshot.
        connection.execution_options(sqlite_begin="IMMEDIATE")
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things in place; batch mode copies the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        # accountdb.engine makes SQLite issue a real BEGIN, so DDL there is transactional too: a failed
        # migration rolls back completely instead of leaving half a schema.
        transactional_ddl=True,
        compare_type=True,
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            # Two migrators started together (replicas, compose restarts) run one after the other; the
            # second then finds the database at head. The lock ends with the transaction.
            connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": POSTGRES_MIGRATION_LOCK_ID})
        context.run_migrations()


def run_migrations_offline() -> None:
    url = config.attributes.get("database_url") or config.get_main_option("sqlalchemy.url") or database_url()
    context.configure(url=url, target_metadata=target_metadata, literal_binds=True, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        return
    url = config.attributes.get("database_url") or config.get_main_option("sqlalchemy.url") or database_url()
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            _configure(connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
