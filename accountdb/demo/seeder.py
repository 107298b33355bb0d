"""Builds a whole demo world into the account database: migrate, check, generate, bulk-load, summarise.

Everything is written in one transaction, so a failed or interrupted seed leaves the database as it was
(with `--reset`, the old rows come back too). Generation is deterministic: each phase, and each block
of accounts or profiles, draws from its own generator seeded by (seed, phase, block).
"""

from __future__ import annotations

import datetime as dt
import logging
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
from sqlalchemy import Connection, Engine, MetaData, text
from sqlalchemy.engine import make_url
from tqdm import tqdm

from accountdb import migrate
from accountdb.demo.billing import (
    INVOICE_COLUMNS,
    PAYMENT_COLUMNS,
    PAYMENT_METHOD_COLUMNS,
    PLAN_PRICES,
    PLAN_TABLE_CURRENCY,
    PLANS,
    SUBSCRIPTION_COLUMNS,
    BillingGenerator,
)
from accountdb.demo.bulk import BulkWriter, deferred_indexes
from accountdb.demo.catalog import Catalog, generate_catalog
from accountdb.demo.devices import Devices, generate_devices
from accountdb.demo.genres import GENRE_BY_KEY, GENRE_KEYS, MOODS
from accountdb.demo.geography import REGION_CODES, REGIONS
from accountdb.demo.hashes import demo_hashes
from accountdb.demo.scales import DEFAULT_AS_OF, Scale
from accountdb.demo.subscribers import Subscribers, generate_subscribers
from accountdb.demo.support import TICKET_COLUMNS, generate_tickets
from accountdb.demo.viewing import ActivityModel
from accountdb.engine import make_engine, normalise_url

logger = logging.getLogger(__name__)

# Tables the seeder fills; a database with rows in any of them is "not empty".
SEEDED_TABLES = (
    "genres", "tags", "people", "titles", "title_genres", "title_tags", "credits", "title_countries",
    "title_availability", "accounts", "profiles", "plans", "plan_prices", "subscriptions", "payment_methods",
    "invoices",
    "payments", "devices", "device_sessions", "viewing_events", "ratings", "my_list_items",
    "search_log_entries", "support_tickets", "audit_log_entries",
)  # fmt: skip
# Tables `--reset` leaves alone: the migration bookkeeping and the company's own staff logins.
KEPT_ON_RESET = frozenset({"alembic_version", "staff_users"})
# Generator streams, one per phase, so changing one phase never shifts the numbers of another.
PHASE_CATALOG, PHASE_SUBSCRIBERS, PHASE_DEVICES, PHASE_BILLING, PHASE_ACTIVITY, PHASE_SUPPORT = range(1, 7)
BILLING_BLOCK_ACCOUNTS = 5_000
PROFILES_PER_ACCOUNT_ESTIMATE = 2.4
# Viewing is generated for a block of profiles against every title at once, as a (profiles x titles) float
# matrix. About 4M cells bounds memory at any scale (~16 MB per matrix) and is small enough for the
# allocator to reuse memory between blocks instead of faulting in fresh pages.
CELLS_PER_BLOCK = 4_000_000
# The big tables, whose secondary indexes are rebuilt once after loading rather than updated per row.
BULK_TABLES = (
    "viewing_events", "ratings", "my_list_items", "search_log_entries", "device_sessions", "invoices",
    "payments", "audit_log_entries",
)  # fmt: skip


class SeedError(Exception):
    """The seed cannot go ahead; the message says what to do."""


@dataclass
class SeedReport:
    scale: str
    seed: int
    database: str  # URL with the password hidden
    counts: dict[str, int]
    elapsed_seconds: float


def _rng(seed: int, *stream: int) -> np.random.Generator:
    return np.random.default_rng([seed, *stream])


