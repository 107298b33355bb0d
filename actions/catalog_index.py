"""Resolve what the user names against the catalog: titles, people and genres, with typos and ambiguity.

Rasa's NLU runs without spaCy and without the catalog, so it only marks a best-effort ``title`` or
``person`` span. Here the raw message is matched against every catalog name:

1. exact (case- and accent-insensitive) matches with a spaCy PhraseMatcher over a blank English tokenizer;
2. when nothing matches exactly, fuzzy matching of the message's word n-grams with rapidfuzz, which is
   what turns "strager things" into "Stranger Things";
3. several titles behind one name (remakes, a film and its series) are reported as ambiguous, so that
   the bot can ask which one with buttons.

Free descriptions ("the one about a chef in Paris") go to :class:`DescriptionSearch`, a semantic search
with sentence-transformers whose embeddings are cached on disk, keyed by a catalog fingerprint.

Nothing here knows about Rasa or the database: the index is built from :class:`CatalogEntry` records.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import threading
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import spacy
from rapidfuzz import fuzz, process
from spacy.lang.en.stop_words import STOP_WORDS
from spacy.matcher import PhraseMatcher
from spacy.util import filter_spans

from text_embedding import default_model_path

logger = logging.getLogger(__name__)

# A fuzzy match must be at least this similar (rapidfuzz ratio, 0-100); short names need more.
FUZZY_MIN_SCORE = 86.0
FUZZY_MIN_SCORE_SHORT = 91.0
SHORT_NAME_CHARS = 8
# Candidates this close to the best fuzzy score are equally plausible: ask the user which one.
FUZZY_TIE_MARGIN = 2.5
# Longest name (in tokens) the fuzzy n-gram scan considers; catalog titles rarely exceed this.
MAX_NGRAM_TOKENS = 8
# Words before a short title that show the user means a title ("something like Up").
TITLE_CUES = frozenset({"like", "about"})
# "loved it", "add that": pronouns are never a title, even when a catalog title has that name, unless
# capitalised mid-sentence ("I loved It").
PRONOUNS = frozenset({"it", "this", "that", "them", "her", "him", "us", "me", "you", "one", "these", "those"})


def fold(text: str) -> str:
    """Lower-case and strip accents, so "Amélie" and "amelie" compare equal."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@dataclass(frozen=True)
class CatalogEntry:
    """The parts of a catalog title that users can name or describe."""

    id: str
    title: str
    year: int | None
    kind: str
    genres: tuple[str, ...] = ()
    moods: tuple[str, ...] = ()
    people: tuple[str, ...] = ()
    description: str = ""

    @property
    def label(self) -> str:
        return f"{self.title} ({self.year})" if self.year else self.title


@dataclass(frozen=True)
class TitleResolution:
    """The titles a message names. ``candidates`` has one entry unless the name is ambiguous."""

    candidates: tuple[CatalogEntry, ...]
    matched_text: str
    score: float
    exact: bool

    @property
    def ambiguous(self) -> bool:
        return len(self.candidates) > 1

    @property
    def best(self) -> CatalogEntry:
        return self.candidates[0]


@dataclass(frozen=True)
class PersonMatch:
    name: str
    matched_text: str
    score: float


@dataclass
class _NameTable:
    """One kind of name (titles, people or genres): folded name -> what it refers to."""

    label: str
    display: dict[str, str] = field(default_factory=dict)
    refs: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    def add(self, name: str, ref: str, folded: str) -> None:
        if not folded:
            return
        self.display.setdefault(folded, name)
        if ref not in self.refs[folded]:
            self.refs[folded].append(ref)


