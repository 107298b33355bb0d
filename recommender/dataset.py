"""The recommender's two inputs: who interacted with what (`Interactions`) and what each title is (`ItemMetadata`).

Both are plain numpy/scipy containers with no database or Rasa dependency. Everything a model or the ranking
layer needs per item is held as a vectorised array aligned to the interaction matrix's columns, so filters and
scores are computed with array operations rather than Python loops over the catalog.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp

logger = logging.getLogger(__name__)

# Titles with no metadata (or no stated rating) get this maturity rank, so every maturity limit excludes them:
# a hard filter must fail closed rather than show an unrated title to a child profile.
MATURITY_UNKNOWN = np.iinfo(np.int32).max

KINDS = ("movie", "series")


def _as_str_array(values: Iterable[Any]) -> np.ndarray:
    """Ids are kept as a numpy unicode array: it saves with np.savez and loads without pickle."""
    if isinstance(values, np.ndarray) and values.dtype.kind == "U":
        array = values
    elif isinstance(values, np.ndarray) and values.dtype.kind in "iuS":
        # numpy converts a million integer or byte ids far faster than str() does one by one.
        array = values.astype(str)
    else:
        array = np.asarray([str(v) for v in values], dtype=str)
    return array.ravel() if array.size else np.empty(0, dtype="<U1")


class Interactions:
    """A users x items matrix of interaction weights, with the ids behind each row and column.

    `matrix[u, i]` is the summed weight of every event of user u on item i (a thumbs-down is a negative weight).
    `timestamps[u, i]`, when timestamps were given, is the time (epoch seconds) of the user's last event on i.
    `user_region[u]` is the user's region code ("" when unknown); popularity per region needs it.
    """

    def __init__(
        self,
        user_ids: np.ndarray,
        item_ids: np.ndarray,
        matrix: sp.csr_matrix,
        timestamps: sp.csr_matrix | None = None,
        user_region: np.ndarray | None = None,
    ) -> None:
        if matrix.shape != (len(user_ids), len(item_ids)):
            raise ValueError(
                f"matrix shape {matrix.shape} does not match {len(user_ids)} users x {len(item_ids)} items"
            )
        self.user_ids = user_ids
        self.item_ids = item_ids
        self.matrix = matrix
        self.timestamps = timestamps
        self.user_region = user_region if user_region is not None else np.full(len(user_ids), "", dtype="<U1")
        self.user_index: dict[str, int] = {u: i for i, u in enumerate(user_ids.tolist())}
        self.item_index: dict[str, int] = {t: i for i, t in enumerate(item_ids.tolist())}
        if len(self.user_index) != len(user_ids) or len(self.item_index) != len(item_ids):
            raise ValueError("user and item ids must be unique")

    @classmethod
    def from_arrays(
        cls,
        users: Sequence[Any] | np.ndarray,
        items: Sequence[Any] | np.ndarray,
        weights: Sequence[float] | np.ndarray | None = None,
        timestamps: Sequence[float] | np.ndarray | None = None,
        item_ids: Sequence[Any] | np.ndarray | None = None,
        user_regions: Mapping[str, str] | None = None,
    ) -> Interactions:
        """Build from parallel arrays of events.

        `weights` defaults to 1 per event; repeated (user, item) events are summed. `timestamps` are epoch seconds;
        the latest one per (user, item) is kept. `item_ids` fixes the column order and lets titles nobody has
        interacted with yet (new titles) have a column; every interacted item must then be in it. Without it the
        columns are the interacted items, sorted. Users are sorted.
        """
        users_arr = _as_str_array(users)
        items_arr = _as_str_array(items)
        n_events = len(users_arr)
        if len(items_arr) != n_events:
            raise ValueError(
                f"users has {n_events} entries but items has {len(items_arr)}; they must be parallel"
            )
        if weights is None:
            weight_arr = np.ones(n_events, dtype=np.float32)
        else:
            weight_arr = np.asarray(weights, dtype=np.float32)
            if weight_arr.shape != (n_events,):
                raise ValueError(f"weights has shape {weight_arr.shape}; expected ({n_events},)")
            if not np.all(np.isfinite(weight_arr)):
                bad = int(np.flatnonzero(~np.isfinite(weight_arr))[0])
                raise ValueError(f"weight of event {bad} is not a finite number; fix or drop that event")

        user_ids, user_codes = _factorize(users_arr)
        if item_ids is None:
            column_ids, item_codes = _factorize(items_arr)
        else:
            column_ids = _as_str_array(item_ids)
            index = {t: i for i, t in enumerate(column_ids.tolist())}
            if len(index) != len(column_ids):
                raise ValueError("item_ids contains duplicates; each catalog id must appear once")
            unknown = sorted({t for t in set(items_arr.tolist()) if t not in index})
            if unknown:
                raise ValueError(
                    f"{len(unknown)} interacted item ids are not in item_ids (first: {unknown[:5]}); "
                    "add them to the catalog or drop those events"
                )
            item_codes = np.fromiter((index[t] for t in items_arr.tolist()), dtype=np.int64, count=n_events)

        shape = (len(user_ids), len(column_ids))
        matrix = sp.csr_matrix((weight_arr, (user_codes, item_codes)), shape=shape, dtype=np.float32)
        matrix.sum_duplicates()

        time_matrix = None
        if timestamps is not None:
            time_arr = np.asarray(timestamps, dtype=np.float64)
            if time_arr.shape != (n_events,):
                raise ValueError(f"timestamps has shape {time_arr.shape}; expected ({n_events},)")
            time_matrix = _last_event_times(user_codes, item_codes, time_arr, shape)

        region_arr = None
        if user_regions is not None:
            region_arr = _as_str_array(str(user_regions.get(u, "") or "").upper() for u in user_ids.tolist())

        logger.debug(
            "built interactions: %d events, %d users, %d items, %d non-zero cells",
            n_events,
            shape[0],
            shape[1],
            matrix.nnz,
        )
        return cls(user_ids, column_ids, matrix, time_matrix, region_arr)

    @property
    def n_users(self) -> int:
        return len(self.user_ids)

    @property
    def n_items(self) -> int:
        return len(self.item_ids)

    def user_row(self, user_id: str) -> sp.csr_matrix:
        """The user's training row (1 x n_items); KeyError for an unknown user."""
        return self.matrix[self.user_index[user_id]]

    def empty_history(self) -> sp.csr_matrix:
        return sp.csr_matrix((1, self.n_items), dtype=np.float32)

    def history_row(
        self,
        item_ids: Sequence[str],
        weights: Sequence[float] | None = None,
        *,
        base: sp.csr_matrix | None = None,
    ) -> sp.csr_matrix:
        """A 1 x n_items history from item ids (and weights, default 1), added on top of `base` if given.

        This is how fresh feedback is folded in: a thumbs-up adds a positive weight, a thumbs-down a negative one.
        Unknown ids raise a ValueError naming them.
        """
        unknown = [t for t in item_ids if t not in self.item_index]
        if unknown:
            raise ValueError(f"unknown title ids {unknown[:5]}; they are not in the model's catalog")
        columns = np.fromiter((self.item_index[t] for t in item_ids), dtype=np.int64, count=len(item_ids))
        data = np.ones(len(columns), dtype=np.float32) if weights is None else np.asarray(weights, np.float32)
        row = sp.csr_matrix(
            (data, (np.zeros(len(columns), dtype=np.int64), columns)), shape=(1, self.n_items)
        )
        row.sum_duplicates()
        if base is not None:
            row = (base + row).tocsr()
            row.eliminate_zeros()
        return row.astype(np.float32)

    def fingerprint(self) -> str:
        """sha256 over ids and matrix contents: two Interactions with the same fingerprint hold the same data."""
        digest = hashlib.sha256()
        for array in (
            self.user_ids,
            self.item_ids,
            self.matrix.indptr,
            self.matrix.indices,
            self.matrix.data,
        ):
            digest.update(np.ascontiguousarray(array).tobytes())
        if self.timestamps is not None:
            digest.update(np.ascontiguousarray(self.timestamps.data).tobytes())
        return digest.hexdigest()

    def get_state(self) -> dict[str, np.ndarray]:
        """Numpy arrays only, so the state can be saved with np.savez and loaded with allow_pickle=False."""
        state = {
            "user_ids": self.user_ids,
            "item_ids": self.item_ids,
            "user_region": self.user_region,
            "matrix_indptr": self.matrix.indptr,
            "matrix_indices": self.matrix.indices,
            "matrix_data": self.matrix.data,
        }
        if self.timestamps is not None:
            state["timestamps_indptr"] = self.timestamps.indptr
            state["timestamps_indices"] = self.timestamps.indices
            state["timestamps_data"] = self.timestamps.data
        return state

    @classmethod
    def from_state(cls, state: Mapping[str, np.ndarray]) -> Interactions:
        user_ids, item_ids = state["user_ids"], state["item_ids"]
        shape = (len(user_ids), len(item_ids))
        matrix = sp.csr_matrix(
            (state["matrix_data"], state["matrix_indices"], state["matrix_indptr"]),
            shape=shape,
            dtype=np.float32,
        )
        timestamps = None
        if "timestamps_data" in state:
            timestamps = sp.csr_matrix(
                (state["timestamps_data"], state["timestamps_indices"], state["timestamps_indptr"]),
                shape=shape,
            )
        return cls(user_ids, item_ids, matrix, timestamps, state["user_region"])


