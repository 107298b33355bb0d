"""Streaming readers for ratings, item and catalog files, with line numbers on every row and error.

Nothing here touches a database or Rasa: the recommender CLI and the account-database importers
both build on these readers.

Readers yield either a parsed row or a `RowError` (line number and reason) so a caller can skip bad
rows and report them. Problems with the file as a whole (missing, empty, wrong header, unknown
format) raise a `DataFileError` subclass whose message names the file and says what to do.

Files are read as bytes and decoded line by line, so one undecodable line becomes one `RowError`
instead of aborting the read, and callers can show progress by bytes (`on_progress`).
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import BinaryIO, Literal, NamedTuple

import numpy as np

ProgressCallback = Callable[[int], None]
"""Called with the number of bytes consumed since the previous call."""

INTERACTION_FORMATS = ("auto", "movielens", "dat", "csv")
InteractionFormat = Literal["auto", "movielens", "dat", "csv"]

INTERACTION_CSV_COLUMNS = ("user_id", "item_id", "rating", "timestamp")
# MovieLens' own ratings.csv spells the columns this way; accepting it saves users a rewrite.
_INTERACTION_CSV_ALIASES = {"userid": "user_id", "movieid": "item_id", "itemid": "item_id"}

CATALOG_COLUMNS = (
    "show_id",
    "type",
    "title",
    "director",
    "cast",
    "country",
    "date_added",
    "release_year",
    "rating",
    "duration",
    "listed_in",
    "description",
)

# The genre order of MovieLens 100k's u.genre, used when no u.genre sits next to u.item.
ML100K_GENRES = (
    "unknown",
    "Action",
    "Adventure",
    "Animation",
    "Children's",
    "Comedy",
    "Crime",
    "Documentary",
    "Drama",
    "Fantasy",
    "Film-Noir",
    "Horror",
    "Musical",
    "Mystery",
    "Romance",
    "Sci-Fi",
    "Thriller",
    "War",
    "Western",
)
# Placeholders MovieLens uses for "no genre"; they are not genres a subscriber could ask for.
_NO_GENRE = {"unknown", "(no genres listed)", ""}

_PROGRESS_EVERY_BYTES = 1 << 16
_CHUNK_BYTES = 8 << 20


class DataFileError(ValueError):
    """A whole file cannot be read as asked: missing, empty, wrong header, unknown format."""

    def __init__(self, path: str | Path, reason: str, line: int | None = None) -> None:
        self.path = Path(path)
        self.reason = reason
        self.line = line
        where = f"{self.path}: line {line}" if line is not None else f"{self.path}"
        super().__init__(f"{where}: {reason}")


class InteractionFileError(DataFileError):
    """A ratings/interactions file that cannot be read (or, when strict, holds a malformed row)."""


class ItemFileError(DataFileError):
    """An items file (u.item, movies.dat, movies.csv) that cannot be read."""


class CatalogFileError(DataFileError):
    """A catalog CSV that cannot be read, e.g. because columns are missing from its header."""


@dataclass(frozen=True, slots=True)
class RowError:
    """One row that was not understood; `line` is the 1-based line where the row starts."""

    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


@dataclass(frozen=True, slots=True)
class InteractionRow:
    line: int
    user_id: str
    item_id: str
    rating: float
    timestamp: int


@dataclass(frozen=True, slots=True)
class ItemRow:
    line: int
    item_id: str
    title: str
    year: int | None
    genres: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CatalogRow:
    line: int
    show_id: str
    kind: Literal["movie", "series"]
    title: str
    directors: tuple[str, ...]
    cast: tuple[str, ...]
    countries: tuple[str, ...]
    date_added: date | None
    release_year: int | None
    rating: str | None
    runtime_minutes: int | None
    seasons: int | None
    genres: tuple[str, ...]
    description: str


class InteractionArrays(NamedTuple):
    """Column arrays of a ratings file; ids stay strings because some datasets use leading zeros."""

    users: np.ndarray  # str
    items: np.ndarray  # str
    ratings: np.ndarray  # float32
    timestamps: np.ndarray  # int64 seconds since 1970


# ---------------------------------------------------------------------------------------------
# Byte-level line reading shared by every reader


def _open_binary(path: str | Path, error_type: type[DataFileError]) -> BinaryIO:
    path = Path(path)
    if path.is_dir():
        raise error_type(path, "is a folder, not a file. Pass the path of the file inside it")
    try:
        return path.open("rb")
    except FileNotFoundError:
        raise error_type(path, "does not exist. Check the path") from None
    except OSError as exc:
        raise error_type(path, f"cannot be read ({exc.strerror}). Check its permissions") from None


def _raw_lines(handle: BinaryIO, on_progress: ProgressCallback | None) -> Iterator[tuple[int, bytes]]:
    """Yield (line number, line without its end-of-line bytes); report progress every 64 KiB."""
    pending = 0
    for number, raw in enumerate(handle, start=1):
        if on_progress is not None:
            pending += len(raw)
            if pending >= _PROGRESS_EVERY_BYTES:
                on_progress(pending)
                pending = 0
        if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]  # a UTF-8 byte-order mark, as spreadsheet programs write
        yield number, raw.rstrip(b"\r\n")
    if on_progress is not None and pending:
        on_progress(pending)


def _not_utf8_reason(raw: bytes, exc: UnicodeDecodeError) -> str:
    bad = raw[exc.start : exc.start + 1].hex()
    return (
        f"contains bytes that are not UTF-8 (0x{bad} at byte {exc.start + 1}); "
        "save the file as UTF-8 and import it again"
    )


def _first_content_line(path: Path, error_type: type[DataFileError]) -> tuple[int, str]:
    with _open_binary(path, error_type) as handle:
        for number, raw in _raw_lines(handle, None):
            if raw.strip():
                return number, raw.decode("utf-8", errors="replace")
    raise error_type(path, "is empty; there is nothing to import")


# ---------------------------------------------------------------------------------------------
# Interactions (ratings)


def sniff_interaction_format(path: str | Path) -> Literal["movielens", "dat", "csv"]:
    """Tell the ratings format from the first non-empty line of `path`."""
    path = Path(path)
    number, first = _first_content_line(path, InteractionFileError)
    if "::" in first:
        return "dat"
    if "\t" in first:
        return "movielens"
    if "," in first:
        if _is_interaction_csv_header(first):
            return "csv"
        raise InteractionFileError(
            path,
            "looks like CSV but has no header; add the header line "
            f"'{','.join(INTERACTION_CSV_COLUMNS)}' as its first line",
            line=number,
        )
    raise InteractionFileError(
        path,
        "is not a ratings file this importer knows (tab-separated u.data, '::'-separated "
        "ratings.dat, or CSV with header user_id,item_id,rating,timestamp); pass the format "
        "explicitly if it is one of these",
        line=number,
    )


def _is_interaction_csv_header(text: str) -> bool:
    names = [_INTERACTION_CSV_ALIASES.get(n.strip().lower(), n.strip().lower()) for n in text.split(",")]
    return "user_id" in names and "item_id" in names


def _csv_header_positions(path: Path, number: int, text: str) -> tuple[int, int, int, int]:
    names = [
        _INTERACTION_CSV_ALIASES.get(n.strip().lower(), n.strip().lower()) for n in next(csv.reader([text]))
    ]
    missing = [c for c in INTERACTION_CSV_COLUMNS if c not in names]
    if missing:
        raise InteractionFileError(
            path,
            f"the CSV header lacks the column(s) {', '.join(missing)}; the header must name "
            f"{','.join(INTERACTION_CSV_COLUMNS)}",
            line=number,
        )
    u, i, r, t = (names.index(c) for c in INTERACTION_CSV_COLUMNS)
    return u, i, r, t


def _resolve_format(path: Path, fmt: str) -> Literal["movielens", "dat", "csv"]:
    if fmt not in INTERACTION_FORMATS:
        raise InteractionFileError(
            path, f"unknown format '{fmt}'; choose one of {', '.join(INTERACTION_FORMATS)}"
        )
    if fmt == "auto":
        return sniff_interaction_format(path)
    _first_content_line(path, InteractionFileError)  # an empty file is an error in every format
    return fmt  # type: ignore[return-value]


def _parse_interaction(
    number: int, fields: list[str], positions: tuple[int, int, int, int]
) -> InteractionRow | RowError:
    if len(fields) != 4 and positions == (0, 1, 2, 3):
        return RowError(number, f"expected 4 fields (user, item, rating, timestamp), found {len(fields)}")
    if len(fields) <= max(positions):
        return RowError(number, f"expected at least {max(positions) + 1} fields, found {len(fields)}")
    u, i, r, t = positions
    user_id, item_id = fields[u].strip(), fields[i].strip()
    rating_text, timestamp_text = fields[r].strip(), fields[t].strip()
    if not user_id:
        return RowError(number, "user id is empty")
    if not item_id:
        return RowError(number, "item id is empty")
    try:
        rating = float(rating_text)
    except ValueError:
        return RowError(number, f"rating '{rating_text}' is not a number")
    if not math.isfinite(rating):
        return RowError(number, f"rating '{rating_text}' is not a finite number")
    try:
        timestamp = int(timestamp_text)
    except ValueError:
        return RowError(number, f"timestamp '{timestamp_text}' is not a whole number of seconds since 1970")
    if timestamp < 0:
        return RowError(number, f"timestamp '{timestamp_text}' is before 1970")
    return InteractionRow(number, user_id, item_id, rating, timestamp)


def read_interactions(
    path: str | Path,
    fmt: str = "auto",
    on_progress: ProgressCallback | None = None,
) -> Iterator[InteractionRow | RowError]:
    """Stream a ratings file row by row.

    Formats: ``movielens`` (u.data, tab-separated user, item, rating, timestamp), ``dat``
    (``user::item::rating::timestamp`` as MovieLens 1M and MovieTweetings), ``csv`` (header
    ``user_id,item_id,rating,timestamp``; MovieLens' ``userId,movieId`` is accepted too) and
    ``auto`` (sniffed from the first non-empty line). Blank lines are ignored.
    Raises InteractionFileError for a missing/empty file, an unknown format or a bad CSV header.
    """
    path = Path(path)
    resolved = _resolve_format(path, fmt)
    return _iter_interactions(path, resolved, on_progress)


def _iter_interactions(
    path: Path, fmt: str, on_progress: ProgressCallback | None
) -> Iterator[InteractionRow | RowError]:
    positions = (0, 1, 2, 3)
    header_seen = fmt != "csv"
    with _open_binary(path, InteractionFileError) as handle:
        for number, raw in _raw_lines(handle, on_progress):
            if not raw.strip():
                continue
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                yield RowError(number, _not_utf8_reason(raw, exc))
                continue
            if not header_seen:
                positions = _csv_header_positions(path, number, text)
                header_seen = True
                continue
            if fmt == "dat":
                fields = text.split("::")
            elif fmt == "movielens":
                fields = text.split("\t")
            else:
                fields = next(csv.reader([text]))
            yield _parse_interaction(number, fields, positions)


def load_interactions(
    path: str | Path,
    fmt: str = "auto",
    positive_threshold: float | None = None,
    *,
    strict: bool = True,
    on_error: Callable[[RowError], None] | None = None,
    on_progress: ProgressCallback | None = None,
) -> InteractionArrays:
    """Read a whole ratings file into column arrays, fast enough for millions of rows.

    Clean chunks of the file are split and converted with numpy in bulk; a chunk that does not
    parse cleanly is re-read line by line so the error names the exact line. When ``strict`` the
    first malformed row raises InteractionFileError; otherwise it is skipped and passed to
    ``on_error``. With ``positive_threshold`` only rows rated at least that much are kept.
    """
    path = Path(path)
    resolved = _resolve_format(path, fmt)
    parts: list[InteractionArrays] = []

    def reject(error: RowError) -> None:
        if strict:
            raise InteractionFileError(path, error.reason, line=error.line)
        if on_error is not None:
            on_error(error)

    with _open_binary(path, InteractionFileError) as handle:
        positions: tuple[int, int, int, int] = (0, 1, 2, 3)
        first_line = 1
        remainder = b""
        header_pending = resolved == "csv"
        while True:
            block = handle.read(_CHUNK_BYTES)
            at_end = not block
            data = remainder + block
            if not at_end:
                cut = data.rfind(b"\n") + 1
                if cut == 0:  # one line longer than a chunk: keep reading until it ends
                    remainder = data
                    continue
                data, remainder = data[:cut], data[cut:]
            elif data and not data.endswith(b"\n"):
                data += b"\n"
            if first_line == 1 and data.startswith(b"\xef\xbb\xbf"):
                data = data[3:]
            if header_pending and data.strip():
                header_end = _header_end(data)
                header_raw = data[:header_end]
                header_lines = header_raw.count(b"\n")
                text = header_raw.decode("utf-8", errors="replace").strip()
                positions = _csv_header_positions(path, first_line + header_lines - 1, text)
                data = data[header_end:]
                first_line += header_lines
                header_pending = False
            if data:
                parsed = _bulk_parse(data, resolved, positions)
                if parsed is None:
                    parsed = _parse_lines(data, first_line, resolved, positions, reject)
                parts.append(parsed)
                first_line += data.count(b"\n")
                if on_progress is not None:
                    on_progress(len(data))
            if at_end:
                break

    if parts:
        result = InteractionArrays(
            *(np.concatenate([getattr(p, f) for p in parts]) for f in InteractionArrays._fields)
        )
    else:
        result = InteractionArrays(
            np.array([], dtype=str), np.array([], dtype=str), np.array([], np.float32), np.array([], np.int64)
        )
    if positive_threshold is not None:
        keep = result.ratings >= positive_threshold
        result = InteractionArrays(*(column[keep] for column in result))
    return result


def _header_end(data: bytes) -> int:
    """Offset just after the first non-blank line of `data` (the CSV header)."""
    offset = 0
    while True:
        end = data.index(b"\n", offset) + 1
        if data[offset:end].strip():
            return end
        offset = end


_BULK_SEPARATOR = {"movielens": b"\t", "dat": b"::", "csv": b","}


def _bulk_parse(data: bytes, fmt: str, positions: tuple[int, int, int, int]) -> InteractionArrays | None:
    """Vectorised parse of whole lines; None when anything is unusual (the caller goes line by line)."""
    if positions != (0, 1, 2, 3):
        return None
    if b"\r" in data:
        data = data.replace(b"\r\n", b"\n")
    # Any whitespace other than the newline would make bytes.split() cut a field in two.
    if b" " in data or b"\x0b" in data or b"\x0c" in data or b"\r" in data or b'"' in data:
        return None
    separator = _BULK_SEPARATOR[fmt]
    if separator != b"\t":
        if b"\t" in data:
            return None
        data = data.replace(separator, b"\t")
    codes = np.frombuffer(data, dtype=np.uint8)
    newlines = np.flatnonzero(codes == 10)
    tabs = np.flatnonzero(codes == 9)
    tabs_per_line = np.diff(np.searchsorted(tabs, newlines), prepend=0)
    line_lengths = np.diff(np.concatenate(([-1], newlines))) - 1
    blank = line_lengths == 0
    if np.any(tabs_per_line[~blank] != 3) or np.any(tabs_per_line[blank] != 0):
        return None
    tokens = data.split()
    rows = int(np.count_nonzero(~blank))
    if len(tokens) != 4 * rows:  # an empty field somewhere
        return None
    try:
        column = np.array(tokens, dtype=bytes)
        ratings = column[2::4].astype(np.float32)
        timestamps = column[3::4].astype(np.int64)
        users = column[0::4].astype(str)
        items = column[1::4].astype(str)
    except (ValueError, OverflowError, UnicodeDecodeError):
        return None
    if not np.all(np.isfinite(ratings)) or np.any(timestamps < 0):
        return None
    return InteractionArrays(users, items, ratings, timestamps)


def _parse_lines(
    data: bytes,
    first_line: int,
    fmt: str,
    positions: tuple[int, int, int, int],
    reject: Callable[[RowError], None],
) -> InteractionArrays:
    users: list[str] = []
    items: list[str] = []
    ratings: list[float] = []
    timestamps: list[int] = []
    for offset, raw in enumerate(data.split(b"\n")[:-1]):
        raw = raw.rstrip(b"\r")
        if not raw.strip():
            continue
        number = first_line + offset
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            reject(RowError(number, _not_utf8_reason(raw, exc)))
            continue
        if fmt == "dat":
            fields = text.split("::")
        elif fmt == "movielens":
            fields = text.split("\t")
        else:
            fields = next(csv.reader([text]))
        row = _parse_interaction(number, fields, positions)
        if isinstance(row, RowError):
            reject(row)
            continue
        users.append(row.user_id)
        items.append(row.item_id)
        ratings.append(row.rating)
        timestamps.append(row.timestamp)
    return InteractionArrays(
        np.array(users, dtype=str),
        np.array(items, dtype=str),
        np.array(ratings, dtype=np.float32),
        np.array(timestamps, dtype=np.int64),
    )


# ---------------------------------------------------------------------------------------------
# Items (the titles a ratings file refers to)

_YEAR_SUFFIX = re.compile(r"^(?P<title>.*?)\s*\((?P<year>\d{4})(?:[-\u2013]\d{0,4})?\)\s*$")
# Library-style titles move the leading article to the end: "Usual Suspects, The (1995)".
_TRAILING_ARTICLE = re.compile(
    r"^(?P<main>.+?), (?P<article>The|A|An|Les|Le|La|L'|Il|Lo|Gli|I|Das|Der|Die|Den|Det|De|El|Los|Las|"
    r"Un|Une|Una|Uno)(?P<rest>\s+\(.*\))?$"
)


def split_title_year(raw_title: str) -> tuple[str, int | None]:
    """'Usual Suspects, The (1995)' -> ('The Usual Suspects', 1995); no year -> (title, None)."""
    text = raw_title.strip()
    year: int | None = None
    match = _YEAR_SUFFIX.match(text)
    if match:
        text, year = match["title"].strip(), int(match["year"])
    article = _TRAILING_ARTICLE.match(text)
    if article:
        joiner = "" if article["article"].endswith("'") else " "
        text = f"{article['article']}{joiner}{article['main']}{article['rest'] or ''}"
    return text, year


def _decode_legacy(raw: bytes) -> str:
    """MovieLens item files before ml-latest are Latin-1; newer ones and MovieTweetings are UTF-8."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _split_genres(text: str, separator: str) -> tuple[str, ...]:
    return tuple(g.strip() for g in text.split(separator) if g.strip() not in _NO_GENRE)


ItemFormat = Literal["u.item", "dat", "csv"]


def sniff_item_format(path: str | Path) -> ItemFormat:
    """Tell the items format from the file name, falling back to the first non-empty line."""
    path = Path(path)
    number, first = _first_content_line(path, ItemFileError)
    name = path.name.lower()
    if name == "u.item" or name.endswith(".item"):
        return "u.item"
    if name.endswith(".dat") and "::" in first:
        return "dat"
    if name.endswith(".csv") and "," in first:
        return "csv"
    if "::" in first:
        return "dat"
    if first.count("|") >= 4:
        return "u.item"
    if first.lower().replace(" ", "").startswith("movieid,title"):
        return "csv"
    raise ItemFileError(
        path,
        "is not an items file this importer knows (MovieLens u.item, '::'-separated movies.dat, "
        "or movies.csv with header movieId,title,genres)",
        line=number,
    )


def _u_genre_names(items_path: Path) -> tuple[str, ...]:
    genre_file = items_path.with_name("u.genre")
    if not genre_file.is_file():
        return ML100K_GENRES
    by_index: dict[int, str] = {}
    for line in genre_file.read_bytes().decode("latin-1").splitlines():
        name, _, index = line.strip().rpartition("|")
        if name and index.isdigit():
            by_index[int(index)] = name
    if sorted(by_index) != list(range(len(by_index))):
        raise ItemFileError(genre_file, "does not list genres as name|0, name|1, ... in order")
    return tuple(by_index[i] for i in range(len(by_index)))


def read_items(path: str | Path, on_progress: ProgressCallback | None = None) -> Iterator[ItemRow | RowError]:
    """Stream an items file: MovieLens u.item, movies.dat (ML-1M, MovieTweetings) or movies.csv.

    Titles like "Usual Suspects, The (1995)" come back as title "The Usual Suspects", year 1995.
    Raises ItemFileError for a missing, empty or unrecognised file.
    """
    path = Path(path)
    fmt = sniff_item_format(path)
    if fmt == "csv":
        return _iter_items_csv(path, on_progress)
    genre_names = _u_genre_names(path) if fmt == "u.item" else ()
    return _iter_items_lines(path, fmt, genre_names, on_progress)


def _iter_items_lines(
    path: Path, fmt: str, genre_names: tuple[str, ...], on_progress: ProgressCallback | None
) -> Iterator[ItemRow | RowError]:
    with _open_binary(path, ItemFileError) as handle:
        for number, raw in _raw_lines(handle, on_progress):
            if not raw.strip():
                continue
            text = _decode_legacy(raw)
            if fmt == "dat":
                fields = text.split("::")
                if len(fields) != 3:
                    yield RowError(number, f"expected 3 fields (id::title::genres), found {len(fields)}")
                    continue
                genres = _split_genres(fields[2], "|")
            else:
                fields = text.split("|")
                expected = 5 + len(genre_names)
                if len(fields) != expected:
                    yield RowError(
                        number,
                        f"expected {expected} '|'-separated fields (id, title, release date, video "
                        f"release date, URL and {len(genre_names)} genre flags), found {len(fields)}",
                    )
                    continue
                flags = fields[5:]
                if any(flag.strip() not in ("0", "1") for flag in flags):
                    yield RowError(number, "genre flags must be 0 or 1")
                    continue
                genres = tuple(
                    name
                    for name, flag in zip(genre_names, flags, strict=True)
                    if flag.strip() == "1" and name not in _NO_GENRE
                )
            row = _item_row(number, fields[0], fields[1], genres)
            if fmt == "u.item" and isinstance(row, ItemRow) and row.year is None:
                row = _with_release_date_year(row, fields[2])
            yield row


def _with_release_date_year(row: ItemRow, release_date: str) -> ItemRow:
    # u.item titles usually carry the year; when not, the release date "01-Jan-1995" does.
    match = re.search(r"(\d{4})\s*$", release_date)
    if not match:
        return row
    return ItemRow(row.line, row.item_id, row.title, int(match[1]), row.genres)


def _item_row(number: int, item_id: str, raw_title: str, genres: tuple[str, ...]) -> ItemRow | RowError:
    item_id = item_id.strip()
    if not item_id:
        return RowError(number, "item id is empty")
    title, year = split_title_year(raw_title)
    if not title:
        return RowError(number, f"item {item_id} has no title")
    return ItemRow(number, item_id, title, year, genres)


def _iter_items_csv(path: Path, on_progress: ProgressCallback | None) -> Iterator[ItemRow | RowError]:
    records = _csv_records(path, ItemFileError, on_progress)
    header = _read_header(path, records, ItemFileError)
    names = [h.strip().lower() for h in header.fields]
    wanted = {"movieid": None, "title": None, "genres": None}
    for key in wanted:
        if key not in names:
            raise ItemFileError(
                path, f"the header lacks the column '{key}'; movies.csv must have movieId,title,genres", 1
            )
    id_at, title_at, genres_at = names.index("movieid"), names.index("title"), names.index("genres")
    for record in records:
        if isinstance(record, RowError):
            yield record
            continue
        fields = record.fields
        if len(fields) != len(names):
            yield RowError(record.line, f"expected {len(names)} fields, found {len(fields)}")
            continue
        yield _item_row(record.line, fields[id_at], fields[title_at], _split_genres(fields[genres_at], "|"))


# ---------------------------------------------------------------------------------------------
# CSV records with start line numbers, shared by movies.csv and the catalog CSV


@dataclass(frozen=True, slots=True)
class _Record:
    line: int
    fields: list[str]


def _csv_records(
    path: Path, error_type: type[DataFileError], on_progress: ProgressCallback | None
) -> Iterator[_Record | RowError]:
    """CSV records (quoted fields may span lines) tagged with the line each starts on."""
    undecodable: dict[int, str] = {}

    def decoded_lines(handle: BinaryIO) -> Iterable[str]:
        for number, raw in _raw_lines(handle, on_progress):
            try:
                yield raw.decode("utf-8") + "\n"
            except UnicodeDecodeError as exc:
                undecodable[number] = _not_utf8_reason(raw, exc)
                yield raw.decode("utf-8", errors="replace") + "\n"

    with _open_binary(path, error_type) as handle:
        reader = csv.reader(decoded_lines(handle), strict=True)
        previous_end = 0
        while True:
            try:
                fields = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                yield RowError(previous_end + 1, f"is not valid CSV ({exc}); check the quotes on this row")
                previous_end = reader.line_num
                continue
            start, previous_end = previous_end + 1, reader.line_num
            bad_lines = [n for n in range(start, previous_end + 1) if n in undecodable]
            if bad_lines:
                yield RowError(start, undecodable[bad_lines[0]])
                continue
            if not fields or all(not f.strip() for f in fields):
                continue
            yield _Record(start, fields)


def _read_header(
    path: Path, records: Iterator[_Record | RowError], error_type: type[DataFileError]
) -> _Record:
    for record in records:
        if isinstance(record, RowError):
            raise error_type(path, f"its header cannot be read: {record.reason}", line=record.line)
        return record
    raise error_type(path, "is empty; there is nothing to import")


# ---------------------------------------------------------------------------------------------
# The public streaming-catalog CSV layout

_MONTHS = {
    name: number
    for number, name in enumerate(
        (
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ),
        start=1,
    )
}
_DATE_ADDED = re.compile(r"^(?P<month>[A-Za-z]+)\.?\s+(?P<day>\d{1,2}),?\s+(?P<year>\d{4})$")
_MINUTES = re.compile(r"^(\d+)\s*min(?:s|utes?)?$", re.IGNORECASE)
_SEASONS = re.compile(r"^(\d+)\s*seasons?$", re.IGNORECASE)
_KINDS: dict[str, Literal["movie", "series"]] = {"movie": "movie", "tv show": "series", "series": "series"}
# Release years outside this window are typos in practice (e.g. "20199"), not real titles.
_EARLIEST_YEAR, _LATEST_YEAR = 1870, 2100


def parse_date_added(text: str) -> date | None:
    """'September 25, 2021' (leading spaces allowed) -> date; '' -> None; anything else -> ValueError."""
    text = text.strip()
    if not text:
        return None
    match = _DATE_ADDED.match(text)
    month = _MONTHS.get(match["month"].lower()) if match else None
    if match is None or month is None:
        raise ValueError(f"date_added '{text}' is not a date like 'September 25, 2021'")
    try:
        return date(int(match["year"]), month, int(match["day"]))
    except ValueError:
        raise ValueError(f"date_added '{text}' is not a real calendar date") from None


def parse_duration(text: str) -> tuple[int | None, int | None]:
    """'90 min' -> (90, None); '3 Seasons' -> (None, 3); '' -> (None, None); else ValueError."""
    text = text.strip()
    if not text:
        return None, None
    if match := _MINUTES.match(text):
        return int(match[1]), None
    if match := _SEASONS.match(text):
        return None, int(match[1])
    raise ValueError(f"duration '{text}' is neither minutes ('90 min') nor seasons ('3 Seasons')")


def _multi(text: str) -> tuple[str, ...]:
    """Split a comma-separated multi-value field, dropping blanks and repeats, keeping order."""
    return tuple(dict.fromkeys(part.strip() for part in text.split(",") if part.strip()))


def read_catalog_csv(
    path: str | Path, on_progress: ProgressCallback | None = None
) -> Iterator[CatalogRow | RowError]:
    """Stream the public streaming-catalog CSV (show_id,type,title,director,cast,country,...).

    Raises CatalogFileError when the file is missing, empty or its header lacks columns (the
    message lists them). Each data row becomes a CatalogRow, or a RowError naming its line and what
    is wrong with it. Empty fields are allowed everywhere except show_id, type and title.
    """
    path = Path(path)
    records = _csv_records(path, CatalogFileError, on_progress)
    header = _read_header(path, records, CatalogFileError)
    names = [name.strip().lower() for name in header.fields]
    missing = [column for column in CATALOG_COLUMNS if column not in names]
    if missing:
        raise CatalogFileError(
            path,
            f"the header lacks the column(s) {', '.join(missing)}; a catalog CSV needs the columns "
            f"{','.join(CATALOG_COLUMNS)}",
            line=header.line,
        )
    positions = {column: names.index(column) for column in CATALOG_COLUMNS}
    return _iter_catalog(records, positions, len(names))


def _iter_catalog(
    records: Iterator[_Record | RowError], positions: dict[str, int], width: int
) -> Iterator[CatalogRow | RowError]:
    for record in records:
        if isinstance(record, RowError):
            yield record
            continue
        if len(record.fields) > width:
            yield RowError(
                record.line,
                f"has {len(record.fields)} fields but the header has {width}; "
                "quote values that contain commas",
            )
            continue
        values = {
            column: record.fields[at] if at < len(record.fields) else "" for column, at in positions.items()
        }
        yield _catalog_row(record.line, values)


def _catalog_row(line: int, values: dict[str, str]) -> CatalogRow | RowError:
    show_id, title = values["show_id"].strip(), values["title"].strip()
    if not show_id:
        return RowError(line, "show_id is empty")
    if not title:
        return RowError(line, f"title is empty (show_id {show_id})")
    kind_text = values["type"].strip()
    kind = _KINDS.get(kind_text.lower())
    if kind is None:
        return RowError(line, f"type '{kind_text}' is neither 'Movie' nor 'TV Show'")
    rating_text, duration_text = values["rating"].strip(), values["duration"].strip()
    # A known defect of the public file: a few rows carry the duration in the rating column.
    if not duration_text and _MINUTES.match(rating_text):
        rating_text, duration_text = "", rating_text
    try:
        date_added = parse_date_added(values["date_added"])
        runtime_minutes, seasons = parse_duration(duration_text)
    except ValueError as exc:
        return RowError(line, str(exc))
    year_text = values["release_year"].strip()
    release_year: int | None = None
    if year_text:
        if not year_text.isdigit() or not _EARLIEST_YEAR <= int(year_text) <= _LATEST_YEAR:
            return RowError(line, f"release_year '{year_text}' is not a year")
        release_year = int(year_text)
    if kind == "movie" and seasons is not None:
        return RowError(line, f"duration '{duration_text}' is in seasons but the type is Movie")
    if kind == "series" and runtime_minutes is not None:
        return RowError(line, f"duration '{duration_text}' is in minutes but the type is TV Show")
    return CatalogRow(
        line=line,
        show_id=show_id,
        kind=kind,
        title=title,
        directors=_multi(values["director"]),
        cast=_multi(values["cast"]),
        countries=_multi(values["country"]),
        date_added=date_added,
        release_year=release_year,
        rating=rating_text or None,
        runtime_minutes=runtime_minutes,
        seasons=seasons,
        genres=_multi(values["listed_in"]),
        description=values["description"].strip(),
    )