class CatalogIndex:
    """In-memory name index over one catalog snapshot; immutable once built."""

    def __init__(self, entries: Iterable[CatalogEntry]) -> None:
        self.entries: dict[str, CatalogEntry] = {entry.id: entry for entry in entries}
        self._nlp = spacy.blank("en")
        self._tables = {label: _NameTable(label) for label in ("title", "person", "genre")}
        for entry in self.entries.values():
            self._tables["title"].add(entry.title, entry.id, self._normalise(entry.title))
            for person in entry.people:
                self._tables["person"].add(person, person, self._normalise(person))
            for genre in entry.genres:
                self._tables["genre"].add(genre, genre, self._normalise(genre))
        self._matcher = PhraseMatcher(self._nlp.vocab, attr="LOWER")
        for label, table in self._tables.items():
            # Patterns are the folded names, and messages are folded before matching, so accents and
            # case never decide a match.
            self._matcher.add(label, list(self._nlp.tokenizer.pipe(table.display.keys())))
        self._fuzzy_choices = {label: list(table.display.keys()) for label, table in self._tables.items()}
        logger.info(
            "catalog index built: %d titles, %d distinct title names, %d people, %d genres",
            len(self.entries),
            len(self._tables["title"].display),
            len(self._tables["person"].display),
            len(self._tables["genre"].display),
        )

    # -- normalisation -------------------------------------------------------------------------

    def _normalise(self, text: str) -> str:
        """Folded tokens joined by single spaces: the form both patterns and n-grams are compared in."""
        return " ".join(token.text for token in self._nlp.tokenizer(fold(text)) if not token.is_space)

    @staticmethod
    def _is_weak_name(folded: str) -> bool:
        """Names made only of everyday words ("Up", "Her", "It") match ordinary sentences by accident."""
        tokens = folded.split()
        return len(tokens) == 1 or all(token in STOP_WORDS for token in tokens)

    # -- exact and fuzzy matching -------------------------------------------------------------------

    def _exact_spans(self, text: str, label: str) -> list[tuple[str, str, int]]:
        """(folded name, original text, start token) of the longest exact matches of one label."""
        original = self._nlp.tokenizer(text)
        doc = self._nlp.tokenizer(fold(text))
        if len(doc) != len(original):  # folding never changes tokenisation in practice; be safe anyway
            original = doc
        label_id = self._nlp.vocab.strings[label]
        spans = [doc[start:end] for match_id, start, end in self._matcher(doc) if match_id == label_id]
        found = []
        for span in filter_spans(spans):
            folded = " ".join(token.text for token in span)
            surface = original[span.start : span.end].text
            found.append((folded, surface, span.start))
        return found

    def _plausible_in_context(self, folded: str, surface: str, start: int, text: str, whole: bool) -> bool:
        if not self._is_weak_name(folded) or whole:
            return True
        if any(ch.isupper() for ch in surface) and start > 0:
            return True
        if folded in PRONOUNS:
            return False
        tokens = [token.text for token in self._nlp.tokenizer(fold(text))]
        return start > 0 and tokens[start - 1] in TITLE_CUES

    def _ngrams(self, text: str) -> list[str]:
        tokens = [token.text for token in self._nlp.tokenizer(fold(text)) if not token.is_punct]
        grams = []
        for size in range(1, min(MAX_NGRAM_TOKENS, len(tokens)) + 1):
            for start in range(len(tokens) - size + 1):
                window = tokens[start : start + size]
                if all(token in STOP_WORDS for token in window):
                    continue
                gram = " ".join(window)
                if len(gram) >= 4:
                    grams.append(gram)
        return grams

    def _fuzzy(self, text: str, label: str) -> list[tuple[str, str, float]]:
        """(folded name, n-gram, score) of fuzzy matches, best first, within the tie margin of the best."""
        grams = self._ngrams(text)
        choices = self._fuzzy_choices[label]
        if not grams or not choices:
            return []
        scores = process.cdist(grams, choices, scorer=fuzz.ratio, score_cutoff=FUZZY_MIN_SCORE, workers=1)
        best: dict[str, tuple[float, str]] = {}
        for gram_index, choice_index in zip(*np.nonzero(scores), strict=True):
            name = choices[choice_index]
            score = float(scores[gram_index, choice_index])
            if self._is_weak_name(name):
                continue  # a typo of "Up" or "Her" is far more likely an ordinary word
            if len(name) < SHORT_NAME_CHARS and score < FUZZY_MIN_SCORE_SHORT:
                continue
            if score > best.get(name, (0.0, ""))[0]:
                best[name] = (score, grams[gram_index])
        if not best:
            return []
        ranked = sorted(best.items(), key=lambda item: (-item[1][0], -len(item[0])))
        top = ranked[0][1][0]
        return [(name, gram, score) for name, (score, gram) in ranked if score >= top - FUZZY_TIE_MARGIN]

    # -- public API --------------------------------------------------------------------------------

    def title_by_id(self, title_id: str) -> CatalogEntry | None:
        return self.entries.get(str(title_id))

    def resolve_title(self, text: str, hint: str | None = None) -> TitleResolution | None:
        """The title(s) named in ``text``; ``hint`` is the NLU's title span or a button's title id."""
        if hint:
            by_id = self.title_by_id(hint)
            if by_id is not None:
                return TitleResolution((by_id,), hint, 100.0, True)
            if self._normalise(hint) in PRONOUNS:
                hint = None  # the NLU marked "it" in "how long is it": that refers to the title in focus
        for source in (hint, text):
            if not source:
                continue
            whole_message = source is hint
            exact = [
                (folded, surface)
                for folded, surface, start in self._exact_spans(source, "title")
                if self._plausible_in_context(folded, surface, start, source, whole_message)
                or (self._normalise(source) == folded and folded not in PRONOUNS)
            ]
            if exact:
                folded, surface = max(exact, key=lambda item: len(item[0]))
                return TitleResolution(self._entries_named([folded]), surface, 100.0, True)
        for source in (hint, text):
            if not source:
                continue
            fuzzy = self._fuzzy(source, "title")
            if fuzzy:
                names = [name for name, _, _ in fuzzy]
                return TitleResolution(self._entries_named(names), fuzzy[0][1], fuzzy[0][2], False)
        return None

    def _entries_named(self, folded_names: Sequence[str]) -> tuple[CatalogEntry, ...]:
        table = self._tables["title"]
        ids = [title_id for name in folded_names for title_id in table.refs[name]]
        entries = [self.entries[title_id] for title_id in dict.fromkeys(ids)]
        # Newest first: when two titles share a name, the recent one is the likelier meaning.
        return tuple(sorted(entries, key=lambda entry: -(entry.year or 0)))

    def find_people(self, text: str, hint: str | None = None) -> list[PersonMatch]:
        """People (cast or crew) named in the message, exact first, then fuzzy ("tom hnaks")."""
        table = self._tables["person"]
        for source in (hint, text):
            if not source:
                continue
            exact = [
                PersonMatch(table.display[folded], surface, 100.0)
                for folded, surface, start in self._exact_spans(source, "person")
                if self._plausible_in_context(folded, surface, start, source, source is hint)
            ]
            if exact:
                return exact
        for source in (hint, text):
            if not source:
                continue
            fuzzy = self._fuzzy(source, "person")
            if fuzzy:
                return [PersonMatch(table.display[name], gram, score) for name, gram, score in fuzzy]
        return []

    def titles_with_person(self, name: str) -> list[str]:
        folded = self._normalise(name)
        return [
            entry.id
            for entry in self.entries.values()
            if folded in {self._normalise(p) for p in entry.people}
        ]

    def catalog_genres(self, value: str) -> list[str]:
        """The catalog genres an NLU genre value means: "sci-fi" -> ["Science Fiction"], "horror" ->
        ["Horror"], "reality" -> ["Reality TV"], "musical" -> ["Music & Musicals"]."""
        table = self._tables["genre"]
        wanted = _singular_tokens(self._normalise(value))
        if not wanted:
            return []
        aliases = {
            _singular_tokens(self._normalise(alias)) for alias in GENRE_ALIASES.get(" ".join(wanted), ())
        }
        matches = []
        for folded, display in table.display.items():
            tokens = _singular_tokens(folded)
            if tokens == wanted or tokens in aliases or set(wanted) <= set(tokens):
                matches.append(display)
        if not matches:
            close = process.extractOne(
                " ".join(wanted), self._fuzzy_choices["genre"], scorer=fuzz.ratio, score_cutoff=86
            )
            if close:
                matches.append(table.display[close[0]])
        return sorted(matches)

    def find_genres(self, text: str) -> list[str]:
        table = self._tables["genre"]
        return [table.display[folded] for folded, _, _ in self._exact_spans(text, "genre")]

    @property
    def genres(self) -> list[str]:
        return sorted(self._tables["genre"].display.values())

    def fingerprint(self) -> str:
        """Changes whenever a title's searchable text changes: the key of cached embeddings."""
        digest = hashlib.sha256()
        for entry in sorted(self.entries.values(), key=lambda e: e.id):
            digest.update(f"{entry.id}\x1f{description_text(entry)}\x1e".encode())
        return digest.hexdigest()[:20]


