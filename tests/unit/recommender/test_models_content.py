"""Content model: cold start for new viewers and new titles, with the TF-IDF encoder and the real ones
(MiniLM's word pieces, which the hybrid uses, and the full sentence embedding, the default)."""

from __future__ import annotations

import numpy as np
import pytest

from recommender.dataset import Interactions, ItemMetadata
from recommender.models import content
from recommender.models.base import ScoringContext, model_from_state
from recommender.models.content import ContentRecommender, SentenceEncoder, TfidfEncoder, WordPieceEncoder

CATALOG = [
    {"item_id": "chef", "title": "Le Chef", "genres": ["Drama"], "moods": ["warm"],
     "description": "A young chef opens a small restaurant in Paris and fights for her first Michelin star."},
    {"item_id": "bistro", "title": "Bistro Nights", "genres": ["Comedy"], "moods": ["warm"],
     "description": "Cooking competition among Parisian bakers and cooks, with croissants and French cuisine."},
    {"item_id": "heist", "title": "Vault", "genres": ["Thriller"], "moods": ["tense"],
     "description": "A crew of thieves plans a bank heist during a blizzard."},
    {"item_id": "space", "title": "Orbit", "genres": ["Science Fiction"], "moods": ["tense"],
     "description": "Astronauts stranded on a space station must repair it before oxygen runs out."},
    {"item_id": "whales", "title": "Deep Blue", "genres": ["Documentary"], "moods": ["calm"],
     "description": "Humpback whales migrate across the Pacific ocean."},
    {"item_id": "robbers", "title": "The Job", "genres": ["Thriller", "Crime"], "moods": ["tense"],
     "description": "Robbers plan one last heist on a bank vault."},
]  # fmt: skip
ITEM_IDS = [r["item_id"] for r in CATALOG] + ["unlisted"]


def data() -> tuple[Interactions, ItemMetadata]:
    # Viewers in GB watched the whale documentary; in US the space film (one also the chef drama). Nobody has
    # watched the heists yet.
    users = [f"g{i}" for i in range(30)] + [f"s{i}" for i in range(25)] + ["s0"]
    items = ["whales"] * 30 + ["space"] * 25 + ["chef"]
    regions = {u: "GB" if u.startswith("g") else "US" for u in users}
    interactions = Interactions.from_arrays(users, items, item_ids=ITEM_IDS, user_regions=regions)
    return interactions, ItemMetadata.from_records(CATALOG)


@pytest.fixture(scope="module")
def tfidf_model() -> ContentRecommender:
    return ContentRecommender(encoder="tfidf", popularity_weight=0.1).fit(*data())


def test_new_viewer_without_preferences_gets_popular_titles_in_their_region(tfidf_model) -> None:
    empty = tfidf_model.data.empty_history()
    assert tfidf_model.recommend(empty, k=1, context=ScoringContext(region="GB"))[0][0] == "whales"
    assert tfidf_model.recommend(empty, k=1, context=ScoringContext(region="US"))[0][0] == "space"


def test_stated_preferences_steer_a_cold_start(tfidf_model) -> None:
    context = ScoringContext(region="GB", preferences=("bank heist",))
    ranked = [
        item for item, _ in tfidf_model.recommend(tfidf_model.data.empty_history(), k=2, context=context)
    ]
    assert set(ranked) == {"heist", "robbers"}

    index = tfidf_model.data.item_index["robbers"]
    contributions = tfidf_model.explain(tfidf_model.data.empty_history(), index, top=5, context=context)
    assert contributions[0].kind == "feature" and contributions[0].source == "bank heist"


def test_a_title_nobody_watched_is_similar_and_recommendable_through_its_content(tfidf_model) -> None:
    assert tfidf_model.similar_items("robbers", k=1)[0][0] == "heist"
    history = tfidf_model.data.history_row(["robbers"])
    assert tfidf_model.recommend(history, k=1)[0][0] == "heist"