def seed_demo_world(
    url: str,
    scale: Scale,
    seed: int,
    *,
    reset: bool = False,
    as_of: dt.date = DEFAULT_AS_OF,
    progress: bool = True,
) -> SeedReport:
    """Migrate the database at `url` and fill it with the demo world of `scale` for `seed`."""
    started = time.perf_counter()
    url = normalise_url(url)
    shown_url = make_url(url).render_as_string(hide_password=True)
    migrate.upgrade(url)
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            existing = _existing_rows(connection)
        if existing and not reset:
            summary = ", ".join(f"{count} {table}" for table, count in existing.items())
            raise SeedError(
                f"the database at {shown_url} already holds data ({summary}). Run again with --reset to "
                "replace it with a fresh demo world, or pass --database-url for an empty database"
            )
        with _bulk_load_settings(engine), engine.connect() as connection:
            connection = connection.execution_options(sqlite_begin="IMMEDIATE")
            with connection.begin():
                if existing:
                    _clear(connection)
                with deferred_indexes(connection, BULK_TABLES):
                    counts = _load(connection, scale, seed, as_of, progress)
        if engine.dialect.name == "sqlite":
            with engine.connect() as connection:
                # Fold the write-ahead log into the database file and refresh the planner's statistics.
                connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
                connection.exec_driver_sql("PRAGMA optimize")
        else:
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.exec_driver_sql("ANALYZE")
    finally:
        engine.dispose()
    elapsed = time.perf_counter() - started
    report = SeedReport(scale.name, seed, shown_url, counts, elapsed)
    logger.info(
        "seeded the %s demo world (seed %d) into %s in %.1f s: %s",
        scale.name,
        seed,
        shown_url,
        elapsed,
        ", ".join(f"{table}={count}" for table, count in counts.items()),
    )
    return report


def _existing_rows(connection: Connection) -> dict[str, int]:
    found = {}
    for table in ("accounts", "titles", "profiles", "viewing_events", "plans"):
        count = connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
        if count:
            found[table] = int(count)
    return found


def _clear(connection: Connection) -> None:
    """Delete every row except staff logins, children before parents, inside the seed's transaction."""
    metadata = MetaData()
    metadata.reflect(connection)
    tables = [table for table in metadata.sorted_tables if table.name not in KEPT_ON_RESET]
    if connection.dialect.name == "postgresql":
        names = ", ".join(f'"{table.name}"' for table in tables)
        connection.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY")
    else:
        for table in reversed(tables):
            connection.exec_driver_sql(f'DELETE FROM "{table.name}"')
    logger.info("--reset: removed the previous contents of %d tables", len(tables))


@contextmanager
def _bulk_load_settings(engine: Engine) -> Iterator[None]:
    """On SQLite, skip fsyncs and keep a big page cache while loading; the transaction still protects us."""
    if engine.dialect.name != "sqlite":
        yield
        return

    from sqlalchemy import event

    def tune(dbapi_connection, _record) -> None:  # noqa: ANN001
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA synchronous=OFF")
        cursor.execute("PRAGMA cache_size=-262144")  # 256 MiB
        cursor.execute("PRAGMA temp_store=MEMORY")
        cursor.close()

    engine.dispose()  # new connections from here on get the tuning
    event.listen(engine, "connect", tune)
    try:
        yield
    finally:
        event.remove(engine, "connect", tune)
        engine.dispose()


def _bar(progress: bool, description: str, total: int, unit: str) -> tqdm:
    return tqdm(total=total, desc=description, unit=unit, file=sys.stderr, disable=not progress, leave=True)


