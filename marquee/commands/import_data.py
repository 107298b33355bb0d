"""`marquee import catalog|interactions`: load public data files into the account database."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from tqdm import tqdm

from accountdb.engine import database_url
from accountdb.importers import (
    DEFAULT_CATALOG_BATCH_SIZE,
    DEFAULT_CATALOG_SOURCE,
    DEFAULT_COUNTRY,
    DEFAULT_INTERACTIONS_BATCH_SIZE,
    ImportReport,
    RatingScaleError,
    import_catalog,
    import_interactions,
)
from accountdb.importers.sources import InvalidSourceName
from marquee.cli import UserError
from marquee.database import display_url, open_migrated
from recommender.io import INTERACTION_FORMATS, DataFileError

logger = logging.getLogger(__name__)

# Exit status when the import ran but some rows were skipped or a batch was rolled back.
EXIT_INCOMPLETE = 3
MAX_BATCH_SIZE = 50_000

_EXIT_CODES = f"""
exit status:
  0  every row was imported (duplicates skipped and warnings do not count as failures)
  1  nothing was imported: the file is missing, unreadable or has a wrong header, or the
     database cannot be opened or is not migrated
  {EXIT_INCOMPLETE}  the import ran, but some rows were skipped or a batch was rolled back
     (the report lists their line numbers and reasons; fix them and run the same command
     again: rows already imported are left unchanged)
"""

_CATALOG_HELP = f"""\
Import the public streaming-catalog CSV layout, with the header
  show_id,type,title,director,cast,country,date_added,release_year,rating,duration,listed_in,description
Multi-valued fields (director, cast, country, listed_in) are comma-separated inside quotes;
duration is "90 min" or "3 Seasons"; date_added is like "September 25, 2021"; any field but
show_id, type and title may be empty.

Titles are upserted on "<source>:<show_id>", so running the same import twice changes nothing
and a newer file updates the titles it shares with an older one. A row repeating an earlier
show_id, or the title, year and type of an earlier row, is skipped as a duplicate. A row with a
value that cannot be understood (a bad date, duration, year or type) is skipped and reported
with its line number. Unknown maturity ratings are stored as NR (adults only) with a warning;
unknown country names are left out with a warning. Rows are written in batches, one transaction
each; if the database refuses a batch, that batch is rolled back and the import stops.
{_EXIT_CODES}"""

_INTERACTIONS_HELP = f"""\
Import a ratings data set: MovieLens u.data (tab-separated user, item, rating, timestamp),
ratings.dat ("user::item::rating::timestamp", as MovieLens 1M and MovieTweetings) or CSV with
the header user_id,item_id,rating,timestamp. --items names the matching items file (u.item,
movies.dat or movies.csv); its titles are imported first, as movies.

Each user becomes an account "<source>:<user id>" (an undeliverable @import.invalid address,
no marketing consent) with one profile. Each row becomes a completed viewing at its timestamp
and, unless the score is lukewarm, a thumbs rating that keeps the raw score. On a 0-5 scale
4.5+ is "love", 3.5+ "up", 2 or less "down"; on a 0-10 scale 9+ is "love", 7+ "up", 4 or less
"down"; scores in between record the viewing only. Running the same import twice changes
nothing.

