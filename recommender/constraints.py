"""What may be recommended: hard filters from the profile and soft constraints from the conversation.

Hard filters are never relaxed: titles already watched, above the profile's maturity limit, not available in
the profile's region, already suggested in this conversation, or explicitly excluded. Soft constraints are what
the viewer asked for (genre, mood, runtime, ...); when together they leave nothing, they are dropped one at a
time in `RELAXATION_ORDER` and the result says which ones were dropped.

All checks are vectorised over a `CatalogIndex` built once per model, so filtering a 20,000-title catalog
costs a few array operations.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from recommender.dataset import KINDS, ItemMetadata

logger = logging.getLogger(__name__)

# Least important first: a viewer asking for "a short thriller from the 90s" cares more about "thriller"
# than about the decade or the runtime, and most about whether it is a movie or a series.
RELAXATION_ORDER = (
    "year_range",
    "max_runtime",
    "languages",
    "countries",
    "people",
    "moods",
    "genres",
    "exclude_genres",
    "kind",
)


def _normalized(values: Iterable[str], *, upper: bool = False) -> tuple[str, ...]:
    cleaned = (str(v).strip() for v in values)
    return tuple(dict.fromkeys(v.upper() if upper else v.lower() for v in cleaned if v))


@dataclass(frozen=True)
class ProfileContext:
    """Who is watching. `maturity_limit` None means no limit; `region` None means only titles available
    everywhere (an unknown region must not unlock region-restricted titles). `user_id` is the viewer's id in
    the model's training data, when a history row (say, with fresh feedback folded in) is passed instead of
    the id: it lets the model score the row exactly as it scores that user by id."""

    region: str | None = None
    maturity_limit: int | None = None
    seen_ids: frozenset[str] = field(default_factory=frozenset)
    suggested_ids: frozenset[str] = field(default_factory=frozenset)
    user_id: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "region", self.region.strip().upper() if self.region else None)
        object.__setattr__(self, "seen_ids", frozenset(str(i) for i in self.seen_ids))
        object.__setattr__(self, "suggested_ids", frozenset(str(i) for i in self.suggested_ids))


@dataclass(frozen=True)
class Constraints:
    """What the viewer asked for in the conversation. Tags are matched case-insensitively; `genres` and
    `moods` match a title having any of them. `people` are matched in the title's text (title and
    description), because the catalog metadata carries no separate cast list. `like_item` ("more like X")
    steers scoring rather than filtering; `exclude_ids` are never shown, like a hard filter."""

    genres: tuple[str, ...] = ()
    moods: tuple[str, ...] = ()
    exclude_genres: tuple[str, ...] = ()
    kind: str | None = None
    max_runtime: float | None = None
    year_min: int | None = None
    year_max: int | None = None
    languages: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    people: tuple[str, ...] = ()
    like_item: str | None = None
    exclude_ids: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        for name in ("genres", "moods", "exclude_genres", "languages", "people"):
            value = getattr(self, name)
            if isinstance(value, str):
                raise ValueError(
                    f"constraint {name} must be a list of strings, not the single string {value!r}"
                )
            object.__setattr__(self, name, _normalized(value))
        if isinstance(self.countries, str):
            raise ValueError(
                f"constraint countries must be a list of codes, not the string {self.countries!r}"
            )
        object.__setattr__(self, "countries", _normalized(self.countries, upper=True))
        object.__setattr__(self, "exclude_ids", frozenset(str(i) for i in self.exclude_ids))
        if self.kind is not None:
            kind = self.kind.strip().lower()
            if kind not in KINDS:
                raise ValueError(f"constraint kind must be one of {KINDS}, got {self.kind!r}")
            object.__setattr__(self, "kind", kind)
        if self.max_runtime is not None and not self.max_runtime > 0:
            raise ValueError(
                f"constraint max_runtime must be a positive number of minutes, got {self.max_runtime}"
            )
        if self.year_min is not None and self.year_max is not None and self.year_min > self.year_max:
            raise ValueError(
                f"constraint year range is empty: year_min {self.year_min} is after year_max {self.year_max}; "
                "swap them or drop one"
            )

    def active(self) -> list[str]:
        """Names (from RELAXATION_ORDER) of the soft constraints that are set."""
        set_values = {
            "year_range": self.year_min is not None or self.year_max is not None,
            "max_runtime": self.max_runtime is not None,
            "languages": bool(self.languages),
            "countries": bool(self.countries),
            "people": bool(self.people),
            "moods": bool(self.moods),
            "genres": bool(self.genres),
            "exclude_genres": bool(self.exclude_genres),
            "kind": self.kind is not None,
        }
        return [name for name in RELAXATION_ORDER if set_values[name]]

    @property
    def preferences(self) -> tuple[str, ...]:
        """Requested genres and moods, in the form models take as stated preferences."""
        return self.genres + self.moods


class CatalogIndex:
    """Per-title arrays the filters need, aligned to a model's item order and built once.

    Titles without metadata have an unknown maturity, which every maturity limit excludes (fail closed).
    """

    def __init__(self, items: ItemMetadata) -> None:
        self.items = items
        self.item_index = items.item_index
        self.n_items = len(items)
        self._genres = items.genre_matrix.tocsc()
        self._moods = items.mood_matrix.tocsc()
        countries = [sorted(t.countries) for t in items.titles]
        self._country_vocab = {c: i for i, c in enumerate(sorted({c for cs in countries for c in cs}))}
        rows = [row for row, cs in enumerate(countries) for _ in cs]
        cols = [self._country_vocab[c] for cs in countries for c in cs]
        self._countries = sp.csc_matrix(
            (np.ones(len(rows), dtype=np.float32), (rows, cols)),
            shape=(self.n_items, len(self._country_vocab)),
        )
        self._region_cache: dict[str | None, np.ndarray] = {}
        self._tag_masks: dict[tuple[int, int], np.ndarray] = {}
        self._value_masks: dict[str, dict[str, np.ndarray]] = {}
        self._texts: list[str] | None = None

    @classmethod
    def for_items(cls, items: ItemMetadata | None, item_ids: np.ndarray) -> CatalogIndex:
        """Index over `item_ids`.

        Without any catalog (a ratings file alone) there are no regional licences to enforce, so every title
        counts as available everywhere; its maturity is still unknown, so a maturity limit excludes it.
        With a catalog, titles missing from it fail every hard filter (see ItemMetadata).
        """
        if items is None:
            return cls(ItemMetadata.from_records({"item_id": str(i)} for i in item_ids))
        return cls(items.align(item_ids))

    # -- hard filters --------------------------------------------------------------------------------------

    def available_in(self, region: str | None) -> np.ndarray:
        cached = self._region_cache.get(region)
        if cached is None:
            # No region: only titles licensed everywhere (fail closed), whatever the catalog's own default.
            cached = self.items.available_in(region) if region else self.items.everywhere.copy()
            self._region_cache[region] = cached
        return cached

    def indices_of(self, item_ids: Iterable[str]) -> np.ndarray:
        """Positions of the ids this catalog knows; ids it does not know cannot be recommended anyway."""
        index = self.item_index
        return np.fromiter((index[i] for i in item_ids if i in index), dtype=np.int64)

    def hard_mask(self, profile: ProfileContext, constraints: Constraints) -> np.ndarray:
        """True where a title may be shown to this profile at all."""
        mask = self.available_in(profile.region).copy()
        if profile.maturity_limit is not None:
            mask &= self.items.maturity <= profile.maturity_limit
        blocked = profile.seen_ids | profile.suggested_ids | constraints.exclude_ids
        if constraints.like_item is not None:
            blocked = blocked | {constraints.like_item}
        if blocked:
            mask[self.indices_of(blocked)] = False
        return mask

    # -- soft constraints ----------------------------------------------------------------------------------

    def soft_mask(self, name: str, constraints: Constraints) -> np.ndarray:
        """True where a title satisfies the soft constraint `name` (one of RELAXATION_ORDER)."""
        checks: dict[str, Callable[[Constraints], np.ndarray]] = {
            "year_range": self._year_range,
            "max_runtime": lambda c: self.items.runtime <= c.max_runtime,
            "languages": lambda c: self._any_value("language", c.languages),
            "countries": lambda c: self._any_tag(self._countries, self._country_vocab, c.countries),
            "people": self._people,
            "moods": lambda c: self._any_tag(self._moods, self.items.mood_index, c.moods),
            "genres": lambda c: self._any_tag(self._genres, self.items.genre_index, c.genres),
            "exclude_genres": lambda c: (
                ~self._any_tag(self._genres, self.items.genre_index, c.exclude_genres)
            ),
            "kind": lambda c: self._any_value("kind", (c.kind,)),
        }
        return checks[name](constraints)

    def _year_range(self, constraints: Constraints) -> np.ndarray:
        years = self.items.release_year
        mask = (
            np.ones(self.n_items, dtype=bool)
            if constraints.year_min is None
            else years >= constraints.year_min
        )
        if constraints.year_max is not None:
            mask &= years <= constraints.year_max  # NaN compares False: unknown years never match a range
        return mask

    def _people(self, constraints: Constraints) -> np.ndarray:
        if self._texts is None:
            self._texts = [f"{t.title} {t.description}".lower() for t in self.items.titles]
        return np.fromiter(
            (any(person in text for person in constraints.people) for text in self._texts),
            dtype=bool,
            count=self.n_items,
        )

    def _any_tag(self, matrix: sp.csc_matrix, vocab: dict[str, int], tags: tuple[str, ...]) -> np.ndarray:
        mask = np.zeros(self.n_items, dtype=bool)
        for column in {vocab[t] for t in tags if t in vocab}:
            mask |= self._column_mask(matrix, column)
        return mask

    def _any_value(self, attribute: str, values: tuple[str, ...]) -> np.ndarray:
        """Titles whose `attribute` (kind, language) is one of `values`. One mask per value the catalog has,
        made on first use: comparing 20,000 strings cost a quarter of a millisecond per request."""
        masks = self._value_masks.get(attribute)
        if masks is None:
            column = getattr(self.items, attribute)
            masks = self._value_masks[attribute] = {str(v): column == v for v in np.unique(column)}
        mask = np.zeros(self.n_items, dtype=bool)
        for value in values:
            if value in masks:  # a value no title has matches nothing
                mask |= masks[value]
        return mask

    def _column_mask(self, matrix: sp.csc_matrix, column: int) -> np.ndarray:
        """Titles with tag `column` of `matrix`, kept per tag: slicing a sparse column on every request cost
        more than the rest of the filtering."""
        key = (id(matrix), column)
        mask = self._tag_masks.get(key)
        if mask is None:
            mask = np.zeros(self.n_items, dtype=bool)
            mask[matrix.indices[matrix.indptr[column] : matrix.indptr[column + 1]]] = True
            self._tag_masks[key] = mask
        return mask

    def matched_tags(self, item_idx: int, constraints: Constraints) -> list[str]:
        """The requested genres and moods this title has, for reasons such as "matches thriller, dark"."""
        if not constraints.preferences:
            return []
        title = self.items.titles[item_idx]
        own = {g.lower() for g in title.genres} | {m.lower() for m in title.moods}
        return [tag for tag in constraints.preferences if tag in own]


@dataclass(frozen=True)
class CandidateSet:
    """Titles that pass every hard filter and the soft constraints still in force."""

    mask: np.ndarray
    relaxed: tuple[str, ...]


def candidates(
    index: CatalogIndex,
    profile: ProfileContext,
    constraints: Constraints,
    excluded: np.ndarray,
    min_results: int = 1,
) -> CandidateSet:
    """Apply hard filters, then soft constraints, relaxing them in RELAXATION_ORDER while fewer than
    `min_results` titles remain. `excluded` are positions that are never candidates (the history)."""
    hard = index.hard_mask(profile, constraints)
    hard[excluded] = False
    active = constraints.active()
    soft = {name: index.soft_mask(name, constraints) for name in active}
    relaxed: list[str] = []
    while True:
        mask = hard.copy()
        for name in active:
            if name not in relaxed:
                mask &= soft[name]
        remaining = [name for name in active if name not in relaxed]
        if int(mask.sum()) >= min_results or not remaining:
            break
        relaxed.append(remaining[0])
        logger.info(
            "relaxed constraint %s: %d titles matched every requested constraint",
            remaining[0],
            int(mask.sum()),
        )
    return CandidateSet(mask=mask, relaxed=tuple(relaxed))
