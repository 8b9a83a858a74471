"""Agents that judge sentence pairs in the rcsim environments."""

from agents.baselines import CosineAgent, RandomAgent

__all__ = ["CosineAgent", "RandomAgent"]
