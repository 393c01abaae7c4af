"""``litellm-router check``: find every problem in a proxy config.yaml or a router config, one message each.

Checks a proxy config (with the router config it loads: ``$LITELLM_ROUTER_EXT_CONFIG`` or router.yaml beside
it) or a router config alone:

- the router config's structure (unknown keys, thresholds out of order, bad validator params);
- every scorer, built as the router would build it (a missing or broken ``learned`` artifact, bad params,
  a custom scorer that does not import), so it fails here and not on the first request;
- tier models that name no model group of the proxy (with the closest name, so typos stand out);
- ``os.environ/NAME`` values whose variable is not set;
- ``tiered/<alias>`` deployments naming no router; the provider or header hook missing from litellm_settings, and
  a handler or callback path that does not resolve as the proxy resolves it (it would not start);
- a LiteLLM complexity router with our classifier: its plugin, its artifact and its tiers' model groups;
- log-prob validators on a tier below the top that returns no log-probs (its answers would go unchecked);
- LiteLLM fallbacks naming unknown groups, or jumping up the ladder (warning: the ladder does that itself).

What LiteLLM knows about models (log-prob support, known model names) is passed in by the caller, so this
module does not import LiteLLM itself (``adapters.proxy.litellm_facts`` supplies the real answers); the hooks and
plugins it imports, as the proxy would, may.
"""

from __future__ import annotations

import importlib
import inspect
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from .config import (
    RouterConfig,
    RouterFile,
    TierConfig,
    anchor_scorer_paths,
    config_problems,
    deployment_entry_problem,
    parse_yaml,
    shared_model_problems,
)
from .errors import ConfigError, RouterExtError, did_you_mean
from .plugins import importable_beside, load_object
from .recipes import HEADERS_CALLBACK, PROVIDER_HANDLER, ROUTER_FILE, unset_env

CONFIG_ENV = "LITELLM_ROUTER_EXT_CONFIG"
COMPLEXITY_ROUTER = "auto_router/complexity_router"


@dataclass(frozen=True, slots=True)
class Problem:
    severity: Literal["error", "warning"]
    message: str


@dataclass(frozen=True, slots=True)
class ModelFacts:
    """What LiteLLM says about models, injected so the checker stays pure."""

    supports_logprobs: Callable[[TierConfig, Sequence[Mapping[str, Any]]], bool] = lambda tier, deployments: True
    """Does the tier (with these deployments of its group) return token log-probs?"""
    is_known_model: Callable[[str], bool] = lambda model: True
    """Is this a model string LiteLLM can call (for tiers that name no model group)?"""
    router_settings_problems: Callable[[Mapping[str, Any], str], list[ConfigError]] = lambda settings, source: []
    """``router_settings`` keys that ``litellm.Router(...)`` does not take."""


@dataclass
class Report:
    """Every problem found; ``ok`` when there is no error (warnings allowed)."""

    checked: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(p.severity == "error" for p in self.problems)

    def error(self, message: str, **where: Any) -> None:
        self.problems.append(Problem("error", str(ConfigError(message, **where))))

    def warn(self, message: str, **where: Any) -> None:
        self.problems.append(Problem("warning", str(ConfigError(message, **where))))

    def errors(self, problems: Iterable[ConfigError]) -> None:
        self.problems.extend(Problem("error", str(exc)) for exc in problems)

    def error_in(self, exc: ConfigError, *, file: str, key: str) -> None:
        """``exc`` from a builder that knows no file (a scorer, the validators), reported in ``file``; ``key``
        when it names none."""
        self.error(exc.reason, key=exc.key or key, value=exc.value, allowed=exc.allowed, file=file)


def _read(path: Path, report: Report) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        report.error(f"cannot read file ({exc.strerror})", file=str(path))
        return None
    try:
        return parse_yaml(text, str(path))
    except ConfigError as exc:
        report.problems.append(Problem("error", str(exc)))
        return None


def check_config(path: str | Path, *, env: Mapping[str, str] | None = None, facts: ModelFacts | None = None) -> Report:
    """Check a proxy config.yaml (and its router config) or a router config alone."""
    # Custom scorers and validators may be modules beside the config, importable by a proxy started there.
    with importable_beside(path):
        return _check_config(path, env=env, facts=facts)


