"""The demo catalog: movies and series with believable titles, descriptions and metadata.

`generate_catalog` is a pure function of its random generator and arguments, so the same seed always
yields the same catalog. Alongside the printable fields it keeps the numeric structure later phases
need (genre and mood weights, popularity, episode layout, regional availability).
"""

from __future__ import annotations

import datetime as dt
import functools
import string
from dataclasses import dataclass

import numpy as np

from accountdb.demo.anchors import ANCHOR_TITLES, AnchorTitle
from accountdb.demo.genres import (
    CITY_PATTERN_NOUNS,
    GENRE_BY_KEY,
    GENRE_INDEX,
    GENRE_KEYS,
    GENRES,
    KIDS_GENRES,
    MOOD_ADJECTIVE,
    MOOD_INDEX,
    MOODS,
    TIMES_OF_DAY,
    Genre,
)
from accountdb.demo.geography import CITIES, CONTENT_LANGUAGES, HOME_REGIONS, REGION_CODES
from accountdb.demo.people import GIVEN_NAMES, PersonPool, build_person_pool
from accountdb.maturity import MATURITY_SCALE

# Names that suit cartoon heroes better than real given names do.
CHARACTER_NAMES = (
    "Pip", "Milo", "Luna", "Olive", "Bo", "Tilly", "Juniper", "Ziggy", "Poppy", "Otis", "Mabel", "Finn",
    "Hazel", "Rocco", "Bean", "Wren", "Nico", "Dot", "Pebble", "Moss",
)  # fmt: skip
STREETS = ("Orchard", "Mercer", "Holloway", "Baker", "Canal", "Chestnut", "Harbor", "Mill", "Rue Lepic")
NUMBERS = ("Nine", "Seven", "Zero", "One", "Twelve", "2049", "Six")
# What follows "of" in "House of Secrets"; the tone matches the genre family.
OF_COMPLEMENTS: dict[str, tuple[str, ...]] = {
    "dark": (
        "Secrets",
        "Shadows",
        "Lies",
        "Ashes",
        "Bones",
        "Smoke",
        "Silence",
        "Blood",
        "Glass",
        "Sorrow",
        "Strangers",
    ),
    "light": ("Tomorrow", "Fortune", "Sunshine", "Dreams", "Wonder", "Mischief", "Plenty", "Second Chances"),
    "epic": ("Kings", "Fire", "Storms", "Thunder", "Legends", "Stars", "Giants", "Ruin", "Iron"),
}
_OF_FAMILY = {"comedy": "light", "romance": "light", "family": "light", "adventure": "epic", "fantasy": "epic",
              "scifi": "epic", "action": "epic", "history": "epic", "war": "epic"}  # fmt: skip
# How a secondary genre is named inside a description ("..., with a touch of mystery").
GENRE_FLAVOUR = {"scifi": "science fiction", "food": "food and travel", "music": "music", "teen": "teen drama",
                 "reality": "reality TV", "standup": "stand-up", "kids": "fun for little ones",
                 "animation": "animation", "documentary": "documentary realism"}  # fmt: skip
GENERIC_SUBTITLES = ("The Reckoning", "Homecoming", "The Last Chapter", "Origins", "Legacy", "Redemption")
SEQUEL_SUFFIXES = (" II", " 2", ": Part Two", " III")

# Share of titles that are global originals, licensed in every region.
ORIGINAL_SHARE = 0.18

