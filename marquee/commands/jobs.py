"""`marquee jobs period-end`: scheduled work on the account database."""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import sys

from sqlalchemy.exc import OperationalError
from tqdm import tqdm

from accountdb.engine import database_url
from accountdb.services.period_end import ChangeKind, PeriodEndReport, run_period_end
from marquee.cli import UserError
from marquee.database import display_url, open_migrated

logger = logging.getLogger(__name__)

# Exit status when the run finished but some subscriptions failed and were left unchanged.
EXIT_INCOMPLETE = 3

_PERIOD_END_HELP = f"""\
Apply everything that falls due when a billing period ends, as of a day (default: today, UTC):
pending cancellations end the subscription, planned pauses start, pauses that reached their end
date resume (a new period, billed), and active subscriptions whose period ended renew (the next
period and its invoice, less pending discounts and credits). Past-due subscriptions are not
renewed: their open invoice is the payment collector's.

Each subscription is changed in its own transaction and audited with actor "system:period-end".
Running it twice for the same day changes nothing the second time; a run that missed days
catches up, period by period. Schedule it once a day, e.g. with cron:

  15 0 * * *  cd /srv/marquee && .venv/bin/marquee jobs period-end

or the `period-end` service of docker/compose.yml.

exit status:
  0  everything due was applied (or, with --dry-run, would be)
  1  nothing was done: bad arguments, or the database cannot be opened or is not migrated
  {EXIT_INCOMPLETE}  the run finished, but some subscriptions failed and were left unchanged
     (listed on stderr); run the same command again once the cause is fixed
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "jobs",
        help="scheduled jobs on the account database (period-end processing)",
        description="Scheduled jobs on the account database. Run `marquee jobs <job> --help` for each.",
    )
    jobs = parser.add_subparsers(dest="job", metavar="JOB")
    parser.set_defaults(handler=lambda _args: _missing_job(parser))

    period_end = jobs.add_parser(
        "period-end",
        help="apply cancellations, pauses and renewals whose date has come",
        description=_PERIOD_END_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    period_end.add_argument(
        "--as-of",
        type=_date,
        metavar="YYYY-MM-DD",
        help="apply what is due on or before this day (default: today, UTC); may not be in the future",
    )
    period_end.add_argument(
        "--dry-run",
        action="store_true",
        help="run every step and roll it back: log and summarise what would change, change nothing",
    )
    period_end.add_argument(
        "--database-url",
        metavar="URL",
        help="database to work on (default: $MARQUEE_DATABASE_URL, else the SQLite file under var/)",
    )
    period_end.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    period_end.set_defaults(handler=run_period_end_command)


def _missing_job(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date; use YYYY-MM-DD, e.g. 2026-11-30") from exc


def run_period_end_command(args: argparse.Namespace) -> int:
    today = dt.datetime.now(dt.UTC).date()
    as_of = args.as_of or today
    if as_of > today:
        raise UserError(
            f"--as-of {as_of.isoformat()} is after today ({today.isoformat()}, UTC). Period-end changes are "
            "applied only once their day has come; use --dry-run with today's date to see what is due"
        )
    url = args.database_url or database_url()
    shown = display_url(url)
    engine = open_migrated(url)
    bar = tqdm(desc=f"period end {as_of.isoformat()}", unit="subscription", file=sys.stderr,
               disable=args.no_progress)  # fmt: skip
    try:
        report = run_period_end(
            engine,
            as_of,
            dry_run=args.dry_run,
            on_due=lambda count: bar.reset(total=count),
            on_progress=lambda _id, _changes: bar.update(),
        )
    except OperationalError as exc:
        raise UserError(
            f"lost the database at {shown} ({exc.orig}). Check that it is running, then run the same "
            "command again: what was already applied is not applied twice"
        ) from exc
    finally:
        bar.close()
        engine.dispose()
    print(summary(report))
    if report.failures:
        for subscription_id, problem in report.failures:
            print(f"subscription {subscription_id} failed and was left unchanged: {problem}", file=sys.stderr)
        return EXIT_INCOMPLETE
    return 0


def summary(report: PeriodEndReport) -> str:
    counts = report.counts()
    parts = [
        f"{counts[ChangeKind.CANCELLED]} cancellation(s) took effect",
        f"{counts[ChangeKind.PAUSE_STARTED]} pause(s) started",
        f"{counts[ChangeKind.PAUSE_ENDED]} pause(s) ended",
        f"{counts[ChangeKind.RENEWED]} renewal(s)",
    ]
    invoices = sum(1 for change in report.changes if change.invoice_number is not None)
    would = "would be " if report.dry_run else ""
    return (
        f"period end as of {report.as_of.isoformat()}: {report.subscriptions_due} subscription(s) due, "
        f"{len(report.changes)} change(s) {would}applied: {', '.join(parts)}; {invoices} invoice(s) "
        f"{would}issued; {len(report.failures)} failure(s)"
        + (" (dry run: nothing was changed)" if report.dry_run else "")
    )
