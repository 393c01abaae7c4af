"""Routers as replay sees them: a difficulty score per item, plus thresholds when the router has them.

A ``--router`` spec is one of:

- a built-in scorer name (``heuristic``, ``learned``): that scorer alone, no thresholds;
- ``learned:PATH``: the learned scorer with an artifact of your own (written by ``litellm-router train``);
- ``litellm-heuristic`` / ``litellm-heuristic-v2``: LiteLLM's own complexity-router scorers (baselines);
- built-in scorer names joined by ``+`` (``heuristic+litellm-heuristic``): their scores averaged, equal weights;
- a router config file ``path.yaml`` (its only router) or ``path.yaml#alias``: its scorers and thresholds;
  tier i of the config maps to tier i of ``--tiers`` by position.

Scores come from the same ``TierPolicy.difficulty`` the live router uses, so replay and production agree.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from ..config import BUILTIN_SCORERS, RouterConfig, ScorerConfig, TierConfig, load_config, parse_yaml, router_entries
from ..errors import ConfigError
from ..plugins import importable_beside
from .cascade import replay_error
from .dataset import EvalItem
from .outcomes import OutcomeTable, ladder_warnings
from .prices import Price, PriceOverride, per_mtok

LITELLM_NAMES = ("litellm-heuristic", "litellm-heuristic-v2")
LEARNED_PREFIX = "learned:"


@dataclass(frozen=True)
class ReplayRouter:
    """A router reduced to what replay needs."""

    name: str
    scores: np.ndarray
    thresholds: tuple[float, ...] | None = None
    """Minimum score of each tier above the first; ``None``: the equal-share operating point is used."""
    config: RouterConfig | None = None
    source: str | None = None
    """The config file it came from, if any."""
    kind: str = "router"
    """``router`` for ours, ``baseline`` for LiteLLM's scorers."""
    notes: tuple[str, ...] = ()
    """What the reader should check, e.g. config tiers replayed with other models' outcomes."""


def tier_name(model: str) -> str:
    """A config-safe tier name for a model id."""
    return re.sub(r"[^A-Za-z0-9_.\-]", "-", model) or "tier"


def scorer_router_config(scorer: str, tiers: Sequence[str], thresholds: Sequence[float] | None = None,
                         params: dict[str, str] | None = None) -> RouterConfig:
    """A router config using built-in scorers over ``tiers`` (thresholds evenly spaced unless given).

    ``scorer`` is one name or several joined by ``+`` (equal weights; ``params`` go to each).
    """
    k = len(tiers)
    cuts = tuple(thresholds) if thresholds is not None else tuple((j + 1) / k for j in range(k - 1))
    return RouterConfig(
        alias=tier_name(scorer),
        tiers=tuple(TierConfig(name=f"{j}-{tier_name(m)}", model=m) for j, m in enumerate(tiers)),
        scorers=tuple(ScorerConfig(name=name, params=params or {}) for name in scorer.split("+")),
        thresholds=cuts,
    )


def config_scores(config: RouterConfig, items: Sequence[EvalItem], *, source: str | None = None) -> np.ndarray:
    """The router's difficulty for every item, exactly as its live policy computes it. ``source``: the config file,
    beside which a custom scorer's module may sit."""
    from ..policy import TierPolicy

    try:
        with importable_beside(source):
            policy = TierPolicy.from_config(config)
    except (ImportError, ModuleNotFoundError) as exc:
        raise ConfigError(f"router '{config.alias}' needs a scorer that is not available here: {exc}",
                          key="scorers") from None
    return np.fromiter((policy.difficulty(item.request())[0] for item in items), dtype=float, count=len(items))


def load_router_spec(spec: str) -> tuple[RouterConfig, str]:
    """The router named by ``path.yaml`` or ``path.yaml#alias``."""
    path, _, alias = spec.partition("#")
    routers = load_config(path)
    if alias:
        return routers.router(alias, path), path
    if len(routers.routers) != 1:
        raise ConfigError("the file holds several routers; pick one with PATH#ALIAS", file=path, key="routers",
                          allowed=[r.alias for r in routers.routers])
    return routers.routers[0], path