def _check_config(path: str | Path, *, env: Mapping[str, str] | None, facts: ModelFacts | None) -> Report:
    env = os.environ if env is None else env
    facts = facts or ModelFacts()
    report = Report()
    path = Path(path)
    data = _read(path, report)
    report.checked.append(str(path))
    if data is None:
        return report
    if not isinstance(data, Mapping):
        report.error(
            "expected a mapping (a proxy config with model_list, or a router config with routers)", file=str(path)
        )
        return report
    if "routers" in data or "alias" in data:
        _check_env(data, str(path), env, report)
        file = _check_router_structure(anchor_scorer_paths(data, path.parent), str(path), report)
        if file is not None:
            _check_router_semantics(file, str(path), _deployments(file.model_list), report, facts, standalone=True)
            report.errors([*shared_model_problems(file, str(path)),
                           *facts.router_settings_problems(file.router_settings, str(path))])
        return report
    _check_proxy(data, path, env, facts, report)
    return report


def _deployments(model_list: Sequence[Mapping[str, Any]]) -> dict[str, list[Mapping[str, Any]]]:
    out: dict[str, list[Mapping[str, Any]]] = {}
    for d in model_list:
        if isinstance(d, Mapping) and isinstance(d.get("model_name"), str):
            out.setdefault(d["model_name"], []).append(d)
    return out


def _check_env(data: object, source: str, env: Mapping[str, str], report: Report, *, managed: str = "") -> None:
    """Unset ``os.environ/NAME`` references: errors, or warnings where a ``key_management_system`` (``managed``)
    may supply them (LiteLLM reads such references from the secret manager, which ``check`` cannot see)."""
    for key, name in unset_env(data, env):
        if managed:
            report.warn(f"environment variable {name} is not set here; the proxy's key_management_system "
                        f"({managed}) must supply it, or export {name}=...", file=source, key=key)
        else:
            report.error(f"environment variable {name} is not set; export {name}=... before starting the proxy",
                         file=source, key=key)


def _check_router_structure(data: Mapping[str, Any], source: str, report: Report) -> RouterFile | None:
    """The parsed file (with misspelt keys left out, each reported), so the deeper checks still run."""
    file, problems = config_problems(data, source)
    report.errors(problems)
    return file


def _router_path(proxy_path: Path, env: Mapping[str, str]) -> Path:
    explicit = env.get(CONFIG_ENV)
    return Path(explicit) if explicit else proxy_path.parent / ROUTER_FILE  # as the user wrote the config path


def _router_path_fix(explicit: str | None) -> str:
    if not explicit:
        return f"put {ROUTER_FILE} next to the proxy config or set {CONFIG_ENV}"
    where = "" if Path(explicit).is_absolute() else (
        f" (a relative path is read from the working directory: {Path.cwd()} for this check, the proxy's own for the "
        "proxy)")
    return f"${CONFIG_ENV}={explicit} names it{where}; set it to the path of a router config YAML"


