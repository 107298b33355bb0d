"""The `small` demo world has structure a recommender can learn, and the shape of a real service.

Seeds `small` into SQLite once, then checks it through SQL: collaborative filtering beats popularity on
held-out viewing, popularity has a long tail, thumbs follow taste, and nobody watches what their region
or maturity limit forbids.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import numpy as np
import pytest
from scipy import sparse

from accountdb.demo import SCALES, seed_demo_world

HELD_OUT_SHARE = 0.2
NEIGHBOURS = 100
CUTOFF = 20


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sqlite3.Connection]:
    path = tmp_path_factory.mktemp("seed-structure") / "small.db"
    seed_demo_world(f"sqlite:///{path}", SCALES["small"], seed=1, progress=False)
    connection = sqlite3.connect(path)
    yield connection
    connection.close()


def test_small_scale_has_the_promised_size(database: sqlite3.Connection) -> None:
    def count(table: str) -> int:
        return database.execute(f"SELECT count(*) FROM {table}").fetchone()[0]

    assert 1_000 <= count("titles") <= 1_100
    assert 1_800 <= count("profiles") <= 2_600
    assert 90_000 <= count("viewing_events") <= 150_000


def _first_views(database: sqlite3.Connection) -> tuple[np.ndarray, np.ndarray]:
    """(profile, title) of each profile's distinct titles, in the order the profile first watched them."""
    rows = database.execute(
        "SELECT profile_id, title_id FROM viewing_events GROUP BY profile_id, title_id "
        "ORDER BY profile_id, min(started_at), title_id"
    ).fetchall()
    pairs = np.array(rows, dtype=np.int64)
    return pairs[:, 0], pairs[:, 1]


def _recall_at(scores: np.ndarray, seen: sparse.csr_matrix, held_out: list[set[int]]) -> float:
    scores = scores.astype(np.float64, copy=True)
    scores[seen.toarray() > 0] = -np.inf  # never recommend what the profile already watched
    top = np.argpartition(-scores, CUTOFF, axis=1)[:, :CUTOFF]
    return float(
        np.mean([len(h & set(t.tolist())) / min(CUTOFF, len(h)) for h, t in zip(held_out, top, strict=True)])
    )


def test_item_knn_clearly_beats_popularity_on_held_out_viewing(database: sqlite3.Connection) -> None:
    profile, title = _first_views(database)
    profiles, titles = int(profile.max()) + 1, int(title.max()) + 1
    # Hold out the last 20% of each profile's titles by time: predict what they watched next.
    first = np.searchsorted(profile, profile, side="left")
    count = np.searchsorted(profile, profile, side="right") - first
    position = np.arange(len(profile)) - first
    test = position >= np.ceil(count * (1 - HELD_OUT_SHARE))
    train = sparse.csr_matrix(
        (np.ones(int((~test).sum())), (profile[~test], title[~test])), shape=(profiles, titles)
    )

    # Item-item cosine similarity, keeping each title's strongest neighbours.
    norms = np.sqrt(np.asarray(train.sum(axis=0)).ravel()) + 1e-9
    similarity = (train.T @ train).toarray() / norms[:, None] / norms[None, :]
    np.fill_diagonal(similarity, 0.0)
    weakest = np.argpartition(-similarity, NEIGHBOURS, axis=1)[:, NEIGHBOURS:]
    np.put_along_axis(similarity, weakest, 0.0, axis=1)

    users = np.unique(profile[test])
    held_out = [set(title[test & (profile == user)].tolist()) for user in users]
    seen = train[users]
    knn = _recall_at(np.asarray(seen @ similarity), seen, held_out)
    popularity = np.asarray(train.sum(axis=0)).ravel()
    baseline = _recall_at(np.tile(popularity, (len(users), 1)), seen, held_out)
    assert len(users) > 1_000
    assert baseline > 0.02, "popularity is a real baseline, not a strawman"
    assert knn >= 1.3 * baseline, f"item-kNN recall@{CUTOFF} {knn:.3f} vs popularity {baseline:.3f}"


