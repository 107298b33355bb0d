"""The NumPy MiniLM of text_embedding/minilm.py against sentence-transformers on the same files.

The Rasa environment cannot run sentence-transformers (no torch there); this environment can, so the two
are compared here, on messages of the kinds the bot gets.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

from text_embedding import MiniLMEncoder, ModelFilesMissing, default_model_path, shared_encoder

MESSAGES = [
    "what a film",
    "I got charged twice on the 3rd!! $15.99 each time",
    "strager things",
    "🍕",
    "",
    "héllo wörld, naïve café",
    "日本のドラマ",
    "مرحبا، أريد فيلماً",
    "can't stand musicals",
    "<script>alert('x')</script>",
    "a" * 400,
    "cancel " * 200,
]


@pytest.fixture(scope="module")
def reference():
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    sentence_transformers = pytest.importorskip("sentence_transformers")
    model = sentence_transformers.SentenceTransformer(str(default_model_path()), device="cpu")
    return model


def test_vectors_match_sentence_transformers(reference) -> None:
    encoder = MiniLMEncoder(max_tokens=reference.max_seq_length)
    ours = encoder.encode(MESSAGES)
    theirs = reference.encode(MESSAGES, normalize_embeddings=True, convert_to_numpy=True)
    assert ours.shape == (len(MESSAGES), 384)
    assert ours.dtype == np.float32
    np.testing.assert_allclose(ours, theirs, atol=2e-5)


def test_word_pieces_match_the_reference_tokenizer(reference) -> None:
    encoder = MiniLMEncoder()
    for text in MESSAGES[:10]:
        assert encoder.tokenizer.encode(text, 512) == reference.tokenizer(text)["input_ids"], text


def test_batches_and_order_do_not_change_a_vector() -> None:
    encoder = MiniLMEncoder()
    alone = encoder.encode(["loved it"])[0]
    together = encoder.encode(["a much longer message about a refund for last month", "loved it", "hi"])
    np.testing.assert_allclose(together[1], alone, atol=1e-6)
    assert encoder.encode([]).shape == (0, 384)


def test_long_messages_are_cut_at_max_tokens() -> None:
    short = MiniLMEncoder(max_tokens=8)
    assert (
        len(short.tokenizer.encode("one two three four five six seven eight nine ten", short.max_tokens)) == 8
    )
    first = short.encode(["one two three four five six and then much more text"])
    same_start = short.encode(["one two three four five six but different words after"])
    np.testing.assert_allclose(first, same_start, atol=1e-6)


def test_a_missing_model_says_what_to_set(tmp_path) -> None:
    with pytest.raises(ModelFilesMissing, match="MARQUEE_EMBEDDING_MODEL"):
        MiniLMEncoder(tmp_path)


def test_word_piece_vectors_are_the_mean_of_the_models_input_embeddings(reference) -> None:
    table = reference[0].auto_model.embeddings.word_embeddings.weight.detach().numpy()
    texts = ["what a film", "refund my money", "🍕"]
    ours = MiniLMEncoder().encode_word_pieces(texts)
    for text, vector in zip(texts, ours, strict=True):
        pieces = reference.tokenizer(text, add_special_tokens=False)["input_ids"]
        expected = table[pieces].mean(axis=0)
        np.testing.assert_allclose(vector, expected / np.linalg.norm(expected), atol=1e-6)
    # Related words land closer together than unrelated ones, which is what the classifier uses.
    film, movie, refund = MiniLMEncoder().encode_word_pieces(["film", "movie", "refund"])
    assert film @ movie > film @ refund
    assert not MiniLMEncoder().encode_word_pieces([""]).any()


def test_the_shared_encoder_is_loaded_once_per_model_folder(monkeypatch) -> None:
    folder = default_model_path()
    first = shared_encoder()
    assert shared_encoder(folder) is first
    assert shared_encoder(str(folder)) is first
    assert first.model_path == folder


def test_the_model_folder_comes_from_the_environment_first(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("MARQUEE_EMBEDDING_MODEL", str(tmp_path))
    assert default_model_path() == tmp_path
    with pytest.raises(ModelFilesMissing, match="MARQUEE_EMBEDDING_MODEL"):
        shared_encoder()