def _check_proxy(
    data: Mapping[str, Any], path: Path, env: Mapping[str, str], facts: ModelFacts, report: Report
) -> None:
    source = str(path)
    model_list = data.get("model_list") or []
    if not isinstance(model_list, list):
        report.error("model_list must be a list of deployments", file=source, key="model_list")
        model_list = []
    for i, d in enumerate(model_list):
        problem = deployment_entry_problem(d, i, source)
        if problem is not None:
            report.errors([problem])
        else:
            _check_provider(d["litellm_params"], source, f"model_list[{i}].litellm_params", facts, report)
    litellm_settings, forwarding = data.get("litellm_settings"), "forward_client_headers_to_llm_api"
    if isinstance(litellm_settings, Mapping) and forwarding in litellm_settings:
        report.warn(f"LiteLLM reads {forwarding} from general_settings: here it forwards no header to any tier; move "
                    "it there", file=source, key=f"litellm_settings.{forwarding}")
    router_settings = data.get("router_settings")
    if isinstance(router_settings, Mapping):  # the proxy logs and ignores a key its Router does not take
        for problem in facts.router_settings_problems(router_settings, source):
            report.warn(f"{problem.reason}; the proxy ignores it", file=source, key=problem.key)
    settings = data.get("general_settings")
    managed = str(settings.get("key_management_system") or "") if isinstance(settings, Mapping) else ""
    _check_env(data, source, env, report, managed=managed)
    deployments = _deployments([d for d in model_list if isinstance(d, Mapping)])
    complexity = _check_complexity_routers(model_list, deployments, source, report)
    if complexity and not _uses_tiered(data, model_list):
        return  # LiteLLM's complexity router with our classifier: no tiered provider, no router.yaml
    _check_hooks(data.get("litellm_settings") or {}, source, report)

    router_path = _router_path(path, env)
    report.checked.append(str(router_path))
    router_data = _read(router_path, report) if router_path.exists() else None
    if not router_path.exists():
        report.error(f"no router config at {router_path.resolve()}; " + _router_path_fix(env.get(CONFIG_ENV)),
                     file=source)
    if router_data is None:
        return
    _check_env(router_data, str(router_path), env, report, managed=managed)
    file = (_check_router_structure(anchor_scorer_paths(router_data, router_path.parent), str(router_path), report)
            if isinstance(router_data, Mapping) else None)
    if isinstance(router_data, Mapping) and router_data.get("model_list"):
        report.warn(
            "model_list in the router config is ignored inside the proxy; put deployments in the proxy config",
            file=str(router_path),
            key="model_list",
        )
    aliases = _aliases(router_data, file)
    for i, d in enumerate(model_list):
        model = _deployment_model(d)
        if model.startswith("tiered/") and model.removeprefix("tiered/") not in aliases:
            alias = model.removeprefix("tiered/")
            report.error(
                f"deployment names router {alias!r}, which {router_path.name} does not define"
                + did_you_mean(alias, aliases),
                file=source,
                key=f"model_list[{i}].litellm_params.model",
                allowed=aliases,
            )
    _check_tier_groups(router_data, str(router_path), deployments, report)
    if file is not None:
        _check_router_semantics(file, str(router_path), deployments, report, facts, standalone=False)
        _check_fallbacks(data.get("router_settings") or {}, file, deployments, source, report)
        _check_precall_hook(data.get("litellm_settings"), file, source, report)


def _uses_tiered(data: Mapping[str, Any], model_list: Sequence[Any]) -> bool:
    """Whether the proxy config asks for this package's own router (a tiered deployment, the provider, one of
    its callbacks) rather than only LiteLLM's complexity router with our classifier."""
    settings = data.get("litellm_settings")
    settings = settings if isinstance(settings, Mapping) else {}
    providers = settings.get("custom_provider_map") or []
    return (any(_deployment_model(d).startswith("tiered/") for d in model_list)
            or any(isinstance(p, Mapping) and p.get("provider") == "tiered" for p in providers)
            or any(str(c).startswith("litellm_router_ext.") for c in _callbacks(settings)))


def _deployment_model(deployment: object) -> str:
    """``litellm_params.model`` of a model_list entry, "" when it has none (its shape is reported elsewhere)."""
    params = deployment.get("litellm_params") if isinstance(deployment, Mapping) else None
    model = params.get("model") if isinstance(params, Mapping) else None
    return model if isinstance(model, str) else ""