Rows whose item is neither in the items file nor already in the database (under the same
source) are skipped and reported rather than imported as nameless placeholder titles: pass the
matching --items file.
{_EXIT_CODES}"""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "import",
        help="import a catalog CSV or a ratings data set into the account database",
        description="Import public data files into the account database. Run `marquee migrate` first.",
    )
    kinds = parser.add_subparsers(dest="import_kind", metavar="KIND", required=True)

    catalog = kinds.add_parser(
        "catalog",
        help="import titles from a streaming-catalog CSV",
        description=_CATALOG_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    catalog.add_argument("file", type=Path, metavar="FILE.csv", help="the catalog CSV to import")
    catalog.add_argument(
        "--source",
        default=DEFAULT_CATALOG_SOURCE,
        help=f'prefix of the titles\' external ids (default: "{DEFAULT_CATALOG_SOURCE}")',
    )
    _add_common_options(catalog, DEFAULT_CATALOG_BATCH_SIZE)
    catalog.set_defaults(handler=run_catalog)

    interactions = kinds.add_parser(
        "interactions",
        help="import ratings (MovieLens, MovieTweetings, CSV) and their titles",
        description=_INTERACTIONS_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    interactions.add_argument("file", type=Path, metavar="FILE", help="the ratings file to import")
    interactions.add_argument(
        "--items", type=Path, metavar="FILE", help="the matching items file: u.item, movies.dat or movies.csv"
    )
    interactions.add_argument(
        "--format",
        choices=INTERACTION_FORMATS,
        default="auto",
        help="ratings file format (default: auto, told from the first line)",
    )
    interactions.add_argument(
        "--source",
        help='prefix of external ids (default: "movietweetings" or "movielens" when the path names '
        'the data set, else "ratings")',
    )
    interactions.add_argument(
        "--rating-scale",
        type=float,
        choices=(5.0, 10.0),
        metavar="{5,10}",
        help="top of the score scale (default: 5 when no score exceeds 5, else 10)",
    )
    interactions.add_argument(
        "--country",
        type=_country,
        default=DEFAULT_COUNTRY,
        help=f"ISO country code given to new accounts; data sets do not say (default: {DEFAULT_COUNTRY})",
    )
    _add_common_options(interactions, DEFAULT_INTERACTIONS_BATCH_SIZE)
    interactions.set_defaults(handler=run_interactions)


def _add_common_options(parser: argparse.ArgumentParser, default_batch_size: int) -> None:
    parser.add_argument(
        "--available-in",
        metavar="REGIONS",
        type=_regions,
        help="comma-separated ISO country codes where imported titles become watchable, e.g. US,GB "
        "(default: every country that has accounts; availability is only ever added, never removed)",
    )
    parser.add_argument(
        "--database-url",
        metavar="URL",
        help="database to import into (default: $MARQUEE_DATABASE_URL, else the SQLite file under var/)",
    )
    parser.add_argument(
        "--batch-size",
        type=int,
        default=default_batch_size,
        metavar="N",
        help=f"rows per transaction (default: {default_batch_size})",
    )
    parser.add_argument(
        "--show", type=int, default=20, metavar="N", help="skipped rows to list in the report (default: 20)"
    )


def _regions(text: str) -> tuple[str, ...]:
    codes = tuple(sorted({part.strip().upper() for part in text.split(",") if part.strip()}))
    bad = [code for code in codes if len(code) != 2 or not code.isalpha()]
    if bad or not codes:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a comma-separated list of two-letter country codes such as US,GB"
        )
    return codes


def _country(text: str) -> str:
    code = text.strip().upper()
    if len(code) != 2 or not code.isalpha():
        raise argparse.ArgumentTypeError(f"{text!r} is not a two-letter country code such as US or GB")
    return code


def run_catalog(args: argparse.Namespace) -> int:
    return _run(
        args,
        [args.file],
        lambda engine, progress: import_catalog(
            engine,
            args.file,
            source=args.source,
            batch_size=args.batch_size,
            regions=args.available_in,
            on_progress=progress,
        ),
    )


def run_interactions(args: argparse.Namespace) -> int:
    files = [args.file] + ([args.items] if args.items else [])
    return _run(
        args,
        files,
        lambda engine, progress: import_interactions(
            engine,
            args.file,
            args.items,
            args.format,
            args.source,
            rating_scale=args.rating_scale,
            country=args.country,
            regions=args.available_in,
            batch_size=args.batch_size,
            on_progress=progress,
        ),
    )


def _run(
    args: argparse.Namespace,
    files: list[Path],
    do_import: Callable[[Engine, Callable[[int], None]], ImportReport],
) -> int:
    if not 1 <= args.batch_size <= MAX_BATCH_SIZE:
        raise UserError(f"--batch-size must be between 1 and {MAX_BATCH_SIZE}, not {args.batch_size}")
    for path in files:
        if not path.is_file():
            what = "is a folder" if path.is_dir() else "does not exist"
            raise UserError(f"{path} {what}. Pass the path of the file to import")
    url = args.database_url or database_url()
    engine = open_migrated(url)
    total_bytes = sum(path.stat().st_size for path in files)
    try:
        with tqdm(
            total=total_bytes, unit="B", unit_scale=True, desc=f"importing {files[0].name}", file=sys.stderr
        ) as bar:
            report = do_import(engine, bar.update)
    except (DataFileError, RatingScaleError, InvalidSourceName) as exc:
        raise UserError(f"{exc}. Nothing was imported") from exc
    except OperationalError as exc:
        raise UserError(
            f"lost the database at {display_url(url)} ({exc.orig}). Check that it is running, then run "
            "the same command again: rows already imported are left unchanged"
        ) from exc
    finally:
        engine.dispose()
    print(report.summary(max_lines=max(args.show, 0)))
    if report.complete:
        return 0
    print(
        "not everything was imported: see the lines listed above. Fix them and run the same command "
        "again; rows already imported are left unchanged.",
        file=sys.stderr,
    )
    return EXIT_INCOMPLETE