# Genre words whose catalog spelling shares no word with them.
GENRE_ALIASES: dict[str, tuple[str, ...]] = {
    "sci - fi": ("science fiction", "sci-fi & fantasy", "scifi"),
    "scifi": ("science fiction", "sci-fi & fantasy"),
    "kid": ("children", "kids' tv", "children & family"),
    "documentary": ("docuseries",),
    "stand - up": ("standup", "stand-up comedy"),
    "animation": ("animated", "cartoon"),
}


def _singular_tokens(folded: str) -> tuple[str, ...]:
    """Word tokens with a plural "s"/"ies" removed, so "comedies" and "comedy" compare equal."""
    tokens = []
    for token in folded.split():
        if token.endswith("ies") and len(token) > 4:
            token = token[:-3] + "y"
        elif token.endswith("s") and not token.endswith("ss") and len(token) > 3:
            token = token[:-1]
        tokens.append(token)
    return tuple(tokens)


def description_text(entry: CatalogEntry) -> str:
    """What a title's embedding is computed from: its description, genres and moods."""
    parts = [entry.description.strip()]
    if entry.genres:
        parts.append("Genres: " + ", ".join(entry.genres) + ".")
    if entry.moods:
        parts.append("Mood: " + ", ".join(entry.moods) + ".")
    return " ".join(part for part in parts if part)


# Openers people use before the actual description; they carry no meaning for the search.
_DESCRIPTION_OPENERS = re.compile(
    r"^\s*(?:(?:i'?m\s+)?(?:looking|searching)\s+for\s+|(?:do you have|is there|find( me)?)\s+)?"
    r"(?:the|a|that|this)?\s*(?:one|movie|film|show|series|thing)?\s*"
    r"(?:about|where|with|in which|that has|that is about)\s+",
    re.IGNORECASE,
)