def _check_complexity_routers(model_list: Sequence[Any], deployments: Mapping[str, Sequence[Mapping[str, Any]]],
                              source: str, report: Report) -> int:
    """LiteLLM complexity-router deployments: their tiers name model groups, and a ``custom`` classifier plugin
    imports (ours loads its artifact) and names only tiers the router maps. Returns how many there are."""
    found = 0
    for i, d in enumerate(model_list):
        if not _deployment_model(d).startswith(COMPLEXITY_ROUTER):  # LiteLLM's own rule: a prefix
            continue
        found += 1
        key = f"model_list[{i}].litellm_params.complexity_router_config"
        config = d["litellm_params"].get("complexity_router_config")
        if not isinstance(config, Mapping):
            continue  # LiteLLM's defaults; its own start-up names what is missing
        raw_tiers = config.get("tiers")
        tiers: Mapping[str, Any] = raw_tiers if isinstance(raw_tiers, Mapping) else {}
        for tier, entries in tiers.items():
            # a model group's name, or a pool of them: names, or {model_name: ..., litellm_params: ...} entries
            for entry in entries if isinstance(entries, list | tuple) else [entries]:
                group = entry.get("model_name") if isinstance(entry, Mapping) else entry
                if isinstance(group, str) and group not in deployments:
                    report.error(f"tier {tier} names model group {group!r}, which model_list does not define"
                                 + did_you_mean(group, list(deployments)), file=source, key=f"{key}.tiers.{tier}",
                                 allowed=list(deployments))
        plugin = config.get("classifier_plugin")
        if config.get("classifier_type") != "custom" or not isinstance(plugin, str):
            continue
        try:
            loaded = load_object(plugin, key=f"{key}.classifier_plugin")
        except ConfigError as exc:  # a missing module, or one failing to import (our plugin's artifact not loading)
            report.error_in(exc, file=source, key=f"{key}.classifier_plugin")
            continue
        if not inspect.iscoroutinefunction(getattr(loaded, "classify", None)):  # as LiteLLM's proxy requires
            report.error(f"{plugin} has no async classify(context) method, which LiteLLM's custom classifier "
                         "awaits (the proxy refuses to start without one)", file=source, key=f"{key}.classifier_plugin")
        unmapped = [t for t in getattr(loaded, "tiers", ()) if t not in tiers]
        if unmapped:
            report.error(f"the classifier picks tier {unmapped[0]!r}, which tiers does not map to a model group",
                         file=source, key=f"{key}.tiers", allowed=list(tiers))
    return found


def _check_provider(params: Mapping[str, Any], source: str, key: str, facts: ModelFacts, report: Report) -> None:
    """A deployment LiteLLM cannot route (no provider prefix it knows) fails every call it gets."""
    model = str(params.get("model"))
    if model.startswith("tiered/") or params.get("custom_llm_provider") or facts.is_known_model(model):
        return
    report.error(f"LiteLLM cannot tell which provider serves {model!r}; write it as provider/model (e.g. "
                 f"openai/{model} for an OpenAI-compatible server with api_base) or set custom_llm_provider",
                 file=source, key=f"{key}.model")


def _aliases(router_data: object, file: RouterFile | None) -> list[str]:
    if file is not None:
        return [r.alias for r in file.routers]
    routers = router_data.get("routers") if isinstance(router_data, Mapping) else None
    return [r["alias"] for r in routers or [] if isinstance(r, Mapping) and isinstance(r.get("alias"), str)]


def _check_hooks(settings: object, source: str, report: Report) -> None:
    if not isinstance(settings, Mapping):
        report.error("litellm_settings must be a mapping", file=source, key="litellm_settings")
        return
    providers = settings.get("custom_provider_map") or []
    handlers = [p.get("custom_handler") for p in providers if isinstance(p, Mapping) and p.get("provider") == "tiered"]
    if not handlers:
        report.error(
            f"the 'tiered' provider is not registered; add custom_provider_map: "
            f"[{{provider: tiered, custom_handler: {PROVIDER_HANDLER}}}]",
            file=source,
            key="litellm_settings.custom_provider_map",
        )
    # the proxy imports these at start-up and refuses to start when one does not import
    named = [(f"litellm_settings.custom_provider_map[{i}].custom_handler", p.get("custom_handler"))
             for i, p in enumerate(providers) if isinstance(p, Mapping)]
    named += [(f"litellm_settings.callbacks[{i}]", c) for i, c in enumerate(_callbacks(settings))]
    for key, path in named:
        if isinstance(path, str) and "." in path:  # a dotted path; a bare name is one of LiteLLM's integrations
            _check_proxy_hook(path, key, source, report)
    if not _has_headers_callback(settings):
        report.warn(
            f"no x-router-* response headers without the callback; add callbacks: [{HEADERS_CALLBACK}]",
            file=source,
            key="litellm_settings.callbacks",
        )