def test_titles_without_metadata_score_only_popularity(tfidf_model) -> None:
    index = tfidf_model.data.item_index["unlisted"]
    assert not tfidf_model.embeddings[index].any()
    assert tfidf_model.similar_items("unlisted") == []
    assert tfidf_model.score_history(tfidf_model.data.history_row(["chef"]))[index] == 0


def test_fit_without_metadata_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="needs item metadata"):
        ContentRecommender(encoder="tfidf").fit(data()[0])


def test_tfidf_encoder_is_deterministic_and_normalised() -> None:
    texts = ["a bank heist", "whales in the ocean", ""]
    one, two = TfidfEncoder(), TfidfEncoder()
    one.fit(texts)
    two.fit(texts)
    vectors = one.encode(texts)
    assert np.array_equal(vectors, two.encode(texts))
    assert np.linalg.norm(vectors, axis=1) == pytest.approx([1.0, 1.0, 0.0])
    assert vectors[0] @ one.encode(["heist at the bank"])[0] > 0.5


@pytest.fixture(scope="module")
def word_piece_model() -> ContentRecommender:
    return ContentRecommender(encoder="word-pieces", popularity_weight=0.0).fit(*data())


def test_the_word_piece_encoder_pairs_related_words(word_piece_model) -> None:
    assert isinstance(word_piece_model.encoder, WordPieceEncoder)
    assert word_piece_model.params["encoder"] == "word-pieces"
    assert word_piece_model.embeddings.shape == (len(ITEM_IDS), 128)
    assert word_piece_model.embeddings.dtype == np.float32
    # Related words without a shared token: "robbers ... heist ... bank vault" against "thieves ... bank heist".
    assert word_piece_model.similar_items("robbers", k=1)[0][0] == "heist"
    top = word_piece_model.recommend(
        word_piece_model.data.empty_history(), k=1, context=ScoringContext(preferences=("astronauts",))
    )
    assert top[0][0] == "space"


def test_a_saved_word_piece_model_scores_the_same_after_loading(word_piece_model) -> None:
    loaded = model_from_state(word_piece_model.get_state())
    assert isinstance(loaded.encoder, WordPieceEncoder)
    context = ScoringContext(preferences=("whales in the sea",))
    history = word_piece_model.data.history_row(["chef"])
    assert np.allclose(
        loaded.score_history(history, context), word_piece_model.score_history(history, context), atol=1e-6
    )


def test_word_piece_vectors_are_unit_length_and_empty_text_is_zero() -> None:
    vectors = WordPieceEncoder().encode(["a bank heist", ""])
    assert vectors.shape == (2, WordPieceEncoder().dimension())
    assert np.linalg.norm(vectors, axis=1) == pytest.approx([1.0, 0.0], abs=1e-5)


@pytest.fixture(scope="module")
def sentence_model() -> ContentRecommender:
    return ContentRecommender(popularity_weight=0.0).fit(*data())


def test_the_default_encoder_is_the_sentence_embedding(sentence_model) -> None:
    assert isinstance(sentence_model.encoder, SentenceEncoder)
    assert sentence_model.params["encoder"] == "sentence-transformers"


@pytest.mark.slow
def test_real_encoder_finds_the_other_paris_cooking_title(sentence_model) -> None:
    # The two texts share no content words ("chef", "restaurant", "Paris" vs "cooking", "Parisian", "cuisine"):
    # only a semantic encoder can pair them.
    assert sentence_model.embeddings.shape == (len(ITEM_IDS), 128)  # projected from MiniLM's 384
    assert sentence_model.embeddings.dtype == np.float32
    assert np.linalg.norm(sentence_model.embeddings[0]) == pytest.approx(1.0, abs=1e-5)
    assert sentence_model.similar_items("chef", k=1)[0][0] == "bistro"
    assert sentence_model.similar_to_text("a film about French food", k=2)[0][0] in {"chef", "bistro"}