def test_popularity_has_a_long_tail(database: sqlite3.Connection) -> None:
    views = np.array(
        [n for (n,) in database.execute("SELECT count(*) FROM viewing_events GROUP BY title_id")]
    )
    titles = database.execute("SELECT count(*) FROM titles").fetchone()[0]
    views = np.sort(views)[::-1]
    top_tenth = views[: titles // 10].sum() / views.sum()
    assert 0.5 < top_tenth < 0.9, "the top 10% of titles hold most, but not all, of the viewing"
    assert len(views) > 0.8 * titles, "the tail is watched too"


def test_nobody_watches_what_their_region_or_maturity_limit_forbids(database: sqlite3.Connection) -> None:
    too_mature = database.execute(
        "SELECT count(*) FROM viewing_events v JOIN profiles p ON p.id = v.profile_id "
        "JOIN titles t ON t.id = v.title_id WHERE t.maturity_rank > p.maturity_limit"
    ).fetchone()[0]
    unavailable = database.execute(
        "SELECT count(*) FROM viewing_events v JOIN profiles p ON p.id = v.profile_id "
        "JOIN accounts a ON a.id = p.account_id LEFT JOIN title_availability ta ON ta.title_id = v.title_id "
        "AND ta.region = a.country AND ta.unavailable_reason IS NULL WHERE ta.title_id IS NULL"
    ).fetchone()[0]
    kids_views = database.execute(
        "SELECT count(*) FROM viewing_events v JOIN profiles p ON p.id = v.profile_id WHERE p.is_kids"
    ).fetchone()[0]
    assert (too_mature, unavailable) == (0, 0)
    assert kids_views > 1_000


def test_thumbs_up_goes_to_the_profiles_favourite_genres(database: sqlite3.Connection) -> None:
    """A profile's favourite genres (by watch time) show up more in what it loves than in what it downvotes."""
    rows = database.execute(
        """
        WITH watch AS (
            SELECT v.profile_id, g.genre_id, sum(v.minutes_watched) AS minutes
            FROM viewing_events v JOIN title_genres g ON g.title_id = v.title_id
            GROUP BY v.profile_id, g.genre_id
        ), share AS (
            SELECT profile_id, genre_id, minutes * 1.0 / sum(minutes) OVER (PARTITION BY profile_id) AS share
            FROM watch
        )
        SELECT r.value, avg(s.share)
        FROM ratings r JOIN title_genres g ON g.title_id = r.title_id
        JOIN share s ON s.profile_id = r.profile_id AND s.genre_id = g.genre_id
        GROUP BY r.value
        """
    ).fetchall()
    share = dict(rows)
    assert share["love"] > share["up"] > share["down"]
    values = dict(database.execute("SELECT value, count(*) FROM ratings GROUP BY value").fetchall())
    assert values["up"] > values["down"] > 0 and values["love"] > 0


def test_completion_follows_affinity(database: sqlite3.Connection) -> None:
    """Titles a profile rated down were mostly abandoned; titles it loved were mostly finished."""
    rows = dict(
        database.execute(
            "SELECT r.value, avg(v.completed) FROM ratings r JOIN viewing_events v "
            "ON v.profile_id = r.profile_id AND v.title_id = r.title_id GROUP BY r.value"
        ).fetchall()
    )
    assert rows["love"] > rows["up"] > rows["down"] + 0.1


def test_billing_and_devices_look_like_a_real_service(database: sqlite3.Connection) -> None:
    statuses = dict(database.execute("SELECT status, count(*) FROM subscriptions GROUP BY status").fetchall())
    assert set(statuses) == {"active", "past_due", "paused", "cancelled"}
    failed = database.execute("SELECT count(*) FROM payments WHERE status = 'failed'").fetchone()[0]
    recovered = database.execute(
        "SELECT count(*) FROM invoices i WHERE i.status = 'paid' AND EXISTS "
        "(SELECT 1 FROM payments p WHERE p.invoice_id = i.id AND p.status = 'failed')"
    ).fetchone()[0]
    assert failed > 0 and recovered > 0
    currencies = {c for (c,) in database.execute("SELECT DISTINCT currency FROM invoices")}
    assert {"USD", "EUR", "GBP"} <= currencies
    kinds = {k for (k,) in database.execute("SELECT DISTINCT kind FROM devices")}
    assert {"tv", "mobile", "web"} <= kinds
    live = database.execute("SELECT count(*) FROM device_sessions WHERE ended_at IS NULL").fetchone()[0]
    assert 0 < live < 100