def _wrapping_group(model: str, deployments: Mapping[str, Sequence[Mapping[str, Any]]]) -> str:
    """A hint when ``model`` is a deployment's provider model: tiers name the model group that wraps it."""
    for group, entries in deployments.items():
        for d in entries:
            upstream = _deployment_model(d)
            if model in (upstream, upstream.split("/", 1)[-1]):
                return f"; {model!r} is the model of group {group!r}: a tier names the group"
    return ""


def _callbacks(settings: object) -> list[Any]:
    """``litellm_settings.callbacks``: one name or a list of them."""
    callbacks = settings.get("callbacks") if isinstance(settings, Mapping) else None
    return [callbacks] if isinstance(callbacks, str) else list(callbacks or [])


def _has_headers_callback(settings: object) -> bool:
    return HEADERS_CALLBACK in _callbacks(settings)


def _check_proxy_hook(path: str, key: str, source: str, report: Report) -> None:
    """Resolve a handler or callback as LiteLLM's proxy does (``get_instance_fn``): the module is everything
    before the last dot, the object the last part; a remote ``s3://`` / ``gcs://`` module is LiteLLM's to fetch."""
    if path.startswith(("s3://", "gcs://")):
        report.warn("a remote module is fetched by the proxy at start-up: not checked here", file=source, key=key)
        return
    module_name, _, name = path.rpartition(".")
    if ":" in path or not module_name:
        report.error(f"LiteLLM reads this as module.object, split at the last dot; write it as "
                     f"package.module.object (got {path!r})", file=source, key=key)
        return
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:  # the proxy would fail the same way at start-up
        report.error(f"module {module_name!r} does not import ({type(exc).__name__}: {exc}); the proxy will not "
                     "start", file=source, key=key)
        return
    if not hasattr(module, name):
        public = [n for n in vars(module) if not n.startswith("_")]
        report.error(f"module {module_name!r} has no {name!r}{did_you_mean(name, public)}; the proxy will not start",
                     file=source, key=key)


def _check_precall_hook(settings: object, file: RouterFile, source: str, report: Report) -> None:
    """``dispatch: precall`` happens in the header callback's pre-call hook: without the callback it never does."""
    precall = [r.alias for r in file.routers if r.dispatch == "precall"]
    if precall and not _has_headers_callback(settings):
        report.warn(
            f"router(s) {', '.join(map(repr, precall))} set dispatch: precall, which runs in the callback's pre-call "
            f"hook: without it every request goes through the tiered provider; add callbacks: [{HEADERS_CALLBACK}]",
            file=source,
            key="litellm_settings.callbacks",
        )


def _check_tier_groups(
    router_data: object, source: str, deployments: Mapping[str, Sequence[Mapping[str, Any]]], report: Report
) -> None:
    """On the raw data, so a typo is reported even when the router config has other problems."""
    routers = router_data.get("routers") if isinstance(router_data, Mapping) else None
    groups = sorted(g for g in deployments if not _is_tiered(deployments[g]))
    for r, router in enumerate(routers if isinstance(routers, list) else []):
        tiers = router.get("tiers") if isinstance(router, Mapping) else None
        for i, tier in enumerate(tiers if isinstance(tiers, list) else []):
            model = tier.get("model") if isinstance(tier, Mapping) else None
            if not isinstance(model, str):
                continue
            if tier.get("litellm_params"):
                report.error(f"tier {tier.get('name')!r} has litellm_params, which the proxy ignores: it calls its "
                             f"own model_list; put them in the proxy config's entry of model group {model!r}",
                             file=source, key=f"routers[{r}].tiers[{i}].litellm_params")
            if model not in deployments:
                report.error(
                    f"tier {tier.get('name')!r} names model group {model!r}, which the proxy's model_list lacks"
                    + (_wrapping_group(model, deployments) or did_you_mean(model, groups)),
                    file=source,
                    key=f"routers[{r}].tiers[{i}].model",
                    allowed=groups,
                )
            elif _is_tiered(deployments[model]):
                report.error(
                    f"tier {tier.get('name')!r} names {model!r}, itself a tiered router: a ladder cannot contain one",
                    file=source,
                    key=f"routers[{r}].tiers[{i}].model",
                )


