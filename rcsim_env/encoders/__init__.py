"""Sentence encoders: loading (with the model's own pooling), batched encoding, export with a model card."""

from rcsim_env.encoders.layout import EncoderLayout
from rcsim_env.encoders.model_card import ModelCard, render_card
from rcsim_env.encoders.pooling import POOLING_MODES, mean_pool
from rcsim_env.encoders.quiet import quiet_transformers
from rcsim_env.encoders.resolve import (
    DEFAULT_MODEL_ID,
    bundled_model_path,
    looks_like_path,
    resolve_model_name,
)
from rcsim_env.encoders.sentence_encoder import SentenceEncoder, eval_mode, load_tokenizer, pick_device

__all__ = [
    "DEFAULT_MODEL_ID",
    "POOLING_MODES",
    "EncoderLayout",
    "ModelCard",
    "SentenceEncoder",
    "bundled_model_path",
    "eval_mode",
    "load_tokenizer",
    "looks_like_path",
    "mean_pool",
    "pick_device",
    "quiet_transformers",
    "render_card",
    "resolve_model_name",
]