def config_ladder(specs: Sequence[str], models: Collection[str]) -> list[str] | None:
    """The tier models of the router configs among ``specs``, when they name one ladder and the file has every
    model of it: the ladder to replay them on when ``--tiers`` is not given."""
    return ladder_of([load_router_spec(spec)[0] for spec in specs if is_file_spec(spec)], models)


def ladder_of(configs: Sequence[RouterConfig], models: Collection[str]) -> list[str] | None:
    """``config_ladder`` of router configs already loaded."""
    ladders = {tuple(t.model for t in config.tiers) for config in configs}
    if len(ladders) != 1:
        return None
    (ladder,) = ladders
    return list(ladder) if all(model in models for model in ladder) else None


def config_tier_prices(specs: Sequence[str], ladder: Sequence[str]) -> dict[str, PriceOverride]:
    """The tier prices the router configs among ``specs`` declare, by the ladder model each costs: tier i's price
    costs model i of the ladder, the outcomes tier i is replayed with. A config whose tiers do not fit the ladder
    is left to ``build_router`` to refuse; two configs pricing one model differently raise ``ConfigError`` (one
    replay costs each model once)."""
    found: dict[str, PriceOverride] = {}
    for spec in specs:
        if not is_file_spec(spec):
            continue
        config, path = load_router_spec(spec)
        for i, model, declared in declared_prices(config, path, ladder):
            other = found.get(model)
            if other is not None and other.price != declared.price:
                raise ConfigError(
                    f"tier '{declared.tier}' is priced at {per_mtok(declared.price)}, but {other.file} prices {model} "
                    f"at {per_mtok(other.price)} (tier '{other.tier}'), and one replay costs each model once; evaluate "
                    "them in separate runs, or give both the same price", file=path,
                    key=f"{_router_key(config, path)}.tiers[{i}].price")
            found.setdefault(model, declared)
    return found


def declared_prices(config: RouterConfig, path: str, ladder: Sequence[str]) -> list[tuple[int, str, PriceOverride]]:
    """(tier index, ladder model it costs, its price) for each tier of ``config`` that declares a price; none when
    the config's tiers do not fit the ladder (``config_router`` refuses that)."""
    if len(config.tiers) != len(ladder):
        return []
    return [(i, model, PriceOverride(Price(t.price.input_usd_per_mtok, t.price.output_usd_per_mtok), path, t.name))
            for i, (t, model) in enumerate(zip(config.tiers, ladder, strict=True)) if t.price is not None]


def cascade_replay_error(config: RouterConfig, source: str | None) -> ConfigError | None:
    """``replay_error`` of ``config``, naming the file it came from and its place there."""
    if source is None or replay_error(config) is None:
        return replay_error(config)
    return replay_error(config, source, _router_key(config, source))


def _router_key(config: RouterConfig, path: str) -> str:
    """``routers[i]``: where ``config`` sits in its file, as ``check`` names keys. Read from the file's YAML, not
    its validated form: calibrate replays a file whose thresholds do not load yet."""
    data = parse_yaml(Path(path).read_text(encoding="utf-8-sig"), path)
    aliases = [r.get("alias") if isinstance(r, dict) else None for r in router_entries(data)]
    return f"routers[{aliases.index(config.alias)}]" if config.alias in aliases else config.alias


def is_file_spec(spec: str) -> bool:
    path = spec.partition("#")[0]
    return path.endswith((".yaml", ".yml", ".json")) or Path(path).is_file()


def build_router(spec: str, items: Sequence[EvalItem], tiers: Sequence[str], *,
                 configurable: bool = False) -> ReplayRouter:
    """Score ``items`` with the router ``spec`` names; ``ConfigError`` for an unknown name or a mismatched ladder.

    ``configurable``: a name that is both a LiteLLM baseline and one of our scorers (``litellm-heuristic``)
    means the scorer a router config would run (quantile scale), as calibrate and gate need, not the baseline.
    """
    if spec in LITELLM_NAMES and not (configurable and spec in BUILTIN_SCORERS):
        from ..adapters.litellm_baselines import litellm_baseline_scores

        return ReplayRouter(spec, litellm_baseline_scores(spec, [i.prompt_text for i in items]), kind="baseline")
    if all(part in BUILTIN_SCORERS for part in spec.split("+")):  # one name, or several joined by +
        config = scorer_router_config(spec, tiers)
        return ReplayRouter(spec, config_scores(config, items), notes=in_sample_notes(config, items))
    if spec.startswith(LEARNED_PREFIX):
        config = scorer_router_config("learned", tiers, params={"artifact": spec[len(LEARNED_PREFIX):]})
        return ReplayRouter(spec, config_scores(config, items), notes=in_sample_notes(config, items))
    if not is_file_spec(spec):
        raise ConfigError(f"unknown router {spec!r}: not a built-in name and not a config file", key="--router",
                          allowed=dict.fromkeys([*BUILTIN_SCORERS, *LITELLM_NAMES, "heuristic+litellm-heuristic",
                                                 "learned:ARTIFACT.npz", "PATH.yaml", "PATH.yaml#ALIAS"]))
    config, path = load_router_spec(spec)
    return config_router(config, path, items, tiers)