def _is_tiered(deployments: Sequence[Mapping[str, Any]]) -> bool:
    return any(_deployment_model(d).startswith("tiered/") for d in deployments)


def _check_router_semantics(
    file: RouterFile,
    source: str,
    deployments: Mapping[str, Sequence[Mapping[str, Any]]],
    report: Report,
    facts: ModelFacts,
    *,
    standalone: bool,
) -> None:
    for r, router in enumerate(file.routers):
        if standalone:
            for i, tier in enumerate(router.tiers):
                if tier.model not in deployments and not facts.is_known_model(tier.model):
                    report.error(
                        f"tier {tier.name!r} names {tier.model!r}: neither a model_list group of this file nor a "
                        "model LiteLLM knows" + did_you_mean(tier.model, list(deployments))
                        + ("" if deployments else "; if a proxy serves this router, check the proxy's config.yaml, "
                           "whose model_list has the groups"),
                        file=source,
                        key=f"routers[{r}].tiers[{i}].model",
                    )
        judge, names = router.cascade.judge_tier if router.cascade else None, [t.name for t in router.tiers]
        if judge is not None and judge not in names and judge not in deployments and not facts.is_known_model(judge):
            report.error(f"cascade.judge_tier {judge!r} is neither a tier, a model group, nor a model LiteLLM knows: "
                         "every judge call would fail and every answer climb" + did_you_mean(judge, names),
                         file=source, key=f"routers[{r}].cascade.judge_tier", allowed=[*names, *deployments])
        models = [tier.model for tier in router.tiers]
        for i, tier in enumerate(router.tiers):
            if tier.model in models[:i]:
                report.warn(
                    f"tiers {router.tiers[models.index(tier.model)].name!r} and {tier.name!r} both name "
                    f"{tier.model!r}: climbing from one to the other asks the same model again",
                    file=source, key=f"routers[{r}].tiers[{i}].model",
                )
        _check_scorers(router, r, source, deployments, report)
        _check_validators(router, r, source, deployments, report, facts)


def _check_scorers(router: RouterConfig, r: int, source: str, deployments: Mapping[str, Sequence[Mapping[str, Any]]],
                   report: Report) -> None:
    from .scorers import build_scorer  # a learned artifact loads numpy: only when there is a config to check

    for i, scorer in enumerate(router.scorers):
        key = f"routers[{r}].scorers[{i}]"
        try:
            built = build_scorer(scorer, key=key)
        except ConfigError as exc:
            report.error_in(exc, file=source, key=key)
        except RouterExtError as exc:  # e.g. ArtifactError: its message names the artifact file
            report.error(str(exc), file=source, key=f"{key}.params")
        else:
            _check_artifact_ladder(router, scorer.params, getattr(built, "manifest", None), deployments, source,
                                   f"{key}.params", report)


def _check_artifact_ladder(router: RouterConfig, params: Mapping[str, Any], manifest: object,
                           deployments: Mapping[str, Sequence[Mapping[str, Any]]], source: str, key: str,
                           report: Report) -> None:
    """A warning when a learned artifact of the user's was trained on a ladder sharing no model with the router's
    (its tier names, the models their groups serve, with or without a provider prefix): what it predicts is what
    going up *that* ladder gains (the shipped one is meant for any ladder); and when the two climb opposite ways."""
    if "artifact" not in params or not isinstance(manifest, Mapping):
        return
    trained = [str(t) for t in manifest.get("tiers") or ()]
    per_tier = [_model_names([tier.model, *(_deployment_model(d) for d in deployments.get(tier.model, ()))])
                for tier in router.tiers]
    if trained and not _model_names(m for tier in trained for m in tier.split("+")) & set().union(*per_tier):
        report.warn(f"artifact {Path(str(params['artifact'])).name} was trained for the ladder "
                    f"{' -> '.join(trained)}, which shares no model with this router's tiers "
                    f"({' -> '.join(t.model for t in router.tiers)}): it scores what going up that ladder gains; "
                    "train one on this ladder's outcomes (litellm-router collect, then train)", file=source, key=key)
        return

    def position(trained_tier: str) -> int | None:
        names = _model_names(trained_tier.split("+"))
        return next((i for i, tier in enumerate(per_tier) if names & tier), None)

    low, high = (position(trained[0]), position(trained[-1])) if len(trained) >= 2 else (None, None)
    if low is not None and high is not None and high < low:
        report.warn(f"artifact {Path(str(params['artifact'])).name} was trained for the ladder "
                    f"{' -> '.join(trained)}, which climbs the other way from this router's "
                    f"({' -> '.join(t.model for t in router.tiers)}), so one of them is upside down: it would send up "
                    "the prompts going up gains least; both list tiers cheapest first", file=source, key=key)