def _load(connection: Connection, scale: Scale, seed: int, as_of: dt.date, progress: bool) -> dict[str, int]:
    writer = BulkWriter(connection)
    with _bar(progress, "catalog", 2, "steps") as bar:
        catalog = generate_catalog(_rng(seed, PHASE_CATALOG), scale.titles, as_of)
        bar.update(1)
        _write_catalog(writer, catalog, _rng(seed, PHASE_CATALOG, 1), as_of)
        bar.update(1)
    with _bar(progress, "subscribers", scale.accounts, "accounts") as bar:
        subscribers = generate_subscribers(_rng(seed, PHASE_SUBSCRIBERS), scale.accounts, as_of)
        password_hash, pin_hashes = demo_hashes(seed)
        audit = _write_subscribers(
            writer, subscribers, password_hash, pin_hashes, _rng(seed, PHASE_SUBSCRIBERS, 1)
        )
        devices = generate_devices(_rng(seed, PHASE_DEVICES), subscribers, as_of)
        _write_devices(writer, devices)
        bar.update(subscribers.account_count)
    with _bar(progress, "billing", scale.accounts, "accounts") as bar:
        writer.write_rows(
            "plans",
            (
                "id",
                "code",
                "name",
                "monthly_price_cents",
                "currency",
                "screens",
                "resolution",
                "downloads_devices",
                "active",
            ),
            [
                (
                    tier + 1,
                    code,
                    name,
                    PLAN_PRICES[PLAN_TABLE_CURRENCY][tier],
                    PLAN_TABLE_CURRENCY,
                    screens,
                    resolution,
                    downloads,
                    True,
                )
                for tier, (code, name, screens, resolution, downloads) in enumerate(PLANS)
            ],
        )
        # Every billing currency's price, so quotes and plan changes use the subscriber's own currency.
        writer.write_rows(
            "plan_prices",
            ("plan_id", "currency", "monthly_price_cents"),
            [
                (tier + 1, currency, prices[tier])
                for currency, prices in sorted(PLAN_PRICES.items())
                for tier in range(len(PLANS))
            ],
        )
        billing = BillingGenerator(subscribers, as_of)
        plan_tiers = np.zeros(subscribers.account_count, dtype=np.int64)
        for block, start in enumerate(range(0, subscribers.account_count, BILLING_BLOCK_ACCOUNTS)):
            accounts = range(start, min(start + BILLING_BLOCK_ACCOUNTS, subscribers.account_count))
            rows = billing.generate(_rng(seed, PHASE_BILLING, block), accounts)
            for subscription in rows.subscriptions:
                plan_tiers[subscription[1] - 1] = subscription[2] - 1
            writer.write_rows("subscriptions", SUBSCRIPTION_COLUMNS, rows.subscriptions)
            writer.write_rows("payment_methods", PAYMENT_METHOD_COLUMNS, rows.payment_methods)
            writer.write_rows("invoices", INVOICE_COLUMNS, rows.invoices)
            writer.write_rows("payments", PAYMENT_COLUMNS, rows.payments)
            audit.extend(rows.audit)
            bar.update(len(accounts))
    viewers = np.zeros(len(catalog), dtype=np.int64)
    with _bar(progress, "viewing", subscribers.profile_count, "profiles") as bar:
        model = ActivityModel(catalog, subscribers, devices, as_of)
        next_ids = dict.fromkeys(("events", "ratings", "list", "search", "sessions"), 1)
        for block, profiles in enumerate(_profile_blocks(subscribers, profiles_per_block(len(catalog)))):
            activity = model.generate(_rng(seed, PHASE_ACTIVITY, block), profiles, scale.events_per_profile)
            _write_activity(writer, activity, next_ids)
            pairs = np.unique(activity.event_profile * len(catalog) + activity.event_title)
            viewers += np.bincount(pairs % len(catalog), minlength=len(catalog))
            bar.update(len(profiles))
    with _bar(progress, "support", 1, "steps") as bar:
        tickets = generate_tickets(_rng(seed, PHASE_SUPPORT), subscribers, plan_tiers, as_of)
        writer.write_rows("support_tickets", TICKET_COLUMNS, tickets)
        audit.extend(
            (row[12], "system", "support_ticket.create", "support_ticket", str(row[0]), {"reference": row[1]})
            for row in tickets
        )
        audit.sort(key=lambda entry: (entry[0], entry[2], entry[4] or ""))
        writer.write_rows(
            "audit_log_entries",
            ("id", "at", "actor", "action", "entity_type", "entity_id", "details", "conversation_id"),
            [(i, *entry, None) for i, entry in enumerate(audit, start=1)],
        )
        # Popularity = distinct viewers, as the recommender's nightly job would cache it.
        connection.execute(
            text("UPDATE titles SET popularity = :viewers WHERE id = :id"),
            [
                {"viewers": float(v), "id": int(i)}
                for i, v in zip(catalog.ids.tolist(), viewers.tolist(), strict=True)
            ],
        )
        if connection.dialect.name == "postgresql":
            _advance_sequences(connection)
        bar.update(1)
    return {table: writer.counts.get(table, 0) for table in SEEDED_TABLES}


