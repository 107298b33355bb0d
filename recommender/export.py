"""Writers for the files recommender.io reads: interactions as CSV (user_id,item_id,rating,timestamp) and titles
as movies.csv (movieId,title,genres), so data held elsewhere (an account database) can go through
`python -m recommender fit / evaluate / recommend` like any public data set."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from recommender.dataset import Interactions
from recommender.io import INTERACTION_CSV_COLUMNS


def _cell_times(interactions: Interactions, users: np.ndarray, items: np.ndarray) -> np.ndarray:
    """The last event time of each (user, item) cell, 0 where none was recorded."""
    if interactions.timestamps is None:
        return np.zeros(len(users))
    return np.asarray(interactions.timestamps.tocsr()[users, items]).ravel()


def write_interactions_csv(interactions: Interactions, path: str | Path) -> int:
    """One row per non-zero (user, item) cell, its weight as the rating; returns the number of rows written.
    Written to a temporary file and renamed, so a reader never sees half a file."""
    cells = interactions.matrix.tocoo()
    users, items, weights = cells.row, cells.col, cells.data
    times = _cell_times(interactions, users, items)
    order = np.lexsort((items, users))
    path = Path(path)
    partial = path.with_name(f".{path.name}.partial")
    with open(partial, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(INTERACTION_CSV_COLUMNS)
        user_ids, item_ids = interactions.user_ids, interactions.item_ids
        for row in order:
            writer.writerow(
                (user_ids[users[row]], item_ids[items[row]], f"{weights[row]:g}", int(round(times[row])))
            )
    partial.replace(path)
    return len(order)


def write_movies_csv(records: Iterable[Mapping[str, Any]], path: str | Path) -> int:
    """movies.csv from ItemMetadata-style records (item_id, title, release_year, genres): the title carries
    its year as "Title (1999)", as MovieLens writes it and recommender.io reads it back."""
    path = Path(path)
    partial = path.with_name(f".{path.name}.partial")
    count = 0
    with open(partial, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(("movieId", "title", "genres"))
        for record in records:
            title = str(record.get("title") or "").strip()
            year = record.get("release_year")
            if year:
                title = f"{title} ({int(year)})"
            genres = "|".join(str(g).replace("|", "/") for g in record.get("genres") or ())
            writer.writerow((record["item_id"], title, genres or "(no genres listed)"))
            count += 1
    partial.replace(path)
    return count