def _factorize(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct values and each value's code; like np.unique(return_inverse=True), but hashing the
    strings instead of sorting all of them, which is several times faster for millions of events."""
    index: dict[str, int] = {}
    first_codes = np.fromiter(
        (index.setdefault(v, len(index)) for v in values.tolist()), dtype=np.int64, count=len(values)
    )
    distinct = _as_str_array(index)
    order = np.argsort(distinct, kind="stable")
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    return distinct[order], rank[first_codes]


def _last_event_times(
    user_codes: np.ndarray, item_codes: np.ndarray, times: np.ndarray, shape: tuple[int, int]
) -> sp.csr_matrix:
    """csr of the latest event time per (user, item), with the same sparsity pattern as the weight matrix."""
    if len(times) == 0:
        return sp.csr_matrix(shape, dtype=np.float64)
    cell = user_codes.astype(np.int64) * shape[1] + item_codes
    order = np.argsort(cell, kind="stable")
    cell_sorted = cell[order]
    starts = np.flatnonzero(np.r_[True, cell_sorted[1:] != cell_sorted[:-1]])
    latest = np.maximum.reduceat(times[order], starts)
    first = order[starts]
    return sp.csr_matrix((latest, (user_codes[first], item_codes[first])), shape=shape, dtype=np.float64)


@dataclass(frozen=True)
class Title:
    """What the catalog says about one title."""

    item_id: str
    title: str = ""
    kind: str = ""
    genres: tuple[str, ...] = ()
    moods: tuple[str, ...] = ()
    runtime_minutes: float | None = None
    seasons: int | None = None
    release_year: int | None = None
    language: str = ""
    countries: tuple[str, ...] = ()
    maturity_rank: int | None = None
    regions: frozenset[str] = field(default_factory=frozenset)
    description: str = ""
    date_added: float | None = None

    def text(self) -> str:
        """The text the content model embeds: title, genres, moods and the description's first sentence.

        The first sentence says what a title is about; the rest of a synopsis adds little to a 384-dimension
        sentence vector, while the encoder's cost grows with every token (20,000 titles are encoded per cold
        fit)."""
        parts = [self.title, ", ".join(self.genres), ", ".join(self.moods), first_sentence(self.description)]
        return ". ".join(p.strip() for p in parts if p and p.strip())


# A full stop, question or exclamation mark, then space and a capital: a sentence end, unless the word before
# it is a common abbreviation ("Dr. No", "Mr. Smith", "St. Louis").
_SENTENCE_END = re.compile(r"(\w*)[.!?]\s+(?=[A-Z0-9\"'(])")
_ABBREVIATIONS = frozenset(
    ["mr", "mrs", "ms", "dr", "st", "jr", "sr", "mt", "lt", "col", "gen", "capt", "prof", "vs"]
)


def first_sentence(text: str) -> str:
    """The first sentence of `text` (all of it when there is no sentence end), with its punctuation."""
    text = text.strip()
    for end in _SENTENCE_END.finditer(text):
        if end.group(1).lower() not in _ABBREVIATIONS:
            return text[: end.end()].rstrip()
    return text


def _split_list(value: Any, what: str, position: int) -> tuple[str, ...]:
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        separator = "|" if "|" in value else ","
        return tuple(v.strip() for v in value.split(separator) if v.strip())
    if isinstance(value, Iterable):
        return tuple(str(v).strip() for v in value if str(v).strip())
    raise ValueError(f"record {position}: {what} must be a list or a '|'-separated string, got {value!r}")


def _optional_number(value: Any, what: str, position: int, kind: type) -> Any:
    if value is None or value == "":
        return None
    try:
        return kind(value)
    except (TypeError, ValueError):
        raise ValueError(f"record {position}: {what} must be a number, got {value!r}") from None


def _epoch_seconds(value: Any, position: int) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, dt.datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        return moment.timestamp()
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC).timestamp()
    if isinstance(value, str):
        try:
            return _epoch_seconds(dt.datetime.fromisoformat(value), position)
        except ValueError:
            pass
    raise ValueError(f"record {position}: date_added must be an ISO date or epoch seconds, got {value!r}")


def title_from_record(record: Mapping[str, Any], position: int = 0) -> Title:
    """Validate one metadata record (a dict); errors name the record's position and the field."""
    item_id = record.get("item_id", record.get("id"))
    if item_id is None or str(item_id).strip() == "":
        raise ValueError(f"record {position}: missing item_id")
    kind = str(record.get("kind") or "").strip().lower()
    if kind and kind not in KINDS:
        raise ValueError(f"record {position} ({item_id}): kind must be one of {KINDS}, got {kind!r}")
    return Title(
        item_id=str(item_id),
        title=str(record.get("title") or ""),
        kind=kind,
        genres=_split_list(record.get("genres"), "genres", position),
        moods=_split_list(record.get("moods"), "moods", position),
        runtime_minutes=_optional_number(record.get("runtime_minutes"), "runtime_minutes", position, float),
        seasons=_optional_number(record.get("seasons"), "seasons", position, int),
        release_year=_optional_number(record.get("release_year"), "release_year", position, int),
        language=str(record.get("language") or "").strip().lower(),
        countries=tuple(c.upper() for c in _split_list(record.get("countries"), "countries", position)),
        maturity_rank=_optional_number(record.get("maturity_rank"), "maturity_rank", position, int),
        regions=frozenset(r.upper() for r in _split_list(record.get("regions"), "regions", position)),
        description=str(record.get("description") or ""),
        date_added=_epoch_seconds(record.get("date_added"), position),
    )


