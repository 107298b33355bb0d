"""Seed benchmark: `marquee seed --scale demo` into a fresh SQLite file, `--scale large` into a fresh PostgreSQL.

Targets (issue 2):
- demo seeds into SQLite in at most 2 minutes on 2 cores: >= 5,000 titles, 20,000 profiles, 1,000,000 events;
- large streams into PostgreSQL with at most 2 GB peak memory: >= 20,000 titles, 200,000 profiles, 10M events.

Each seed runs as a child process (`python -m marquee seed ...`); wall time is measured around it and
peak memory is the child's own maximum resident set (os.wait4). The PostgreSQL server's memory is its
own and not included.

    .venv/bin/python bench/seed_bench.py [--scales demo,large] [--seed 1]

Reads MARQUEE_BENCH_POSTGRES_URL (a server where it may create and drop a database; unset = the large
run is skipped). Writes bench/results/seed.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from accountdb.engine import normalise_url  # noqa: E402

RESULTS = REPO / "bench" / "results" / "seed.md"
# scale -> (backend, wall-time target s, peak-memory target MiB, minimum titles, profiles, events)
TARGETS = {
    "demo": ("sqlite", 120.0, None, 5_000, 20_000, 1_000_000),
    "large": ("postgresql", None, 2048.0, 20_000, 200_000, 10_000_000),
}


@dataclass
class Run:
    scale: str
    backend: str
    seconds: float
    cpu_seconds: float
    peak_mib: float
    counts: dict[str, int]
    exit_code: int


def run_seed(scale: str, url: str, seed: int) -> Run:
    command = [sys.executable, "-m", "marquee", "seed", "--scale", scale, "--seed", str(seed),
               "--database-url", url, "--no-progress"]  # fmt: skip
    print(f"[seed_bench] {' '.join(command[2:6])} into {make_url(url).render_as_string(hide_password=True)}")
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as output:
        child = subprocess.Popen(command, cwd=REPO, stdout=output, stderr=subprocess.PIPE, text=True)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        errors = child.stderr.read() if child.stderr else ""
        output.seek(0)
        text_out = output.read()
    if child.returncode != 0:
        print(errors[-3000:], file=sys.stderr)
    counts = {
        name: int(number.replace(",", ""))
        for name, number in re.findall(r"^\s+(\w+)\s+([\d,]+)$", text_out, re.M)
    }
    # ru_maxrss is in KiB on Linux.
    cpu = usage.ru_utime + usage.ru_stime
    backend = make_url(url).get_backend_name()
    return Run(scale, backend, seconds, cpu, usage.ru_maxrss / 1024, counts, child.returncode)


@contextmanager
def fresh_postgres(server_url: str) -> Iterator[str]:
    admin = create_engine(normalise_url(server_url), isolation_level="AUTOCOMMIT")
    name = f"marquee_seed_bench_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(normalise_url(server_url)).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def verdict(run: Run) -> tuple[str, str, str]:
    _, time_target, memory_target, titles, profiles, events = TARGETS[run.scale]
    sized = (
        run.counts.get("titles", 0) >= titles
        and run.counts.get("profiles", 0) >= profiles
        and run.counts.get("viewing_events", 0) >= events
    )
    timed = "n/a" if time_target is None else ("yes" if run.seconds <= time_target else "NO")
    memory = "n/a" if memory_target is None else ("yes" if run.peak_mib <= memory_target else "NO")
    return timed, memory, "yes" if sized and run.exit_code == 0 else "NO"


def write_table(runs: list[Run]) -> str:
    load = os.getloadavg()[0]
    lines = [
        "# Seed benchmark: `marquee seed`",
        "",
        "Targets: `demo` into SQLite within 120 s on 2 cores (>= 5,000 titles, 20,000 profiles, 1,000,000 viewing "
        "events); `large` into PostgreSQL within 2 GiB peak memory (>= 20,000 titles, 200,000 profiles, "
        "10,000,000 events).",
        f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"load average at the end {load:.1f} (other work on the machine slows every figure).",
        "Peak memory is the seeding process's maximum resident set; the PostgreSQL server is not included.",
        "",
        "CPU s is the seeding process's user + system time: what the wall time approaches on an otherwise idle "
        "machine (the seeder is single-threaded; SQLite runs in-process, PostgreSQL's own work is not counted).",
        "",
        "| scale | backend | wall s | CPU s | within 120 s | peak MiB | within 2 GiB | sizes reached | titles | profiles "
        "| viewing events | ratings | invoices | payments | device sessions |",
        "|---|---|---:|---:|---|---:|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for run in runs:
        timed, memory, sized = verdict(run)
        c = run.counts
        lines.append(
            f"| {run.scale} | {run.backend} | {run.seconds:.1f} | {run.cpu_seconds:.1f} | {timed} | {run.peak_mib:.0f} | {memory} | {sized} "
            f"| {c.get('titles', 0):,} | {c.get('profiles', 0):,} | {c.get('viewing_events', 0):,} "
            f"| {c.get('ratings', 0):,} | {c.get('invoices', 0):,} | {c.get('payments', 0):,} "
            f"| {c.get('device_sessions', 0):,} |"
        )
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--scales", default="demo,large", help="comma-separated scales to run (default: demo,large)"
    )
    parser.add_argument("--seed", type=int, default=1, help="seed passed to marquee seed (default: 1)")
    args = parser.parse_args()
    scales = [scale.strip() for scale in args.scales.split(",") if scale.strip()]
    unknown = set(scales) - set(TARGETS)
    if unknown:
        parser.error(f"unknown scale(s) {', '.join(sorted(unknown))}; choose from {', '.join(TARGETS)}")
    runs: list[Run] = []
    postgres_server = os.environ.get("MARQUEE_BENCH_POSTGRES_URL", "").strip()
    for scale in scales:
        backend = TARGETS[scale][0]
        if backend == "sqlite":
            with tempfile.TemporaryDirectory(prefix="marquee-seed-bench-") as folder:
                runs.append(run_seed(scale, f"sqlite:///{Path(folder) / 'marquee.db'}", args.seed))
        elif postgres_server:
            with fresh_postgres(postgres_server) as url:
                runs.append(run_seed(scale, url, args.seed))
        else:
            print(f"[seed_bench] skipping {scale}: MARQUEE_BENCH_POSTGRES_URL is not set", file=sys.stderr)
    table = write_table(runs)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(table)
    print(table)
    return 0 if all(run.exit_code == 0 for run in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
