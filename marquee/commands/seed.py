"""`marquee seed`: fill the account database with a deterministic demo world."""

from __future__ import annotations

import argparse
import datetime as dt

from alembic.util import CommandError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError

from accountdb.demo import DEFAULT_AS_OF, SCALES, SeedError, seed_demo_world
from accountdb.engine import database_url
from marquee.cli import UserError


def register(subparsers: argparse._SubParsersAction) -> None:
    scales = "; ".join(f"{scale.name}: {scale.description}" for scale in SCALES.values())
    parser = subparsers.add_parser(
        "seed",
        help="generate a believable demo streaming service into the account database",
        description=(
            "Migrate the account database, then fill it with a demo world: catalog, subscribers with "
            "profiles and tastes, viewing history, ratings, My List, searches, billing, devices and support "
            "tickets. The same --seed and --scale always produce identical rows. Refuses to write into a "
            f"database that already has data unless --reset is given. Scales: {scales}."
        ),
        epilog=(
            "The demo subscriber is demo@marquee.example (password marquee-demo, adult profile PIN 1234) "
            "with an adult profile and a kids profile (age 8, TV-Y7)."
        ),
    )
    parser.add_argument("--scale", choices=sorted(SCALES, key=lambda name: SCALES[name].titles), default="demo",
                        help="how big a world to build (default: demo)")  # fmt: skip
    parser.add_argument("--seed", type=int, default=1, metavar="N", help="random seed (default: 1)")
    parser.add_argument(
        "--database-url",
        metavar="URL",
        help="database to fill (default: $MARQUEE_DATABASE_URL, else the SQLite file under var/)",
    )
    parser.add_argument(
        "--reset",
        action="store_true",
        help="delete all existing rows (except staff logins) in the same transaction before seeding",
    )
    parser.add_argument(
        "--as-of",
        type=_date,
        default=DEFAULT_AS_OF,
        metavar="YYYY-MM-DD",
        help=f"the demo world's 'today'; histories end here (default: {DEFAULT_AS_OF.isoformat()})",
    )
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bars")
    parser.set_defaults(handler=run)


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date; use YYYY-MM-DD, e.g. 2026-11-30") from exc


def run(args: argparse.Namespace) -> int:
    url = args.database_url or database_url()
    try:
        shown_url = make_url(url).render_as_string(hide_password=True)
    except ArgumentError as exc:
        raise UserError(
            f"{url!r} is not a database URL. Use e.g. sqlite:///var/marquee.db or postgresql://user@host:5432/marquee"
        ) from exc
    if args.seed < 0:
        raise UserError(f"--seed must be zero or a positive integer, not {args.seed}. Pick another seed")
    try:
        report = seed_demo_world(
            url,
            SCALES[args.scale],
            args.seed,
            reset=args.reset,
            as_of=args.as_of,
            progress=not args.no_progress,
        )
    except SeedError as exc:
        raise UserError(str(exc)) from exc
    except OperationalError as exc:
        raise UserError(
            f"cannot write to the database at {shown_url} ({exc.orig}). "
            "Check that it is running and that --database-url / MARQUEE_DATABASE_URL is right"
        ) from exc
    except CommandError as exc:
        raise UserError(
            f"cannot migrate the database at {shown_url}: {exc}. Upgrade this installation"
        ) from exc
    width = max(len(table) for table in report.counts)
    print(
        f"seeded the {report.scale} demo world (seed {report.seed}) into {report.database} in {report.elapsed_seconds:.1f} s"
    )
    for table, count in report.counts.items():
        print(f"  {table:<{width}}  {count:>10,}")
    return 0