# Maturity label distributions per audience band, separately for movies and series.
MATURITY_BANDS: dict[str, dict[str, tuple[tuple[str, float], ...]]] = {
    "preschool": {
        "movie": (("G", 0.45), ("TV-Y", 0.35), ("TV-Y7", 0.2)),
        "series": (("TV-Y", 0.6), ("TV-Y7", 0.3), ("TV-Y7-FV", 0.1)),
    },
    "kids": {
        "movie": (("G", 0.35), ("PG", 0.5), ("TV-Y7", 0.15)),
        "series": (("TV-Y7", 0.45), ("TV-Y7-FV", 0.1), ("TV-G", 0.3), ("TV-PG", 0.15)),
    },
    "general": {
        "movie": (("PG", 0.35), ("PG-13", 0.5), ("R", 0.07), ("G", 0.08)),
        "series": (("TV-G", 0.2), ("TV-PG", 0.4), ("TV-14", 0.35), ("TV-MA", 0.05)),
    },
    "mainstream": {
        "movie": (("PG", 0.15), ("PG-13", 0.56), ("R", 0.285), ("NC-17", 0.005)),
        "series": (("TV-PG", 0.2), ("TV-14", 0.55), ("TV-MA", 0.25)),
    },
    "adult": {
        "movie": (("PG", 0.06), ("PG-13", 0.44), ("R", 0.495), ("NC-17", 0.005)),
        "series": (("TV-PG", 0.1), ("TV-14", 0.45), ("TV-MA", 0.45)),
    },
    "dark": {
        "movie": (("PG-13", 0.3), ("R", 0.69), ("NC-17", 0.01)),
        "series": (("TV-14", 0.3), ("TV-MA", 0.7)),
    },
}
_GENRE_BAND = {
    "kids": "preschool", "animation": "kids", "family": "kids", "documentary": "general", "food": "general",
    "reality": "general", "sports": "general", "music": "general", "teen": "general", "history": "adult",
    "horror": "dark", "crime": "dark", "thriller": "dark", "war": "dark", "comedy": "mainstream",
    "romance": "mainstream", "adventure": "mainstream", "fantasy": "mainstream", "scifi": "mainstream",
    "action": "mainstream", "anime": "mainstream", "standup": "adult",
}  # fmt: skip


@dataclass
class Catalog:
    """Columnar catalog; index i describes title id `ids[i]`."""

    ids: np.ndarray
    kind: list[str]
    title: list[str]
    description: list[str]
    genres: list[list[str]]
    moods: list[list[str]]
    cast: list[list[str]]
    directors: list[list[str]]
    countries: list[list[str]]
    language: list[str]
    release_year: np.ndarray
    maturity_rating: list[str]
    maturity_rank: np.ndarray
    runtime_minutes: np.ndarray  # 0 for series
    seasons: np.ndarray  # 0 for movies
    episodes_per_season: np.ndarray  # 0 for movies
    episode_minutes: np.ndarray  # movie runtime for movies, so "minutes of one sitting" is uniform
    available: np.ndarray  # bool (titles, regions), columns in REGION_CODES order
    date_added: np.ndarray  # datetime64[D]
    popularity: np.ndarray  # float64 weights summing to 1 (long tail)
    genre_weights: np.ndarray  # float32 (titles, genres), each row sums to 1
    mood_weights: np.ndarray  # float32 (titles, moods), each row sums to 1
    is_kids: np.ndarray  # bool: made for kids profiles

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def is_series(self) -> np.ndarray:
        return self.seasons > 0


def _pick(rng: np.random.Generator, options: tuple[str, ...] | list[str]) -> str:
    return options[int(rng.integers(len(options)))]


def _weighted(rng: np.random.Generator, pairs: tuple[tuple[str, float], ...]) -> str:
    weights = np.array([w for _, w in pairs])
    return pairs[int(rng.choice(len(pairs), p=weights / weights.sum()))][0]


