"""How the commands name and open the account database, with errors that say what to do."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError

from accountdb import migrate
from accountdb.engine import make_engine
from marquee.cli import UserError


def display_url(url: str) -> str:
    """The URL as it may be shown in logs and errors: password hidden."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError as exc:
        raise UserError(
            f"{url!r} is not a database URL. Use e.g. sqlite:///var/marquee.db or "
            "postgresql://user@host:5432/marquee"
        ) from exc


def open_migrated(url: str) -> Engine:
    """An engine on a database that is at the newest schema revision; otherwise a UserError saying why."""
    shown = display_url(url)
    try:
        if not migrate.is_at_head(url):
            raise UserError(
                f"the database at {shown} is not at the newest schema revision. Run `marquee migrate` first"
            )
    except OperationalError as exc:
        raise UserError(
            f"cannot open the database at {shown} ({exc.orig}). Check that it is running and that "
            "--database-url / MARQUEE_DATABASE_URL is right"
        ) from exc
    return make_engine(url)
