"""Learned difficulty predictor: features, a linear model with a pickle-free artifact, and training."""

from .model import DifficultyModel, apgr
from .training import parse_tiers, train

__all__ = ["DifficultyModel", "apgr", "parse_tiers", "train"]