class _TitleNamer:
    """Composes unique title names from a genre's word lists."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.taken: set[str] = set()

    def reserve(self, name: str) -> None:
        self.taken.add(name.casefold())

    def compose(self, genre: Genre, language: str, comedian: str | None, year: int) -> str:
        for _attempt in range(40):
            name = self._fill(
                _pick(self.rng, genre.patterns + CITY_PATTERN_NOUNS.get(genre.key, ())),
                genre,
                language,
                comedian,
            )
            if name.casefold() not in self.taken:
                self.reserve(name)
                return name
        # Real catalogs disambiguate remakes and namesakes by year; we do the same when words run out.
        base = self._fill(_pick(self.rng, genre.patterns), genre, language, comedian)
        subtitle = "" if ":" in base else f": {_pick(self.rng, GENERIC_SUBTITLES)}"
        for suffix in (subtitle, f" ({year})", f"{subtitle} ({year})", f" ({year}, {language.upper()})"):
            if (base + suffix).casefold() not in self.taken:
                self.reserve(base + suffix)
                return base + suffix
        name = f"{base} ({year}) #{len(self.taken)}"
        self.reserve(name)
        return name

    def _fill(self, pattern: str, genre: Genre, language: str, comedian: str | None) -> str:
        rng = self.rng
        nouns = genre.title_nouns
        first = int(rng.integers(len(nouns)))
        makers = {
            "adj": lambda: _pick(rng, genre.title_adjectives),
            "noun": lambda: nouns[first],
            # A different noun from the first, so "The House and the House" cannot happen.
            "noun2": lambda: nouns[(first + 1 + int(rng.integers(len(nouns) - 1))) % len(nouns)],
            "of": lambda: _pick(rng, OF_COMPLEMENTS[_OF_FAMILY.get(genre.key, "dark")]),
            "word": lambda: _pick(rng, genre.one_word_titles),
            "city": lambda: _pick(rng, CITIES),
            "time": lambda: _pick(rng, TIMES_OF_DAY),
            "street": lambda: _pick(rng, STREETS),
            "number": lambda: _pick(rng, NUMBERS),
            "subtitle": lambda: _pick(rng, genre.series_subtitles or GENERIC_SUBTITLES),
            "name": lambda: (
                comedian
                or _pick(rng, CHARACTER_NAMES if genre.kids else GIVEN_NAMES.get(language, GIVEN_NAMES["en"]))
            ),
        }
        return pattern.format(**{field: makers[field]() for field in _pattern_fields(pattern)})


@functools.cache
def _pattern_fields(pattern: str) -> tuple[str, ...]:
    return tuple(field for _, field, _, _ in string.Formatter().parse(pattern) if field)


def _sentence(text: str) -> str:
    return text[0].upper() + text[1:]


def _describe(
    rng: np.random.Generator, genre: Genre, secondary: list[str], moods: list[str], is_series: bool
) -> str:
    protagonist = _pick(rng, genre.protagonists)
    conflict = _pick(rng, genre.conflicts)
    setting = _pick(rng, genre.settings).format(city=_pick(rng, CITIES))
    if rng.random() < 0.5:
        premise = f"{_sentence(protagonist)} {conflict} {setting}."
    else:
        premise = f"{_sentence(setting)}, {protagonist} {conflict}."
    noun = genre.series_noun if is_series else genre.movie_noun
    # "A romantic, cozy romantic drama" reads badly: skip moods the genre noun already says.
    adjectives = [MOOD_ADJECTIVE[m] for m in moods if MOOD_ADJECTIVE[m] not in noun][:2] or ["compelling"]
    article = "An" if adjectives[0][0] in "aeiou" else "A"
    summary = f"{article} {', '.join(adjectives)} {noun} about {_pick(rng, genre.themes)}"
    if secondary:
        flavour = GENRE_FLAVOUR.get(secondary[0], GENRE_BY_KEY[secondary[0]].name.lower())
        summary += f", with a {'streak' if rng.random() < 0.5 else 'touch'} of {flavour}"
    return f"{premise} {summary}."


def _secondary_genres(rng: np.random.Generator, genre: Genre) -> list[str]:
    partners = [p for p in genre.partners if (p not in KIDS_GENRES) or genre.kids]
    if genre.kids:
        partners = [p for p in partners if GENRE_BY_KEY[p].kids or p in ("adventure", "comedy", "fantasy")]
    count = 1 if rng.random() < 0.55 else 2
    count = min(count, len(partners))
    weights = np.linspace(1.0, 0.4, len(partners))  # earlier partners are the more common pairing
    picked = rng.choice(len(partners), size=count, replace=False, p=weights / weights.sum())
    return [partners[i] for i in picked.tolist()]


def _maturity(rng: np.random.Generator, genres: list[str], kind: str) -> str:
    primary_band = _GENRE_BAND.get(genres[0], "adult")
    if primary_band not in ("preschool", "kids") and any(g in ("family", "animation") for g in genres[1:]):
        primary_band = "general"  # an adult-genre title paired with family content is family-friendly
    if primary_band == "kids" and "kids" in genres:
        primary_band = "preschool"
    return _weighted(rng, MATURITY_BANDS[primary_band][kind])


def _language_for(rng: np.random.Generator, genre: Genre) -> tuple[str, list[str]]:
    if genre.key == "anime":
        language = "ja" if rng.random() < 0.92 else "ko"
    else:
        language = _weighted(rng, tuple((code, share) for code, share, _ in CONTENT_LANGUAGES))
    countries = dict((code, c) for code, _, c in CONTENT_LANGUAGES)[language]
    home = _weighted(rng, countries)
    result = [home]
    if rng.random() < 0.15:  # co-productions
        other = _weighted(rng, dict((c, cs) for c, _, cs in CONTENT_LANGUAGES)["en"])
        if other != home:
            result.append(other)
    return language, result


def _seasons(rng: np.random.Generator) -> int:
    # Most series end early; a few run long (1: 38%, 2: 24%, ... 8: 2%).
    return int(rng.choice(np.arange(1, 9), p=[0.38, 0.24, 0.14, 0.09, 0.06, 0.04, 0.03, 0.02]))


def _episodes(rng: np.random.Generator, genre: Genre) -> int:
    if genre.kids:
        return int(rng.choice([13, 20, 26, 52]))
    if genre.key in ("comedy", "anime"):
        return int(rng.choice([10, 12, 13, 22, 24]))
    if genre.key in ("documentary", "sports", "food"):
        return int(rng.choice([4, 6, 8]))
    return int(rng.choice([6, 8, 10, 10, 12]))


def _availability(rng: np.random.Generator, countries: list[str], original: bool) -> np.ndarray:
    if original:
        return np.ones(len(REGION_CODES), dtype=bool)
    home = {r for c in countries for r in HOME_REGIONS.get(c, ())}
    chance = np.array([0.9 if code in home else 0.38 for code in REGION_CODES])
    available = rng.random(len(REGION_CODES)) < chance
    if not available.any():
        available[REGION_CODES.index(next(iter(sorted(home))) if home else "US")] = True
    return available


def generate_catalog(rng: np.random.Generator, title_count: int, as_of: dt.date) -> Catalog:
    """`title_count` titles (at least the anchors), released and added up to `as_of`."""
    title_count = max(title_count, len(ANCHOR_TITLES))
    generated = title_count - len(ANCHOR_TITLES)
    namer = _TitleNamer(rng)
    for anchor in ANCHOR_TITLES:
        namer.reserve(anchor.title)

    language_titles: dict[str, int] = {}
    primary_shares = np.array([g.share for g in GENRES])
    primaries = rng.choice(len(GENRES), size=generated, p=primary_shares / primary_shares.sum())
    drafts: list[dict] = []
    for index in range(generated):
        genre = GENRES[int(primaries[index])]
        kind = "series" if rng.random() < genre.series_share else "movie"
        language, countries = _language_for(rng, genre)
        language_titles[language] = language_titles.get(language, 0) + 1
        drafts.append({"genre": genre, "kind": kind, "language": language, "countries": countries})

    # Film people per language: enough that most names recur a few times, a few recur a lot.
    pool = build_person_pool(
        rng, {lang: max(12, count * 2) for lang, count in language_titles.items()} | {"en": 40}
    )

    columns = _empty_columns()
    for anchor in ANCHOR_TITLES:
        _append_anchor(columns, anchor)
    for draft in drafts:
        _append_generated(columns, rng, namer, pool, draft, as_of)
    _add_sequels(columns, rng, namer, as_of)
    return _finish(columns, rng, as_of)


def _empty_columns() -> dict[str, list]:
    keys = (
        "kind", "title", "description", "genres", "moods", "cast", "directors", "countries", "language",
        "release_year", "maturity_rating", "runtime_minutes", "seasons", "episodes_per_season",
        "episode_minutes", "original", "added_lag_days",
    )  # fmt: skip
    return {key: [] for key in keys}


def _append_anchor(columns: dict[str, list], anchor: AnchorTitle) -> None:
    columns["kind"].append(anchor.kind)
    columns["title"].append(anchor.title)
    columns["description"].append(anchor.description)
    columns["genres"].append(list(anchor.genres))
    columns["moods"].append(list(anchor.moods))
    columns["cast"].append(list(anchor.cast))
    columns["directors"].append(list(anchor.directors))
    columns["countries"].append(list(anchor.countries))
    columns["language"].append(anchor.language)
    columns["release_year"].append(anchor.release_year)
    columns["maturity_rating"].append(anchor.maturity_rating)
    columns["runtime_minutes"].append(anchor.runtime_minutes or 0)
    columns["seasons"].append(anchor.seasons or 0)
    columns["episodes_per_season"].append(anchor.episodes_per_season or 0)
    columns["episode_minutes"].append(anchor.episode_minutes or anchor.runtime_minutes)
    columns["original"].append(True)
    columns["added_lag_days"].append(120)


def _append_generated(
    columns: dict[str, list],
    rng: np.random.Generator,
    namer: _TitleNamer,
    pool: PersonPool,
    draft: dict,
    as_of: dt.date,
) -> None:
    genre: Genre = draft["genre"]
    kind: str = draft["kind"]
    language: str = draft["language"]
    genres = [genre.key, *_secondary_genres(rng, genre)]
    mood_weights = np.zeros(len(MOODS))
    for position, key in enumerate(genres):
        for mood, weight in GENRE_BY_KEY[key].moods.items():
            mood_weights[MOOD_INDEX[mood]] += weight * (1.0 if position == 0 else 0.4)
    mood_count = 2 if rng.random() < 0.5 else 3
    moods = [
        MOODS[i]
        for i in rng.choice(len(MOODS), size=mood_count, replace=False, p=mood_weights / mood_weights.sum())
    ]
    # Mostly recent titles, with a tail of classics.
    release_year = int(as_of.year - min(60, np.floor(rng.exponential(6.0))))
    cast_size = 1 if genre.key == "standup" else int(rng.integers(3, 7))
    cast = pool.draw(rng, language, cast_size)
    directors = pool.draw(rng, language, 2 if rng.random() < 0.08 else 1)
    comedian = cast[0] if genre.key == "standup" else None
    columns["kind"].append(kind)
    columns["title"].append(namer.compose(genre, language, comedian, release_year))
    columns["description"].append(_describe(rng, genre, genres[1:], moods, kind == "series"))
    columns["genres"].append(genres)
    columns["moods"].append(moods)
    columns["cast"].append(cast)
    columns["directors"].append(directors)
    columns["countries"].append(draft["countries"])
    columns["language"].append(language)
    columns["release_year"].append(release_year)
    columns["maturity_rating"].append(_maturity(rng, genres, kind))
    if kind == "movie":
        mean, spread = genre.runtime
        runtime = int(np.clip(round(rng.normal(mean, spread)), 40, 210))
        columns["runtime_minutes"].append(runtime)
        columns["seasons"].append(0)
        columns["episodes_per_season"].append(0)
        columns["episode_minutes"].append(runtime)
    else:
        mean, spread = genre.episode_minutes
        columns["runtime_minutes"].append(0)
        columns["seasons"].append(_seasons(rng))
        columns["episodes_per_season"].append(_episodes(rng, genre))
        columns["episode_minutes"].append(int(np.clip(round(rng.normal(mean, spread)), 7, 75)))
    columns["original"].append(bool(rng.random() < ORIGINAL_SHARE))
    columns["added_lag_days"].append(int(rng.exponential(300)))


def _add_sequels(
    columns: dict[str, list], rng: np.random.Generator, namer: _TitleNamer, as_of: dt.date
) -> None:
    """A few hit movies get a sequel: same genres and lead cast, a later year, a name with "II"."""
    movies = [
        i
        for i, kind in enumerate(columns["kind"])
        if kind == "movie" and columns["release_year"][i] < as_of.year - 2
    ]
    movies = [
        i
        for i in movies
        if columns["genres"][i][0]
        in ("action", "comedy", "horror", "thriller", "scifi", "family", "animation", "adventure", "fantasy")
    ]
    if not movies:
        return
    sequel_count = max(1, len(columns["kind"]) // 60)
    for original in rng.choice(movies, size=min(sequel_count, len(movies)), replace=False).tolist():
        name = columns["title"][original] + _pick(rng, SEQUEL_SUFFIXES[:3])
        if name.casefold() in namer.taken:
            continue
        namer.reserve(name)
        for key in columns:
            columns[key].append(columns[key][original])
        last = len(columns["kind"]) - 1
        columns["title"][last] = name
        year = min(as_of.year, columns["release_year"][original] + int(rng.integers(2, 5)))
        columns["release_year"][last] = year
        columns["description"][last] = (
            f"The sequel to {columns['title'][original]}. " + columns["description"][original]
        )
        columns["cast"][last] = columns["cast"][original][:2] + columns["cast"][original][2:][::-1]
        columns["added_lag_days"][last] = int(rng.exponential(200))


def _finish(columns: dict[str, list], rng: np.random.Generator, as_of: dt.date) -> Catalog:
    count = len(columns["kind"])
    genre_weights = np.zeros((count, len(GENRE_KEYS)), dtype=np.float32)
    mood_weights = np.zeros((count, len(MOODS)), dtype=np.float32)
    for i, (genres, moods) in enumerate(zip(columns["genres"], columns["moods"], strict=True)):
        # The primary genre defines a title more than its secondary labels do.
        for position, key in enumerate(genres):
            genre_weights[i, GENRE_INDEX[key]] += 2.0 if position == 0 else 1.0
        for mood in moods:
            mood_weights[i, MOOD_INDEX[mood]] = 1.0
    genre_weights /= genre_weights.sum(axis=1, keepdims=True)
    mood_weights /= mood_weights.sum(axis=1, keepdims=True)

    release_year = np.array(columns["release_year"], dtype=np.int64)
    ratings = columns["maturity_rating"]
    maturity_rank = np.array([MATURITY_SCALE[r] for r in ratings], dtype=np.int64)
    is_kids = np.array([bool(set(g) & set(KIDS_GENRES)) for g in columns["genres"]]) & (
        maturity_rank <= MATURITY_SCALE["TV-PG"]
    )
    available = np.stack(
        [_availability(rng, c, o) for c, o in zip(columns["countries"], columns["original"], strict=True)]
    )

    # Added to the service some time after release, never before the service's history starts.
    as_of_day = np.datetime64(as_of, "D")
    history_start = as_of_day - np.timedelta64(6 * 365, "D")
    released = np.array([np.datetime64(f"{y}-01-01", "D") for y in release_year.tolist()]) + rng.integers(
        0, 300, count
    ).astype("timedelta64[D]")
    date_added = released + np.array(columns["added_lag_days"], dtype="timedelta64[D]")
    back_catalog = date_added < history_start
    date_added[back_catalog] = history_start + rng.integers(0, 6 * 365, int(back_catalog.sum())).astype(
        "timedelta64[D]"
    )
    date_added = np.minimum(date_added, as_of_day - np.timedelta64(1, "D"))

    popularity = _popularity(rng, release_year, np.array(columns["original"]), as_of)
    is_series = np.array(columns["seasons"], dtype=np.int64) > 0
    return Catalog(
        ids=np.arange(1, count + 1, dtype=np.int64),
        kind=columns["kind"],
        title=columns["title"],
        description=columns["description"],
        genres=columns["genres"],
        moods=columns["moods"],
        cast=columns["cast"],
        directors=columns["directors"],
        countries=columns["countries"],
        language=columns["language"],
        release_year=release_year,
        maturity_rating=ratings,
        maturity_rank=maturity_rank,
        runtime_minutes=np.where(is_series, 0, np.array(columns["runtime_minutes"], dtype=np.int64)),
        seasons=np.array(columns["seasons"], dtype=np.int64),
        episodes_per_season=np.array(columns["episodes_per_season"], dtype=np.int64),
        episode_minutes=np.array(columns["episode_minutes"], dtype=np.int64),
        available=available,
        date_added=date_added,
        popularity=popularity,
        genre_weights=genre_weights,
        mood_weights=mood_weights,
        is_kids=is_kids,
    )


def _popularity(
    rng: np.random.Generator, release_year: np.ndarray, original: np.ndarray, as_of: dt.date
) -> np.ndarray:
    """Zipf-like weights over a random ranking, nudged towards recent titles and originals."""
    count = len(release_year)
    ranks = rng.permutation(count) + 1
    base = 1.0 / (ranks + 5.0) ** 0.95
    recency = np.exp(-(as_of.year - release_year) / 8.0) * 0.7 + 0.3
    boost = np.where(original, 1.6, 1.0)
    weights = base * recency * boost
    return weights / weights.sum()
