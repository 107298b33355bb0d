"""Import benchmark: MovieTweetings 100k (100,000 ratings + its movies) into fresh SQLite and PostgreSQL.

Target (issue 2): importing a 100,000-row ratings file takes at most 20 s. Each backend is measured on a
first import into an empty, migrated database and on a second, idempotent run (which must change
nothing). Parsing alone is measured too, as the floor the database work adds to.

    .venv/bin/python bench/import_bench.py

Reads MARQUEE_BENCH_MOVIETWEETINGS (default /work/shared/datasets/movietweetings-100k) and
MARQUEE_BENCH_POSTGRES_URL (a server where it may create and drop a database; unset = SQLite only).
Writes bench/results/import.md.
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import resource
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, create_engine, func, select, text
from sqlalchemy.engine import make_url

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from accountdb.engine import make_engine, normalise_url, session_scope  # noqa: E402
from accountdb.importers import import_interactions  # noqa: E402
from accountdb.migrate import upgrade  # noqa: E402
from accountdb.models import Account, Rating, Title, ViewingEvent  # noqa: E402
from recommender.io import InteractionRow, load_interactions, read_interactions  # noqa: E402

DEFAULT_DATASET = Path("/work/shared/datasets/movietweetings-100k")
RATINGS_FILE, MOVIES_FILE = "snapshot100K_ratings.dat", "snapshot100K_movies.dat"
TARGET_SECONDS = 20.0
RESULTS = REPO / "bench" / "results" / "import.md"


@dataclass
class Measurement:
    backend: str
    run: str
    seconds: float
    cpu_seconds: float
    rows_read: int
    inserted: int
    unchanged: int
    skipped: int
    titles: int
    accounts: int
    ratings: int
    events: int


def counts(engine: Engine) -> tuple[int, int, int, int]:
    with session_scope(engine) as session:
        return tuple(  # type: ignore[return-value]
            session.scalar(select(func.count()).select_from(model))
            for model in (Title, Account, Rating, ViewingEvent)
        )


def measure(backend: str, engine: Engine, dataset: Path) -> list[Measurement]:
    results = []
    for run in ("first import", "second run (no changes)"):
        started, cpu_started = time.perf_counter(), time.process_time()
        report = import_interactions(engine, dataset / RATINGS_FILE, dataset / MOVIES_FILE)
        seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
        titles, accounts, ratings, events = counts(engine)
        results.append(
            Measurement(
                backend,
                run,
                seconds,
                cpu_seconds,
                report.read,
                report.inserted,
                report.unchanged,
                len(report.skipped),
                titles,
                accounts,
                ratings,
                events,
            )
        )
        print(f"{backend}, {run}: {seconds:.1f} s, {report.read} rows", file=sys.stderr)
    return results


@contextmanager
def fresh_postgres(admin_url: str) -> Iterator[str]:
    admin = create_engine(make_url(normalise_url(admin_url)), isolation_level="AUTOCOMMIT")
    name = f"marquee_bench_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin.url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def parse_only(dataset: Path) -> list[tuple[str, float, int]]:
    path = dataset / RATINGS_FILE
    started = time.perf_counter()
    arrays = load_interactions(path)
    bulk = time.perf_counter() - started
    started = time.perf_counter()
    rows = sum(1 for row in read_interactions(path) if isinstance(row, InteractionRow))
    streaming = time.perf_counter() - started
    # The recommender loads files ten times this size: the same rows repeated make a 1,000,000-row file.
    with tempfile.TemporaryDirectory(prefix="marquee-parse-bench-") as folder:
        million = Path(folder) / "ratings-1m.dat"
        content = path.read_bytes()
        million.write_bytes(content * 10)
        started = time.perf_counter()
        large = load_interactions(million)
        bulk_million = time.perf_counter() - started
    return [
        ("load_interactions (numpy arrays)", bulk, len(arrays.users)),
        ("read_interactions (row stream)", streaming, rows),
        ("load_interactions, file repeated 10 times", bulk_million, len(large.users)),
    ]


def write_table(
    parsing: list[tuple[str, float, int]], measurements: list[Measurement], notes: list[str]
) -> str:
    lines = [
        "# Import benchmark: MovieTweetings 100k",
        "",
        f"Target: importing a 100,000-row ratings file takes at most {TARGET_SECONDS:g} s.",
        f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"load average at the end {os.getloadavg()[0]:.1f} (other work on the machine slows every figure).",
        "",
        "| step | wall s | rows |",
        "|---|---:|---:|",
        *(f"| parse: {name} | {seconds:.2f} | {rows:,} |" for name, seconds, rows in parsing),
        "",
        "Full import = items file (titles, genres) + ratings (accounts, profiles, thumbs ratings, viewing events),",
        "each batch one transaction. CPU s is this Python process only (SQLite runs inside it; PostgreSQL",
        "works in its own server process); wall s above CPU s is time spent waiting for the server or the CPU.",
        "",
        "| backend | run | wall s | CPU s (Python) | within target | rows read | rows inserted | rows unchanged | skipped "
        "| titles | accounts | ratings stored | viewing events |",
        "|---|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for m in measurements:
        within = "yes" if m.seconds <= TARGET_SECONDS else "NO"
        lines.append(
            f"| {m.backend} | {m.run} | {m.seconds:.1f} | {m.cpu_seconds:.1f} | {within} | {m.rows_read:,} | {m.inserted:,} | "
            f"{m.unchanged:,} | {m.skipped:,} | {m.titles:,} | {m.accounts:,} | {m.ratings:,} | {m.events:,} |"
        )
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    lines += ["", f"Peak memory of the benchmark process: {peak_mib:.0f} MiB.", *notes, ""]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    dataset = Path(os.environ.get("MARQUEE_BENCH_MOVIETWEETINGS") or DEFAULT_DATASET)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    if not (dataset / RATINGS_FILE).is_file() or not (dataset / MOVIES_FILE).is_file():
        message = (
            f"skipped: {dataset} does not hold {RATINGS_FILE} and {MOVIES_FILE}; "
            "set MARQUEE_BENCH_MOVIETWEETINGS to the folder of the MovieTweetings 100k snapshot"
        )
        print(message, file=sys.stderr)
        RESULTS.write_text(f"# Import benchmark: MovieTweetings 100k\n\n{message}\n")
        return 0

    notes: list[str] = []
    parsing = parse_only(dataset)
    measurements: list[Measurement] = []
    with tempfile.TemporaryDirectory(prefix="marquee-import-bench-") as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        upgrade(url)
        engine = make_engine(url)
        try:
            measurements += measure("SQLite (file, WAL)", engine, dataset)
        finally:
            engine.dispose()
    admin_url = os.environ.get("MARQUEE_BENCH_POSTGRES_URL", "").strip()
    if admin_url:
        with fresh_postgres(admin_url) as url:
            upgrade(url)
            engine = make_engine(url)
            try:
                measurements += measure("PostgreSQL", engine, dataset)
            finally:
                engine.dispose()
    else:
        notes.append("PostgreSQL not measured: MARQUEE_BENCH_POSTGRES_URL is not set.")
    table = write_table(parsing, measurements, notes)
    RESULTS.write_text(table)
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