def _model_names(ids: Iterable[str]) -> set[str]:
    """Each model id as written and without its provider prefix (``openai/gpt-4o`` and ``gpt-4o``)."""
    return {name for model in ids if model for name in (model, model.split("/", 1)[-1])}


def _check_validators(
    router: RouterConfig,
    r: int,
    source: str,
    deployments: Mapping[str, Sequence[Mapping[str, Any]]],
    report: Report,
    facts: ModelFacts,
) -> None:
    if router.cascade is None:
        return
    from .cascade import build_validators  # the cascade is pure; imported late to keep `check` startup light

    def _no_judge(messages: Any) -> str:
        return ""

    try:
        validators = build_validators(router.cascade, ask=_no_judge, key=f"routers[{r}].cascade")
    except ConfigError as exc:
        report.error_in(exc, file=source, key=f"routers[{r}].cascade")
        return
    blind = [v.name for v in validators if not v.can_stream]
    if router.cascade.stream_mode == "early" and blind:
        report.warn(
            f"stream_mode 'early' checks a stream's first tokens, which {', '.join(map(repr, blind))} cannot judge: "
            "streamed answers longer than early_tokens chunks skip them and are reported verified: null; "
            "use stream_mode: buffer to check streams",
            file=source, key=f"routers[{r}].cascade.stream_mode",
        )
    needing = [v.name for v in validators if getattr(v, "needs_logprobs", False)]
    if not needing:
        return
    for i, tier in enumerate(router.tiers[:-1]):  # the top tier's answer is final: nothing to gate
        if not facts.supports_logprobs(tier, deployments.get(tier.model, [])):
            effect = (
                "every answer from it is rejected and escalated"
                if router.cascade.on_missing_logprobs == "fail"
                else "its answers pass unchecked"
            )
            report.error(
                f"validator {needing[0]!r} needs token log-probs, but tier {tier.name!r} ({tier.model}) returns none, "
                f"so {effect}; use a tier that returns log-probs, set supports_logprobs: true if it does, or use "
                "a validator that reads the text",
                file=source,
                key=f"routers[{r}].tiers[{i}]",
            )


def _check_fallbacks(
    settings: object,
    file: RouterFile,
    deployments: Mapping[str, Sequence[Mapping[str, Any]]],
    source: str,
    report: Report,
) -> None:
    if not isinstance(settings, Mapping):
        return
    rank = {t.model: (rc.alias, i) for rc in file.routers for i, t in enumerate(rc.tiers)}
    for kind in ("fallbacks", "context_window_fallbacks", "content_policy_fallbacks"):
        for n, entry in enumerate(settings.get(kind) or []):
            if not isinstance(entry, Mapping):
                continue
            for group, targets in entry.items():
                for target in [group, *(targets if isinstance(targets, list) else [targets])]:
                    if target not in deployments:
                        report.error(
                            f"fallback names model group {target!r}, which model_list lacks"
                            + did_you_mean(str(target), list(deployments)),
                            file=source,
                            key=f"router_settings.{kind}[{n}]",
                        )
                for target in targets if isinstance(targets, list) else [targets]:
                    a, b = rank.get(group), rank.get(target)
                    if a and b and a[0] == b[0] and b[1] > a[1]:
                        report.warn(
                            f"fallback {group!r} -> {target!r} jumps up router {a[0]!r}'s ladder; the router already "
                            "escalates when a tier fails, and records it — this fallback hides the escalation",
                            file=source,
                            key=f"router_settings.{kind}[{n}]",
                        )