def config_router(config: RouterConfig, path: str, items: Sequence[EvalItem], tiers: Sequence[str]) -> ReplayRouter:
    """The router ``config`` (read from ``path``) scored on ``items``, its tier i replayed as model i of ``tiers``;
    ``ConfigError`` when the ladders differ in length."""
    if len(config.tiers) != len(tiers):
        raise ConfigError(
            f"router '{config.alias}' has {len(config.tiers)} tiers but the ladder replayed has {len(tiers)} "
            f"({', '.join(tiers)}: --tiers, or a 2-model file's models by cost); tier i of the config is replayed as "
            f"model i of the ladder, so pass --tiers with {len(config.tiers)} model ids, cheapest first",
            file=path, key="tiers")
    renamed = [f"{t.name} ({t.model}) as {m}" for t, m in zip(config.tiers, tiers, strict=True) if t.model != m]
    notes: tuple[str, ...] = (f"router '{config.alias}' is replayed with --tiers' outcomes by position: "
                              f"{', '.join(renamed)}; check that the order matches",) if renamed else ()
    unreplayed = cascade_replay_error(config, path)
    if unreplayed is not None:
        notes += (f"router '{config.alias}' is replayed without its cascade: {unreplayed.reason}",)
    return ReplayRouter(config.alias, config_scores(config, items, source=path), tuple(config.thresholds), config, path,
                        notes=(*notes, *in_sample_notes(config, items)))


def build_routers(specs: Sequence[str], items: Sequence[EvalItem], tiers: Sequence[str]) -> list[ReplayRouter]:
    """``build_router`` for each spec, each under a name of its own: a config router whose alias another router
    also goes by is named by its spec (``old.yaml``, ``new.yaml#prod``), so two versions of one config compare."""
    routers = [build_router(spec, items, tiers) for spec in specs]
    taken = [r.name for r in routers]
    return [replace(r, name=spec, notes=tuple(n.replace(f"router '{r.name}'", f"router '{spec}'") for n in r.notes))
            if r.source is not None and taken.count(r.name) > 1 else r for r, spec in zip(routers, specs, strict=True)]


def in_sample_notes(config: RouterConfig, items: Sequence[EvalItem]) -> tuple[str, ...]:
    """A note for each learned scorer of ``config`` that was trained on some of ``items``' prompts: its figures
    on them are in-sample, better than it will do on traffic it never saw."""
    from ..scorers.learned import LearnedScorer

    notes = []
    for scorer in config.scorers:
        if scorer.name != "learned":
            continue
        learned = LearnedScorer(scorer.params.get("artifact"))
        seen = learned.model.count_seen([item.prompt_text for item in items])
        if seen:
            notes.append(f"the learned scorer's artifact {learned.artifact.name} was trained on {seen} of these "
                         f"{len(items)} prompts, so its figures here are in-sample (better than on traffic it "
                         "never saw); score it on prompts it was not trained on")
    return tuple(notes)


def setup_warnings(table: OutcomeTable, routers: Sequence[ReplayRouter], *, tiers_given: bool) -> list[str]:
    """What to check before trusting the numbers: the order of a ``--tiers`` ladder (one the tool picked is
    cheapest first by its own measure) and each router's tier mapping."""
    ladder = ladder_warnings(table) if tiers_given else []
    return list(dict.fromkeys([*ladder, *(note for r in routers for note in r.notes)]))
