"""`marquee migrate`: bring the account database schema up to date (or check that it is)."""

from __future__ import annotations

import argparse
import logging

from alembic.util import CommandError
from sqlalchemy.exc import OperationalError

from accountdb import migrate
from accountdb.engine import database_url
from marquee.cli import UserError
from marquee.database import display_url

logger = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "migrate",
        help="upgrade the account database schema to the newest revision",
        description=(
            "Apply the account database's Alembic migrations up to the newest revision. Safe to run "
            "repeatedly: a database already at the newest revision is left as it is."
        ),
    )
    parser.add_argument(
        "--database-url",
        metavar="URL",
        help="database to migrate (default: $MARQUEE_DATABASE_URL, else the SQLite file under var/)",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="change nothing; exit 1 when the database is not at the newest revision",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    url = args.database_url or database_url()
    shown_url = display_url(url)
    try:
        if args.check:
            return _check(url, shown_url)
        revision = migrate.upgrade(url)
    except OperationalError as exc:
        raise UserError(
            f"cannot open the database at {shown_url} ({exc.orig}). "
            "Check that it is running and that --database-url / MARQUEE_DATABASE_URL is right"
        ) from exc
    except CommandError as exc:
        if "Can't locate revision" in str(exc):
            hint = "The database was migrated by a newer Marquee; upgrade this installation"
        else:
            hint = "The migration scripts are inconsistent; fix accountdb/migrations/versions"
        raise UserError(f"cannot migrate the database at {shown_url}: {exc}. {hint}") from exc
    print(f"account database at {shown_url} is at revision {revision}")
    return 0


def _check(url: str, shown_url: str) -> int:
    current, head = migrate.current_revision(url), migrate.head_revision()
    if current == head:
        print(f"account database at {shown_url} is at the newest revision {head}")
        return 0
    if current is not None and not migrate.is_known_revision(current):
        logger.warning(
            "account database at %s is at revision %s, which this installation does not know; "
            "a newer Marquee migrated it, so upgrade this installation",
            shown_url,
            current,
        )
        return 1
    logger.warning(
        "account database at %s is at revision %s, the newest is %s; run `marquee migrate`",
        shown_url,
        current or "(empty)",
        head,
    )
    return 1
