"""A small synthetic streaming world with known structure, built in memory for the ranking tests.

Titles belong to one of four taste clusters (genre); each viewer likes titles of one cluster, so a working
collaborative model recommends mostly that cluster. Every title gets the metadata the hard filters and soft
constraints read: kind, runtime, year, maturity, regions, language, countries, moods.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from recommender.dataset import Interactions, ItemMetadata

CLUSTERS = ("thriller", "comedy", "drama", "documentary")
MOODS = ("dark", "light", "tense", "warm")
REGIONS = ("US", "GB", "DE")
LANGUAGES = ("en", "de", "fr")


@dataclass
class World:
    interactions: Interactions
    items: ItemMetadata
    records: list[dict]
    cluster_of_item: dict[str, int]
    cluster_of_user: dict[str, int]


def build_world(n_items: int = 120, n_users: int = 200, seed: int = 0, timestamps: bool = True) -> World:
    rng = np.random.default_rng(seed)
    records, cluster_of_item = [], {}
    for i in range(n_items):
        cluster = i % len(CLUSTERS)
        item_id = f"t{i:04d}"
        cluster_of_item[item_id] = cluster
        second_genre = CLUSTERS[int(rng.integers(len(CLUSTERS)))]
        records.append(
            {
                "item_id": item_id,
                "title": f"Title {i}",
                "kind": "series" if rng.random() < 0.3 else "movie",
                "genres": sorted({CLUSTERS[cluster], second_genre}),
                "moods": [MOODS[cluster], MOODS[int(rng.integers(len(MOODS)))]],
                "runtime_minutes": int(rng.integers(20, 180)),
                "release_year": int(rng.integers(1970, 2025)),
                "maturity_rank": int(rng.integers(0, 5)),
                # A third of titles are licensed only in some regions; the rest are available everywhere.
                "regions": list(rng.choice(REGIONS, size=int(rng.integers(1, 3)), replace=False))
                if rng.random() < 0.33
                else [],
                "language": LANGUAGES[int(rng.integers(len(LANGUAGES)))],
                "countries": [REGIONS[int(rng.integers(len(REGIONS)))]],
                "description": f"A {CLUSTERS[cluster]} story number {i}.",
            }
        )
    users, items, times, cluster_of_user = [], [], [], {}
    # Popularity within a cluster is skewed (Zipf-like), so there is a head and a long tail.
    by_cluster = [[r["item_id"] for r in records if cluster_of_item[r["item_id"]] == c] for c in range(4)]
    for u in range(n_users):
        user_id = f"u{u:04d}"
        cluster = u % len(CLUSTERS)
        cluster_of_user[user_id] = cluster
        pool = by_cluster[cluster]
        weights = 1.0 / np.arange(1, len(pool) + 1) ** 0.8
        chosen = rng.choice(len(pool), size=8, replace=False, p=weights / weights.sum())
        for c in chosen:
            users.append(user_id)
            items.append(pool[c])
            times.append(1_700_000_000 + int(rng.integers(0, 90 * 86_400)))
    regions = {u: REGIONS[int(u[1:]) % len(REGIONS)] for u in cluster_of_user}
    interactions = Interactions.from_arrays(
        users,
        items,
        timestamps=times if timestamps else None,
        item_ids=[r["item_id"] for r in records],
        user_regions=regions,
    )
    return World(interactions, ItemMetadata.from_records(records), records, cluster_of_item, cluster_of_user)
