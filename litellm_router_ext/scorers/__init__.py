"""Difficulty scorers: the built-ins by name and user scorers by dotted path, behind one Protocol."""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Mapping

from ..config import ScorerConfig
from ..errors import ConfigError, RouterExtError, did_you_mean
from .base import DifficultyScorer
from .heuristic import HeuristicScorer  # the default scorer: always loaded

BUILTIN: Mapping[str, tuple[str, str]] = {
    "heuristic": (".heuristic", "HeuristicScorer"),
    "learned": (".learned", "LearnedScorer"),  # numpy and the artifact load only when a router asks for it
    "litellm-heuristic": (".litellm_heuristic", "LiteLLMHeuristicScorer"),
}
"""Built-in scorer name -> (module, class), imported when a router first uses it."""

_ANY_SCORER = "scorers[]"  # the key prefix a built-in scorer's own errors use


def builtin_class(name: str) -> Callable[..., DifficultyScorer]:
    module, cls = BUILTIN[name]
    factory: Callable[..., DifficultyScorer] = getattr(importlib.import_module(module, __package__), cls)
    return factory


def _params_of(factory: Callable[..., DifficultyScorer]) -> list[str]:
    """The keyword params a built-in scorer takes."""
    return [p.name for p in inspect.signature(factory).parameters.values()
            if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]


def build_scorer(config: ScorerConfig, *, key: str = "scorers[]") -> DifficultyScorer:
    """Instantiate a scorer from its config; wrong params or a bad dotted path raise ``ConfigError``."""
    if config.name == "custom":
        from ..plugins import load_object

        factory = load_object(config.path or "", key=f"{key}.path")
    else:
        factory = builtin_class(config.name)
    try:
        scorer = factory(**config.params)
    except ConfigError as exc:
        if exc.key and exc.key.startswith(_ANY_SCORER):  # a built-in names its param, not which scorer it is
            raise ConfigError(exc.reason, key=key + exc.key[len(_ANY_SCORER):], value=exc.value,
                              allowed=exc.allowed) from None
        raise
    except RouterExtError:
        raise  # already says what is wrong (e.g. ArtifactError names the artifact file)
    except TypeError as exc:
        allowed = _params_of(factory) if config.name != "custom" else []
        unknown = [p for p in config.params if p not in allowed]
        if config.name != "custom" and unknown:  # a misspelt key, not a wrong value
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