@pytest.mark.slow
def test_real_encoder_cold_start_follows_free_text_preferences(sentence_model) -> None:
    context = ScoringContext(preferences=("something about outer space",))
    top = sentence_model.recommend(sentence_model.data.empty_history(), k=1, context=context)
    assert top[0][0] == "space"


@pytest.mark.slow
def test_title_vectors_are_reused_from_the_disk_cache(sentence_model, tmp_path, monkeypatch) -> None:
    texts = [f"Episode {i}: a documentary about the history of bread." for i in range(20)]
    first = SentenceEncoder(cache_dir=tmp_path).encode(texts)
    assert first.shape == (20, 384)
    assert list(tmp_path.glob("*.npz")) == [SentenceEncoder(cache_dir=tmp_path).cache_file]

    def no_model(path: str) -> None:
        raise AssertionError("the cached texts must not need the model")

    monkeypatch.setattr(content, "_sentence_model", no_model)
    second = SentenceEncoder(cache_dir=tmp_path).encode(list(reversed(texts)))
    assert np.array_equal(second, first[::-1])


def test_an_unreadable_cache_is_ignored(tmp_path) -> None:
    encoder = SentenceEncoder(model_path="/nonexistent/model", cache_dir=tmp_path)
    encoder.cache_file.write_bytes(b"not an npz file")
    with pytest.raises(OSError):
        # The broken cache is skipped; the missing model is then the (clear) error.
        encoder.encode(["x"])


def test_projection_keeps_the_title_space_and_can_be_turned_off() -> None:
    full = ContentRecommender(encoder="tfidf", dimensions=None).fit(*data())
    projected = ContentRecommender(encoder="tfidf", dimensions=4).fit(*data())

    assert full.embeddings.shape[1] == 1024 and full.projection is None
    assert projected.embeddings.shape[1] == 4 and projected.projection is not None
    described = projected.embeddings[:6]
    assert np.linalg.norm(described, axis=1) == pytest.approx(np.ones(6), abs=1e-5)
    # Four directions of six titles keep the strongest pairing: the two heists.
    assert projected.similar_items("robbers", k=1)[0][0] == "heist"
    with pytest.raises(ValueError, match="dimensions must be at least 1"):
        ContentRecommender(encoder="tfidf", dimensions=0)


def test_catalog_genres_and_moods_are_encoded_at_fit_not_per_request(monkeypatch) -> None:
    model = ContentRecommender(encoder="tfidf", popularity_weight=0.1).fit(*data())
    assert {"drama", "thriller", "tense", "warm"} <= set(model.tag_vectors)
    context = ScoringContext(region="GB", preferences=("thriller", "tense"))
    before = model.score_history(model.data.empty_history(), context)

    def no_encoder(texts):
        raise AssertionError(f"a catalog tag must not need the encoder at request time: {texts}")

    monkeypatch.setattr(model.encoder, "encode", no_encoder)
    assert np.allclose(model.score_history(model.data.empty_history(), context), before)
    # They are kept in the saved state, and equal encoding the tags on the fly.
    monkeypatch.undo()
    loaded = model_from_state(model.get_state())
    assert set(loaded.tag_vectors) == set(model.tag_vectors)
    loaded.tag_vectors = {}
    assert np.allclose(loaded.score_history(model.data.empty_history(), context), before, atol=1e-6)


def test_cache_keys_ending_in_a_nul_byte_survive_the_round_trip(tmp_path) -> None:
    # sha1 digests end in b"\0" one time in 256; NumPy's fixed-width bytes strip trailing NULs on load.
    keys = [b"\x01" * 19 + b"\0", b"\0" * 20, bytes(range(1, 21))]
    vectors = {key: np.full(3, i, dtype=np.float32) for i, key in enumerate(keys)}
    SentenceEncoder(model_path="/nonexistent/model", cache_dir=tmp_path)._save_cache(vectors)
    loaded = SentenceEncoder(model_path="/nonexistent/model", cache_dir=tmp_path)._loaded_cache()
    assert sorted(loaded) == sorted(keys)
    assert all(np.array_equal(loaded[key], vectors[key]) for key in keys)