def _tag_matrix(tag_lists: Sequence[Sequence[str]]) -> tuple[list[str], dict[str, int], sp.csr_matrix]:
    """Item x tag 0/1 matrix over lower-cased tags, with its sorted vocabulary."""
    vocabulary = sorted({t.lower() for tags in tag_lists for t in tags})
    index = {t: i for i, t in enumerate(vocabulary)}
    rows, cols = [], []
    for row, tags in enumerate(tag_lists):
        for column in {index[t.lower()] for t in tags}:
            rows.append(row)
            cols.append(column)
    matrix = sp.csr_matrix(
        (np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(len(tag_lists), len(vocabulary))
    )
    return vocabulary, index, matrix


class ItemMetadata:
    """Catalog metadata for an ordered list of titles, with vectorised per-title arrays in that order.

    Arrays (all length n_items, aligned to `item_ids`):
      `known` (bool: the title had a metadata record), `kind` (str: "movie", "series" or ""),
      `maturity` (int32; MATURITY_UNKNOWN when unrated), `runtime` (float32 minutes, NaN unknown),
      `release_year` (float32, NaN unknown), `language` (str, lower case), `date_added` (float64 epoch s, NaN),
      `genre_matrix` / `mood_matrix` / `region_matrix` (csr, item x tag, over `genre_vocab` etc., lower/upper
      cased), `everywhere` (bool: has metadata and no region list, so available in every region).
    Comparisons with NaN are False, so a runtime or year constraint excludes titles whose value is unknown.
    """

    def __init__(self, titles: Sequence[Title], item_ids: Sequence[str] | None = None) -> None:
        by_id = {t.item_id: t for t in titles}
        if len(by_id) != len(titles):
            seen: set[str] = set()
            duplicate = next(t.item_id for t in titles if t.item_id in seen or seen.add(t.item_id))
            raise ValueError(f"item {duplicate!r} has more than one metadata record; keep one")
        self._by_id = by_id
        order = [t.item_id for t in titles] if item_ids is None else [str(i) for i in item_ids]
        self.item_ids = _as_str_array(order)
        self.item_index: dict[str, int] = {t: i for i, t in enumerate(order)}
        aligned = [by_id.get(i) or Title(item_id=i) for i in order]
        self.titles: list[Title] = aligned
        self.known = np.fromiter((i in by_id for i in order), dtype=bool, count=len(order))
        self.kind = _as_str_array(t.kind for t in aligned)
        self.maturity = np.fromiter(
            (MATURITY_UNKNOWN if t.maturity_rank is None else t.maturity_rank for t in aligned),
            dtype=np.int32,
            count=len(aligned),
        )
        self.runtime = np.array(
            [np.nan if t.runtime_minutes is None else t.runtime_minutes for t in aligned], np.float32
        )
        self.release_year = np.array(
            [np.nan if t.release_year is None else t.release_year for t in aligned], np.float32
        )
        self.language = _as_str_array(t.language for t in aligned)
        self.date_added = np.array(
            [np.nan if t.date_added is None else t.date_added for t in aligned], np.float64
        )
        self.genre_vocab, self.genre_index, self.genre_matrix = _tag_matrix([t.genres for t in aligned])
        self.mood_vocab, self.mood_index, self.mood_matrix = _tag_matrix([t.moods for t in aligned])
        region_lists = [sorted(t.regions) for t in aligned]
        self.region_vocab, self.region_index, self.region_matrix = _tag_matrix(region_lists)
        self.region_vocab = [r.upper() for r in self.region_vocab]
        self.region_index = {r.upper(): i for r, i in self.region_index.items()}
        # Titles without any metadata are not "everywhere": availability must fail closed, like maturity.
        self.everywhere = self.known & np.array([not t.regions for t in aligned], dtype=bool)
        self._genre_columns = self.genre_matrix.tocsc()
        self._mood_columns = self.mood_matrix.tocsc()
        self._region_columns = self.region_matrix.tocsc()

    @classmethod
    def from_records(cls, records: Iterable[Mapping[str, Any]]) -> ItemMetadata:
        return cls([title_from_record(r, position) for position, r in enumerate(records)])

    def align(self, item_ids: Sequence[str] | np.ndarray) -> ItemMetadata:
        """The same metadata re-ordered to `item_ids` (e.g. an Interactions' columns); ids without a record get
        empty metadata and `known` False."""
        return ItemMetadata(list(self._by_id.values()), list(np.asarray(item_ids).tolist()))

    def __len__(self) -> int:
        return len(self.item_ids)

    def __getitem__(self, item_id: str) -> Title:
        return self.titles[self.item_index[item_id]]

    def records(self) -> list[Title]:
        """Every title that has a metadata record, including ones outside the aligned order."""
        return list(self._by_id.values())

    def texts(self) -> list[str]:
        return [t.text() for t in self.titles]

    def available_in(self, region: str | None) -> np.ndarray:
        """bool per title: may be shown in `region` (titles without a region list are available everywhere).

        With no region given, every title that has metadata counts as available."""
        if not region:
            return self.known.copy()
        column = self.region_index.get(region.upper())
        if column is None:
            return self.everywhere.copy()
        return self.everywhere | _has_any(self._region_columns, [column])

    def has_any_genre(self, genres: Iterable[str]) -> np.ndarray:
        return _has_any(
            self._genre_columns,
            [self.genre_index[g.lower()] for g in genres if g.lower() in self.genre_index],
        )

    def has_any_mood(self, moods: Iterable[str]) -> np.ndarray:
        return _has_any(
            self._mood_columns, [self.mood_index[m.lower()] for m in moods if m.lower() in self.mood_index]
        )


def _has_any(columns_matrix: sp.csc_matrix, columns: Sequence[int]) -> np.ndarray:
    """bool per item: has any of the tag columns. Reads the csc index lists directly: these masks are built
    on every recommendation, and sparse column slicing costs milliseconds at catalog scale."""
    mask = np.zeros(columns_matrix.shape[0], dtype=bool)
    indptr, indices = columns_matrix.indptr, columns_matrix.indices
    for column in columns:
        mask[indices[indptr[column] : indptr[column + 1]]] = True
    return mask
