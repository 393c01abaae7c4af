"""Difficulty scorers: the built-ins by name and user scorers by dotted path, behind one Protocol."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any

from ..config import ScorerConfig
from ..errors import ConfigError, RouterExtError, did_you_mean
from .base import DifficultyScorer
from .heuristic import HeuristicScorer


def _learned(**params: Any) -> DifficultyScorer:
    from .learned import LearnedScorer  # numpy and the artifact load only when a router asks for it

    return LearnedScorer(**params)


def _litellm_heuristic(**params: Any) -> DifficultyScorer:
    from .litellm_heuristic import LiteLLMHeuristicScorer

    return LiteLLMHeuristicScorer(**params)


BUILTIN: Mapping[str, Callable[..., DifficultyScorer]] = {
    "heuristic": HeuristicScorer,
    "learned": _learned,
    "litellm-heuristic": _litellm_heuristic,
}


def _builtin_params(name: str) -> list[str]:
    """The keyword params a built-in scorer takes (its class's ``__init__``)."""
    from .learned import LearnedScorer
    from .litellm_heuristic import LiteLLMHeuristicScorer

    classes: dict[str, type] = {"heuristic": HeuristicScorer, "learned": LearnedScorer,
                                 "litellm-heuristic": LiteLLMHeuristicScorer}
    cls = classes.get(name)
    if cls is None:
        return []
    return [p.name for p in inspect.signature(cls).parameters.values()
            if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]


def build_scorer(config: ScorerConfig, *, key: str = "scorers[]") -> DifficultyScorer:
    """Instantiate a scorer from its config; wrong params or a bad dotted path raise ``ConfigError``."""
    if config.name == "custom":
        from ..plugins import load_object

        factory = load_object(config.path or "", key=f"{key}.path")
    else:
        factory = BUILTIN[config.name]
    try:
        scorer = factory(**config.params)
    except RouterExtError:
        raise  # already says what is wrong (e.g. ArtifactError names the artifact file)
    except TypeError as exc:
        unknown = [p for p in config.params if p not in _builtin_params(config.name)]
        if config.name != "custom" and unknown:  # a misspelt key, not a wrong value
            allowed = _builtin_params(config.name)
            raise ConfigError(f"scorer {config.name!r} has no param {unknown[0]!r}{did_you_mean(unknown[0], allowed)}",
                              key=f"{key}.params", allowed=allowed or ["none"]) from None
        raise ConfigError(
            f"bad params for scorer {config.name!r}: {exc}", key=f"{key}.params", value=dict(config.params)
        ) from None
    except Exception as exc:  # a user's scorer failing to start: say which, not a traceback
        raise ConfigError(f"scorer {config.path or config.name!r} failed to start: {type(exc).__name__}: {exc}",
                          key=f"{key}.path" if config.name == "custom" else f"{key}.params") from None
    if not isinstance(scorer, DifficultyScorer):
        raise ConfigError(
            f"{config.path or config.name} did not produce a scorer: it needs a `name` and `score(request) -> float`",
            key=f"{key}.path",
        )
    return scorer


__all__ = ["BUILTIN", "DifficultyScorer", "HeuristicScorer", "build_scorer"]