def description_query(text: str) -> str:
    """Strip "the one about ..." openers so the query is just the description."""
    stripped = _DESCRIPTION_OPENERS.sub("", text, count=1).strip(" ?!.")
    return stripped or text.strip()


def embedding_model_path() -> str:
    return str(default_model_path())


_encoders: dict[str, object] = {}
_encoders_lock = threading.Lock()


def load_encoder(model_path: str):  # noqa: ANN201 - SentenceTransformer, imported lazily (torch is slow to import)
    """The sentence-transformers model at `model_path`, loaded once per process and shared: a catalog change
    builds a new DescriptionSearch, which must not pay the model load again."""
    with _encoders_lock:
        if model_path not in _encoders:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            import torch
            from sentence_transformers import SentenceTransformer

            # One intra-op thread. Encoding one short query is a few small matrix products; with torch's
            # default of one thread per core, its threads wait on each other whenever the cores are busy
            # (Rasa, other requests): measured on 2 busy cores, 100-500 ms of CPU per query with 2 threads
            # against 21-24 ms with 1. Requests run side by side in the server's worker threads anyway.
            torch.set_num_threads(1)
            _encoders[model_path] = SentenceTransformer(model_path, device="cpu")
            logger.info("loaded embedding model from %s", model_path)
        return _encoders[model_path]


@dataclass(frozen=True)
class DescriptionHit:
    entry: CatalogEntry
    score: float


class DescriptionSearch:
    """Semantic search over descriptions with sentence-transformers, embeddings cached under ``cache_dir``."""

    # Below this cosine similarity a hit is more likely noise than what the user described.
    MIN_SCORE = 0.25

    def __init__(self, index: CatalogIndex, cache_dir: Path, model_path: str | None = None) -> None:
        self._index = index
        self._ids = sorted(index.entries)
        self._cache_dir = cache_dir
        self._model_path = model_path or embedding_model_path()
        self._model = None
        self._matrix: np.ndarray | None = None

    def _encoder(self):  # noqa: ANN202 - SentenceTransformer, imported lazily (torch is slow to import)
        if self._model is None:
            self._model = load_encoder(self._model_path)
        return self._model

    def warm_up(self) -> None:
        """Load (or compute) the title embeddings and the encoder, and encode once, so the first user's
        search costs what every later one does (loading the model takes seconds)."""
        self.embeddings()
        self._encoder().encode(["warm-up"], normalize_embeddings=True, convert_to_numpy=True)

    def _cache_file(self) -> Path:
        model_key = hashlib.sha256(self._model_path.encode()).hexdigest()[:10]
        return self._cache_dir / f"descriptions-{self._index.fingerprint()}-{model_key}.npy"

    def embeddings(self) -> np.ndarray:
        """(n_titles, dim) unit vectors aligned with the sorted title ids; computed once per catalog."""
        if self._matrix is not None:
            return self._matrix
        cache = self._cache_file()
        if cache.exists():
            matrix = np.load(cache)
            if matrix.shape[0] == len(self._ids):
                self._matrix = matrix
                logger.info("loaded %d cached description embeddings from %s", matrix.shape[0], cache)
                return matrix
            logger.warning("ignoring %s: %d rows for %d titles", cache, matrix.shape[0], len(self._ids))
        texts = [description_text(self._index.entries[title_id]) for title_id in self._ids]
        matrix = self._encoder().encode(
            texts, batch_size=64, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
        )
        matrix = np.asarray(matrix, dtype=np.float32)
        self._cache_dir.mkdir(parents=True, exist_ok=True)
        # Write-then-rename so a concurrent reader never loads a half-written file.
        partial = cache.with_suffix(f".{os.getpid()}.partial.npy")
        np.save(partial, matrix)
        os.replace(partial, cache)
        logger.info("computed and cached %d description embeddings in %s", len(texts), cache)
        self._matrix = matrix
        return matrix

    def search(self, text: str, k: int = 5, allowed: set[str] | None = None) -> list[DescriptionHit]:
        """Titles whose description best matches ``text``; ``allowed`` limits to titles the user may see."""
        query = description_query(text)
        matrix = self.embeddings()
        vector = self._encoder().encode([query], normalize_embeddings=True, convert_to_numpy=True)[0]
        scores = matrix @ vector.astype(np.float32)
        hits = []
        for row in np.argsort(-scores):
            score = float(scores[row])
            if score < self.MIN_SCORE or len(hits) >= k:
                break
            title_id = self._ids[row]
            if allowed is not None and title_id not in allowed:
                continue
            hits.append(DescriptionHit(self._index.entries[title_id], score))
        return hits
