"""Sentence encoders: loading, mean pooling, batched encoding and export."""

from rcsim_env.encoders.resolve import DEFAULT_MODEL_ID, bundled_model_path, resolve_model_name
from rcsim_env.encoders.sentence_encoder import SentenceEncoder, load_tokenizer, mean_pool, pick_device

__all__ = [
    "DEFAULT_MODEL_ID",
    "SentenceEncoder",
    "bundled_model_path",
    "load_tokenizer",
    "mean_pool",
    "pick_device",
    "resolve_model_name",
]
