"""`marquee recommender fit`: fit the shipped default recommender on the account database for the action server.
`marquee recommender export`: write the database's interactions and titles as files `python -m recommender` reads."""

from __future__ import annotations

import argparse
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from accountdb.engine import database_url
from marquee.cli import UserError
from marquee.database import display_url, open_migrated

if TYPE_CHECKING:
    from actions.catalog_snapshot import CatalogSnapshot

logger = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "recommender",
        help="fit the recommender the action server loads",
        description="Manage the recommender model the action server answers with.",
    )
    commands = parser.add_subparsers(dest="recommender_command", metavar="COMMAND", required=True)
    fit = commands.add_parser(
        "fit",
        help="fit the default model (the hybrid) on the account database",
        description=(
            "Fit the shipped default recommender (the hybrid) on the viewing events and ratings of the "
            "account database and make it the current versioned artifact, which the action server loads at "
            "start-up and whenever the catalog changes. Takes about half a minute of CPU at demo scale "
            "(5,083 titles, 325,314 viewing pairs: 30 s CPU measured); a running action server keeps answering "
            "with the model it has."
        ),
    )
    fit.add_argument(
        "--database-url",
        metavar="URL",
        help="account database (default: $MARQUEE_DATABASE_URL, else the SQLite file under var/)",
    )
    fit.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="artifact root (default: <data dir>/recommender, where the action server looks)",
    )
    fit.add_argument(
        "--if-needed",
        action="store_true",
        help="fit only when the current artifact does not cover every title of the catalog",
    )
    fit.set_defaults(handler=run_fit)

    export = commands.add_parser(
        "export",
        help="write the database's interactions and titles as files for `python -m recommender`",
        description=(
            "Write what the recommender learns from as files the recommender CLI reads: DIR/ratings.csv "
            "(user_id,item_id,rating,timestamp: one row per profile and title, the profile as 'profile:<id>', "
            "the rating being the weight the action server's model gives it: 3 loved, 2 thumbs-up, "
            "1 finished, 0.5 started, -2 thumbs-down; the timestamp the last event, in epoch seconds) and "
            "DIR/movies.csv (movieId,title,genres). Then, for example: python -m recommender evaluate "
            "--interactions DIR/ratings.csv --positive-threshold 0.5, or python -m recommender fit "
            "--interactions DIR/ratings.csv --items DIR/movies.csv --out MODEL_DIR."
        ),
    )
    export.add_argument(
        "--database-url",
        metavar="URL",
        help="account database (default: $MARQUEE_DATABASE_URL, else the SQLite file under var/)",
    )
    export.add_argument(
        "--out", type=Path, metavar="DIR", required=True, help="folder to write the two files to"
    )
    export.set_defaults(handler=run_export)


@contextmanager
def catalog_of(url: str) -> Iterator[tuple[Engine, CatalogSnapshot]]:
    """The migrated database at `url` and its catalog, which must hold titles; read errors become UserErrors."""
    from actions.catalog_snapshot import load_snapshot

    engine = open_migrated(url)
    try:
        snapshot = load_snapshot(engine)
        if not snapshot.titles:
            raise UserError(
                f"the database at {display_url(url)} has no titles. Seed it (`marquee seed`) or import a "
                "catalog (`marquee import catalog`) first"
            )
        yield engine, snapshot
    except OperationalError as exc:
        raise UserError(f"cannot read the database at {display_url(url)} ({exc.orig})") from exc
    finally:
        engine.dispose()


def run_fit(args: argparse.Namespace) -> int:
    # Imported here: every `marquee` command registers its parser, and only this one needs the models.
    from actions import model_store

    url = args.database_url or database_url()
    with catalog_of(url) as (engine, snapshot):
        if args.if_needed and model_store.load_personal(snapshot, args.out) is not None:
            print("the current recommender artifact covers every title of the catalog; nothing to fit")
            return 0
        path = model_store.fit_artifact(engine, snapshot, args.out, show_progress=True)
    print(f"fitted the recommender on {display_url(url)}; artifact {path} (now current)")
    return 0


def run_export(args: argparse.Namespace) -> int:
    from actions import model_store
    from recommender.export import write_interactions_csv, write_movies_csv

    with catalog_of(args.database_url or database_url()) as (engine, snapshot):
        records = snapshot.metadata_records()
        interactions = model_store.load_interactions(engine, [str(r["item_id"]) for r in records])
    try:
        args.out.mkdir(parents=True, exist_ok=True)
        rows = write_interactions_csv(interactions, args.out / "ratings.csv")
        titles = write_movies_csv(records, args.out / "movies.csv")
    except OSError as exc:
        raise UserError(
            f"cannot write to {args.out}: {exc.strerror or exc}. Choose another --out folder"
        ) from exc
    print(
        f"wrote {rows} interactions of {interactions.n_users} profiles to {args.out / 'ratings.csv'} and "
        f"{titles} titles to {args.out / 'movies.csv'}"
    )
    return 0