def profiles_per_block(titles: int) -> int:
    return max(50, CELLS_PER_BLOCK // titles)


def _profile_blocks(subscribers: Subscribers, chunk: int) -> Iterator[np.ndarray]:
    """Blocks of about `chunk` profiles that never split an account."""
    account_first_profile = np.searchsorted(subscribers.profile_account, np.arange(subscribers.account_count))
    accounts_per_block = max(1, int(chunk / PROFILES_PER_ACCOUNT_ESTIMATE))
    for first_account in range(0, subscribers.account_count, accounts_per_block):
        last_account = min(first_account + accounts_per_block, subscribers.account_count)
        start = account_first_profile[first_account]
        end = (
            account_first_profile[last_account]
            if last_account < subscribers.account_count
            else subscribers.profile_count
        )
        yield np.arange(start, end, dtype=np.int64)


def _write_catalog(writer: BulkWriter, catalog: Catalog, rng: np.random.Generator, as_of: dt.date) -> None:
    genre_ids = {key: i + 1 for i, key in enumerate(GENRE_KEYS)}
    mood_ids = {mood: i + 1 for i, mood in enumerate(MOODS)}
    writer.write_rows("genres", ("id", "name"), [(genre_ids[k], GENRE_BY_KEY[k].name) for k in GENRE_KEYS])
    writer.write_rows("tags", ("id", "name"), [(mood_ids[m], m) for m in MOODS])
    people: dict[str, int] = {}
    for names in (*catalog.cast, *catalog.directors):
        for name in names:
            people.setdefault(name, len(people) + 1)
    writer.write_rows("people", ("id", "name"), [(pid, name) for name, pid in people.items()])
    is_series = catalog.is_series
    writer.write_columns(
        "titles",
        {
            "id": catalog.ids,
            "kind": catalog.kind,
            "name": catalog.title,
            "release_year": catalog.release_year,
            "maturity_rating": catalog.maturity_rating,
            "maturity_rank": catalog.maturity_rank,
            "runtime_minutes": [
                None if s else int(r)
                for s, r in zip(is_series.tolist(), catalog.runtime_minutes.tolist(), strict=True)
            ],
            "seasons": [
                int(n) if s else None
                for s, n in zip(is_series.tolist(), catalog.seasons.tolist(), strict=True)
            ],
            "description": catalog.description,
            "original_language": catalog.language,
            "date_added": catalog.date_added,
            "popularity": np.zeros(len(catalog)),
        },
    )
    ids = catalog.ids.tolist()
    writer.write_rows(
        "title_genres",
        ("title_id", "genre_id"),
        [(t, genre_ids[g]) for t, gs in zip(ids, catalog.genres, strict=True) for g in gs],
    )
    writer.write_rows(
        "title_tags",
        ("title_id", "tag_id"),
        [(t, mood_ids[m]) for t, ms in zip(ids, catalog.moods, strict=True) for m in ms],
    )
    credits = []
    for title_id, cast, directors in zip(ids, catalog.cast, catalog.directors, strict=True):
        credits.extend((title_id, people[name], "cast", position) for position, name in enumerate(cast))
        credits.extend(
            (title_id, people[name], "director", position) for position, name in enumerate(directors)
        )
    writer.write_rows(
        "credits",
        ("id", "title_id", "person_id", "role", "position"),
        [(i, *c) for i, c in enumerate(credits, start=1)],
    )
    writer.write_rows(
        "title_countries",
        ("title_id", "country"),
        [(t, c) for t, cs in zip(ids, catalog.countries, strict=True) for c in cs],
    )
    availability: list[tuple] = []
    recent = catalog.date_added >= np.datetime64(as_of, "D") - np.timedelta64(60, "D")
    for index, title_id in enumerate(ids):
        regions = catalog.available[index]
        availability.extend((title_id, REGION_CODES[r], None, None) for r in np.flatnonzero(regions).tolist())
        # New titles roll out region by region: list the next region as "coming soon".
        if recent[index] and not regions.all() and rng.random() < 0.5:
            region = REGION_CODES[int(rng.choice(np.flatnonzero(~regions)))]
            availability.append(
                (title_id, region, "coming_soon", as_of + dt.timedelta(days=int(rng.integers(7, 60))))
            )
    writer.write_rows(
        "title_availability", ("title_id", "region", "unavailable_reason", "available_from"), availability
    )


def _write_subscribers(
    writer: BulkWriter,
    subscribers: Subscribers,
    password_hash: str,
    pin_hashes: dict[str, str],
    rng: np.random.Generator,
) -> list[tuple]:
    accounts = subscribers.account_count
    # A few accounts are locked after too many failed sign-ins (never the demo subscriber).
    locked = rng.random(accounts) < 0.003
    locked[0] = False
    writer.write_columns(
        "accounts",
        {
            "id": np.arange(1, accounts + 1),
            "email": subscribers.account_email,
            "name": subscribers.account_name,
            "country": [REGIONS[r].code for r in subscribers.account_region.tolist()],
            "language": subscribers.account_language,
            "marketing_consent": subscribers.account_consent,
            "created_at": subscribers.account_created,
            "password_hash": [password_hash] * accounts,
            "status": np.where(locked, "locked", "active").tolist(),
            "failed_login_count": np.where(locked, 5, 0),
        },
    )
    profiles = subscribers.profile_count
    writer.write_columns(
        "profiles",
        {
            "id": np.arange(1, profiles + 1),
            "account_id": subscribers.profile_account + 1,
            "name": subscribers.profile_name,
            "is_kids": subscribers.profile_is_kids,
            "maturity_limit": subscribers.profile_limit,
            "pin_hash": [None if pin is None else pin_hashes[pin] for pin in subscribers.profile_pin],
            "language": subscribers.profile_language,
            "avatar": subscribers.profile_avatar,
            "created_at": subscribers.profile_created,
        },
    )
    audit = []
    for index, pin in enumerate(subscribers.profile_pin):
        if pin is not None:
            at = (
                (subscribers.profile_created[index] + np.timedelta64(3600, "s"))
                .astype(dt.datetime)
                .replace(tzinfo=dt.UTC)
            )
            account = int(subscribers.profile_account[index]) + 1
            audit.append((at, f"subscriber:{account}", "profile.set_pin", "profile", str(index + 1), {}))
    return audit


def _write_devices(writer: BulkWriter, devices: Devices) -> None:
    writer.write_columns(
        "devices",
        {
            "id": np.arange(1, len(devices.account) + 1),
            "account_id": devices.account + 1,
            "name": devices.name,
            "kind": devices.kind,
            "platform": devices.platform,
            "last_seen_at": devices.last_seen,
            "signed_in": devices.signed_in,
            "created_at": devices.created,
        },
    )


def _write_activity(writer: BulkWriter, activity, next_ids: dict[str, int]) -> None:  # noqa: ANN001
    def ids(key: str, count: int) -> np.ndarray:
        first = next_ids[key]
        next_ids[key] = first + count
        return np.arange(first, first + count)

    series = activity.event_season > 0
    writer.write_columns(
        "viewing_events",
        {
            "id": ids("events", len(activity.event_profile)),
            "profile_id": activity.event_profile + 1,
            "title_id": activity.event_title + 1,
            "started_at": activity.event_started,
            "minutes_watched": activity.event_minutes,
            "completed": activity.event_completed,
            "season": [
                int(s) if f else None
                for s, f in zip(activity.event_season.tolist(), series.tolist(), strict=True)
            ],
            "episode": [
                int(e) if f else None
                for e, f in zip(activity.event_episode.tolist(), series.tolist(), strict=True)
            ],
            "device_id": activity.event_device,
        },
    )
    writer.write_columns(
        "ratings",
        {
            "id": ids("ratings", len(activity.rating_profile)),
            "profile_id": activity.rating_profile + 1,
            "title_id": activity.rating_title + 1,
            "value": activity.rating_value,
            "rated_at": activity.rating_at,
        },
    )
    writer.write_columns(
        "my_list_items",
        {
            "id": ids("list", len(activity.list_profile)),
            "profile_id": activity.list_profile + 1,
            "title_id": activity.list_title + 1,
            "added_at": activity.list_added,
        },
    )
    writer.write_columns(
        "search_log_entries",
        {
            "id": ids("search", len(activity.search_profile)),
            "profile_id": activity.search_profile + 1,
            "query": activity.search_query,
            "results_count": activity.search_results,
            "at": activity.search_at,
        },
    )
    writer.write_columns(
        "device_sessions",
        {
            "id": ids("sessions", len(activity.session_profile)),
            "device_id": activity.session_device,
            "profile_id": activity.session_profile + 1,
            "started_at": activity.session_started,
            "ended_at": activity.session_ended,
            "ip_country": activity.session_country,
        },
    )


def _advance_sequences(connection: Connection) -> None:
    """Explicit ids bypass PostgreSQL's sequences; move each past the highest id so later inserts work."""
    for table in SEEDED_TABLES:
        has_id = connection.execute(
            text(
                "SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = :t AND column_name = 'id'"
            ),
            {"t": table},
        ).first()
        if has_id:
            connection.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE(MAX(id), 1), MAX(id) IS NOT NULL) FROM {table}"
                )
            )
