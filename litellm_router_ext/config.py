"""Typed router configuration, loaded from YAML and validated once.

A router file holds one or more routers plus, optionally, the LiteLLM deployments they use::

    routers:
      - alias: default
        tiers:
          - {name: small, model: gpt-4o-mini}
          - {name: large, model: gpt-4o}
        scorers: [{name: heuristic}]
        thresholds: {large: 0.45}     # or a list, one per tier above the first
    model_list: [...]                 # optional LiteLLM deployments (model_name = a tier's model)
    router_settings: {num_retries: 2} # optional litellm.Router(...) arguments

Every model is frozen and rejects unknown keys; ``load_config`` turns any problem into one
``ConfigError`` naming the file, key path, bad value and allowed values.
"""

from __future__ import annotations

import copy
import numbers
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar, get_args

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictFloat,
    StrictInt,
    ValidationError,
    field_validator,
    model_validator,
)

from .errors import ConfigError, did_you_mean


def _whole(value: object) -> object:
    """A count may be written 900.0, or come as numpy's int64; a bool, a string or 900.5 stays refused."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return int(value)
    return value


WholeInt = Annotated[StrictInt, BeforeValidator(_whole)]
"""A number of things or seconds: an int, or a float with nothing after the point; never "900" or true."""

BUILTIN_SCORERS = ("heuristic", "learned", "litellm-heuristic")
MAX_MONITOR_WINDOW_S = 4 * 3600  # shared (Redis) counters expire after this, so no window may be longer
BUILTIN_VALIDATORS = (
    "json",
    "schema",
    "tool_args",
    "format",
    "refusal",
    "arithmetic",
    "logprob",
    "agreement",
    "judge",
    "custom",
)


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Price(_Frozen):
    """USD per million tokens; overrides LiteLLM's price map for a tier."""

    input_usd_per_mtok: StrictFloat = Field(ge=0, description="USD per million prompt tokens")
    output_usd_per_mtok: StrictFloat = Field(ge=0, description="USD per million completion tokens")


class TierConfig(_Frozen):
    """One rung of the ladder: a LiteLLM model group (or plain model string) and what it can serve."""

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.\-]+$", description="Tier name used in overrides")
    model: str = Field(min_length=1, description="LiteLLM model group in model_list, or a LiteLLM model string")
    litellm_params: dict[str, Any] = Field(
        default_factory=dict, description="Extra litellm params when `model` is not a model_list group"
    )
    price: Price | None = Field(default=None, description="Price override; default: LiteLLM's price map")
    max_context_tokens: WholeInt | None = Field(
        default=None, gt=0, description="Context window; default: LiteLLM's model map, else unlimited"
    )
    supports_tools: bool | None = Field(default=None, description="Can call tools; default: LiteLLM's map")
    supports_vision: bool | None = Field(default=None, description="Accepts images; default: LiteLLM's map")
    supports_logprobs: bool | None = Field(default=None, description="Returns token log-probs when asked")


class ScorerConfig(_Frozen):
    """A difficulty scorer: a built-in by name, or a user class/factory by dotted path."""

    name: str = Field(description=f"One of {', '.join(BUILTIN_SCORERS)}, or 'custom' with `path`")
    path: str | None = Field(default=None, description="Dotted path 'package.module:Factory' for name=custom")
    weight: StrictFloat = Field(default=1.0, gt=0, description="Weight in the weighted mean of scorer outputs")
    params: dict[str, Any] = Field(default_factory=dict, description="Keyword arguments for the scorer")

    @model_validator(mode="after")
    def _known(self) -> ScorerConfig:
        if self.name == "custom":
            if not self.path:
                raise ValueError("scorer 'custom' needs `path: package.module:Factory`")
        elif self.name not in BUILTIN_SCORERS:
            names = (*BUILTIN_SCORERS, "custom")
            raise ValueError(
                f"unknown scorer {self.name!r}{did_you_mean(self.name, names)}; allowed: {', '.join(names)}"
            )
        return self


class ValidatorConfig(_Frozen):
    """One answer check in a cascade; ``params`` are validated by the validator itself."""

    name: str = Field(description=f"One of {', '.join(BUILTIN_VALIDATORS)}")
    path: str | None = Field(default=None, description="Dotted path of a callable, for name=custom")
    weight: StrictFloat = Field(default=1.0, gt=0, description="Weight when combine=weighted")
    params: dict[str, Any] = Field(default_factory=dict, description="Validator settings")

    @model_validator(mode="after")
    def _known(self) -> ValidatorConfig:
        if self.name not in BUILTIN_VALIDATORS:
            raise ValueError(
                f"unknown validator {self.name!r}{did_you_mean(self.name, BUILTIN_VALIDATORS)}; "
                f"allowed: {', '.join(BUILTIN_VALIDATORS)}"
            )
        if self.name == "custom" and not self.path:
            raise ValueError("validator 'custom' needs `path: package.module:function`")
        return self


class CascadeConfig(_Frozen):
    """Confidence-gated escalation: check each tier's answer, go one tier up when the check fails."""

    validators: tuple[ValidatorConfig, ...] = Field(min_length=1, description="Checks run on every answer")
    combine: Literal["all", "any", "weighted"] = Field(default="all", description="How verdicts combine")
    threshold: StrictFloat = Field(default=0.5, ge=0, le=1, description="Accept when weighted score >= this")
    max_escalations: WholeInt = Field(default=3, ge=0, description="Escalations allowed per request")
    budget_usd: StrictFloat | None = Field(
        default=None, gt=0, description="Per-request spend cap: all attempts plus the judge calls made before each"
    )
    stream_mode: Literal["buffer", "early"] = Field(default="buffer", description="How streamed answers are checked")
    early_tokens: WholeInt = Field(default=32, gt=0, description="Prefix length checked in early mode")
    on_missing_logprobs: Literal["skip", "fail"] = Field(
        default="skip", description="Log-prob check on a tier that returns none: skip it or fail it"
    )
    validator_timeout_s: StrictFloat = Field(default=10.0, gt=0, description="Time limit per validator call")
    judge_tier: str | None = Field(default=None, description="Tier name (or model) that runs judge checks")


class MonitorConfig(_Frozen):
    """The escalation monitor: rolling escalation rate and bottom-tier share, with an alert band."""

    escalation_band: tuple[StrictFloat, StrictFloat] | None = Field(
        default=None, description="Expected [low, high] escalation rate; outside it a warning is logged"
    )
    bottom_share_band: tuple[StrictFloat, StrictFloat] | None = Field(
        default=None, description="Expected [low, high] share of requests answered by the bottom tier"
    )
    window_s: WholeInt = Field(default=900, gt=0, le=MAX_MONITOR_WINDOW_S,
                               description="Rolling window in seconds (at most 4 h: shared counters expire after that)")
    bucket_s: WholeInt = Field(default=60, gt=0, description="Counter bucket size in seconds")
    min_requests: WholeInt = Field(default=50, ge=1, description="No alert before this many requests in the window")

    @field_validator("escalation_band", "bottom_share_band")
    @classmethod
    def _ordered_band(cls, band: tuple[float, float] | None) -> tuple[float, float] | None:
        if band is not None and not 0.0 <= band[0] <= band[1] <= 1.0:
            raise ValueError(f"a band must be [low, high] with 0 <= low <= high <= 1; got {list(band)}")
        return band


class StateConfig(_Frozen):
    """Where routing state lives: this process (default) or Redis, shared by every proxy instance."""

    backend: Literal["memory", "redis"] = Field(default="memory", description="memory or redis")
    redis: dict[str, Any] = Field(
        default_factory=dict,
        description="Redis settings as LiteLLM takes them (host, port, password, url; os.environ/NAME allowed); "
        "empty means LiteLLM's REDIS_URL / REDIS_HOST / REDIS_PORT / REDIS_PASSWORD environment variables",
    )
    key_prefix: str = Field(default="litellm_router_ext", min_length=1, description="Prefix of every Redis key")
    retry_after_s: StrictFloat = Field(default=5.0, gt=0, description="After a Redis error, use local state this long")
    flush_s: StrictFloat = Field(
        default=0.25, ge=0, le=60,
        description="Counts and conversation tiers reach Redis from a background writer within this many seconds "
        "(0: written on the request path, one Redis round trip each)",
    )


class RouterConfig(_Frozen):
    """A named router: a ladder of tiers, how difficulty is scored, and where it is cut."""

    alias: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.\-]+$", description="Called as tiered/<alias>")
    tiers: tuple[TierConfig, ...] = Field(min_length=2, description="Cheapest first; 2 or more")
    scorers: tuple[ScorerConfig, ...] = Field(
        default=(ScorerConfig(name="heuristic"),), min_length=1, description="Difficulty scorers"
    )
    thresholds: tuple[StrictFloat, ...] = Field(  # a number, not "0.3" (YAML quotes make a string)
        description="Minimum difficulty of each tier above the first: a list, or {tier_name: value}"
    )
    sticky: bool = Field(default=True, description="A follow-up never drops below the tier its conversation reached")
    cascade: CascadeConfig | None = Field(default=None, description="Answer checks and escalation; off when absent")
    monitor: MonitorConfig = Field(default_factory=MonitorConfig, description="Escalation-rate monitor")
    retry_before_escalating: bool = Field(
        default=False,
        description="A tier that fails at the provider while a tier above can take the request: false (default) "
        "moves up at once, with LiteLLM's num_retries set to 0 for that attempt (the next tier is the retry; a dead "
        "server costs milliseconds, not LiteLLM's back-off of seconds per retry); true keeps LiteLLM's retries on "
        "every tier. The top tier always keeps them.",
    )
    dispatch: Literal["provider", "precall"] = Field(
        default="provider",
        description="In the LiteLLM proxy: 'provider' runs every attempt through the tiered provider; 'precall' "
        "picks the tier in a pre-call hook and lets the proxy call it directly (one LiteLLM trip, provider outages "
        "escalate through per-request LiteLLM fallbacks). With a cascade, 'precall' checks the answer after the "
        "proxy's call and climbs only when it fails; a stream still runs through the provider.",
    )

    @field_validator("thresholds", mode="before")
    @classmethod
    def _thresholds_by_name(cls, value: object, info: Any) -> object:
        if not isinstance(value, Mapping):
            return value
        tiers = info.data.get("tiers")
        if tiers is None:
            return value
        names = [t.name for t in tiers[1:]]
        unknown = [k for k in value if k not in names]
        if unknown:
            raise ValueError(f"unknown tier name {unknown[0]!r} in thresholds; allowed: {', '.join(names)}")
        missing = [n for n in names if n not in value]
        if missing:
            raise ValueError(f"thresholds has no value for tier {missing[0]!r}; give one per tier above the first")
        return tuple(value[n] for n in names)

    @model_validator(mode="after")
    def _ladder_is_consistent(self) -> RouterConfig:
        names = [t.name for t in self.tiers]
        if len(set(names)) != len(names):
            dup = next(n for n in names if names.count(n) > 1)
            raise ValueError(f"tier name {dup!r} is used twice; tier names must be unique")
        if len(self.thresholds) != len(self.tiers) - 1:
            raise ValueError(
                f"thresholds needs {len(self.tiers) - 1} value(s), one per tier above the first "
                f"({', '.join(names[1:])}); got {len(self.thresholds)}"
            )
        if any(not 0.0 <= t <= 1.0 for t in self.thresholds):
            raise ValueError(f"thresholds must lie in [0, 1]; got {list(self.thresholds)}")
        if any(b <= a for a, b in zip(self.thresholds, self.thresholds[1:], strict=False)):
            raise ValueError(f"thresholds must be strictly increasing up the ladder; got {list(self.thresholds)}")
        # cascade.judge_tier may also name a model group or a LiteLLM model: checked where the Router is known
        return self

    def tier_index(self, name_or_index: str | int) -> int:
        """Index of a tier given by name or position; ``ConfigError`` when it names none."""
        names = [t.name for t in self.tiers]
        if isinstance(name_or_index, int) and not isinstance(name_or_index, bool):
            if 0 <= name_or_index < len(names):
                return name_or_index
        elif isinstance(name_or_index, str):
            if name_or_index in names:
                return names.index(name_or_index)
            if name_or_index.isdigit() and int(name_or_index) < len(names):
                return int(name_or_index)
        raise ConfigError(
            f"router '{self.alias}' has no tier {name_or_index!r}", key="tier", allowed=[*names, *range(len(names))]
        )


class RouterFile(_Frozen):
    """The top level of a router config file."""

    routers: tuple[RouterConfig, ...] = Field(min_length=1, description="Routers, each called tiered/<alias>")
    model_list: tuple[dict[str, Any], ...] = Field(default=(), description="LiteLLM deployments (Router model_list)")
    router_settings: dict[str, Any] = Field(default_factory=dict, description="Extra litellm.Router(...) arguments")
    state: StateConfig = Field(default_factory=StateConfig, description="Shared state backend (memory or redis)")

    @model_validator(mode="after")
    def _unique_aliases(self) -> RouterFile:
        aliases = [r.alias for r in self.routers]
        if len(set(aliases)) != len(aliases):
            raise ValueError("router aliases must be unique")
        return self

    def router(self, alias: str, file: str | None = None) -> RouterConfig:
        """The router ``alias``; ``file``: where this config was read from, for the error when there is none."""
        for r in self.routers:
            if r.alias == alias:
                return r
        raise ConfigError(f"no router '{alias}'", file=file, key="routers", allowed=[r.alias for r in self.routers])


# ---------------------------------------------------------------------------------------------- loading


def _key_path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part not in ("function-after", "function-before") and not str(part).startswith("function-"):
            out += f".{part}" if out else str(part)
    return out


def _value_at(data: object, loc: tuple[int | str, ...]) -> object:
    for part in loc:
        try:
            data = data[part]  # type: ignore[index]
        except (KeyError, IndexError, TypeError):
            break
    return data


def _known_keys(loc: tuple[int | str, ...]) -> list[str] | None:
    """The keys of the config model at ``loc`` (list positions skipped), or None where the path leaves the models."""
    model: type[BaseModel] | None = RouterFile
    for part in loc:
        if isinstance(part, int) or str(part).startswith("function-"):
            continue
        field = model.model_fields.get(part) if model is not None else None
        model = _nested_model(field.annotation) if field is not None else None
    return sorted(model.model_fields) if model is not None else None


def _nested_model(annotation: object) -> type[BaseModel] | None:
    """The config model in a field's type: ``X``, ``X | None`` or ``tuple[X, ...]``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return next((m for m in map(_nested_model, get_args(annotation)) if m is not None), None)


def _config_error(exc: ValidationError, data: object, source: str) -> ConfigError:
    # A misspelt key shows up twice (unknown key + missing field): the unknown key is the one to report.
    errors = sorted(exc.errors(), key=lambda e: e["type"] != "extra_forbidden")
    first = errors[0]
    loc = tuple(first["loc"])
    message = first["msg"].removeprefix("Value error, ")
    named = re.match(r"[a-z_]+", message)
    if first["type"] == "value_error" and named and named[0] in (_known_keys(loc) or ()):
        loc = (*loc, named[0])  # a whole-router check whose message starts with the key it is about
    allowed = None  # a bad choice's message ("Input should be 'all', 'any' or 'weighted'") already lists them
    if first["type"] == "extra_forbidden":
        model_keys = _known_keys(loc[:-1])
        message = f"unknown key {loc[-1]!r}" + _unknown_key_hint(loc, model_keys, data)
        allowed = model_keys
    value = first.get("input") if first["type"] != "missing" else None
    if isinstance(value, Mapping | list):
        value = None  # whole sub-objects make unreadable messages (a misspelt 'routers' held them all)
    others = [e for e in errors[1:] if not _side_effect(e, errors)]
    more = f" (and {len(others)} more problem(s))" if others else ""
    return ConfigError(message + more, file=source, key=_key_path(loc) or None, value=value, allowed=allowed)


def _unknown_key_hint(loc: tuple[int | str, ...], model_keys: list[str] | None, data: object) -> str:
    """The allowed key an unknown one is closest to; else, in a validator or scorer, that its settings go under
    ``params``; else to check the spelling."""
    key = str(loc[-1])
    close = did_you_mean(key, model_keys or ())
    kind = {"validators": "validator", "scorers": "scorer"}.get(str(loc[-3])) if len(loc) >= 3 else None
    if close or kind is None:
        return close or "; check its spelling"
    item = _value_at(data, loc[:-1])
    name = item.get("name", "...") if isinstance(item, Mapping) else "..."
    return f"; a {kind}'s own settings go under `params:`, as in {{name: {name}, params: {{{key}: ...}}}}"


def _side_effect(error: Mapping[str, Any], errors: Sequence[Mapping[str, Any]]) -> bool:
    """An error another one causes: a list too short because its bad item was dropped, the missing key a
    misspelt one should have been, or ``{tier: value}`` thresholds that cannot be read while the tiers are bad."""
    loc = tuple(error["loc"])
    if loc[-1:] == ("thresholds",) and error["type"] != "missing" and isinstance(error.get("input"), Mapping):
        tiers = (*loc[:-1], "tiers")
        return any(tuple(e["loc"][: len(tiers)]) == tiers for e in errors)
    if error["type"] == "too_short":
        return any(len(e["loc"]) > len(loc) and tuple(e["loc"][: len(loc)]) == loc for e in errors if e is not error)
    if error["type"] == "missing":
        return any(e["type"] == "extra_forbidden" and tuple(e["loc"][:-1]) == loc[:-1] for e in errors)
    return False


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader, reading floats as YAML 1.2 does: ``1e-3`` and ``5e-05`` are numbers, not the
    strings YAML 1.1 makes of exponents without a dot (a budget written ``1e-3`` was refused as text)."""


_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9_]+)[eE][-+]?[0-9]+$"),
    list("-+0123456789."),
)


def _reject_aliases(text: str, source: str) -> None:
    """YAML anchors/aliases can expand exponentially ("billion laughs"); router configs never need them."""
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, yaml.AliasEvent):
            line = event.start_mark.line + 1 if event.start_mark else None
            raise ConfigError(
                "YAML aliases (*name) are not allowed in router configs; write the value out", file=source, line=line
            )


def yaml_child(node: yaml.Node | None, key: str) -> yaml.Node | None:
    """The value node under ``key`` of a composed YAML mapping (for edits that keep the file's own text)."""
    if not isinstance(node, yaml.MappingNode):
        return None
    return next((v for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == key), None)


def parse_yaml(text: str, source: str = "<string>") -> Any:
    """Safe-load YAML; syntax errors and alias use become ``ConfigError`` with the line number."""
    try:
        _reject_aliases(text, source)
        return yaml.load(text, Loader=_Loader)  # a SafeLoader subclass: no arbitrary objects
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"YAML syntax error: {problem}", file=source, line=line) from None


def parse_config(data: object, source: str = "<config>") -> RouterFile:
    """Validate already-parsed data (a dict with ``routers``, or one router's dict)."""
    data = _as_file(data, source)
    try:
        file = RouterFile.model_validate(data)
    except ValidationError as exc:
        raise _config_error(exc, data, source) from None
    for problem in deployment_problems(file, source):
        raise problem
    return file


def deployment_problems(file: RouterFile, source: str = "<config>") -> list[ConfigError]:
    """What LiteLLM would trip over, or silently ignore, in the deployments a file lists.

    A ``model_list`` entry needs a ``model_name`` and ``litellm_params.model`` (LiteLLM's Router raised a bare
    ``KeyError`` or pydantic error naming neither file nor entry). A tier whose model is a ``model_list`` group
    calls that group's deployments, so params of its own would be ignored.
    """
    problems = [p for i, entry in enumerate(file.model_list) if (p := deployment_entry_problem(entry, i, source))]
    groups = {entry.get("model_name") for entry in file.model_list}
    for r, router in enumerate(file.routers):
        for i, tier in enumerate(router.tiers):
            if tier.model in groups and tier.litellm_params:
                problems.append(ConfigError(
                    f"tier {tier.name!r} calls model_list group {tier.model!r}, whose own litellm_params LiteLLM "
                    "uses, so these would be ignored; move them into that model_list entry, or remove them",
                    file=source, key=f"routers[{r}].tiers[{i}].litellm_params"))
    return problems


def deployment_entry_problem(entry: object, i: int, source: str) -> ConfigError | None:
    """Why ``model_list[i]`` (a router config's or a proxy config's) is no deployment LiteLLM can build, or None."""
    if not isinstance(entry, Mapping) or not isinstance(entry.get("model_name"), str) or not entry["model_name"]:
        return ConfigError("each deployment needs a model_name, the group name tiers call", file=source,
                           key=f"model_list[{i}].model_name")
    params = entry.get("litellm_params")
    if not isinstance(params, Mapping) or not isinstance(params.get("model"), str) or not params["model"]:
        return ConfigError("each deployment needs litellm_params.model, the LiteLLM model string it calls "
                           "(e.g. openai/gpt-4o-mini)", file=source, key=f"model_list[{i}].litellm_params.model")
    return None


def shared_model_problems(file: RouterFile, source: str = "<config>") -> list[ConfigError]:
    """Tiers that would share a deployment built from their params (``install`` builds one per tier model outside
    the ``model_list``, and LiteLLM keeps one per name): two tiers calling one model with different params would
    send one tier's requests to the other's server, with its key. Only where tiers get deployments built for them:
    under a given Router (yours, the proxy's) a tier's params are an error of their own."""
    problems: list[ConfigError] = []
    groups = {entry.get("model_name") for entry in file.model_list}
    first: dict[str, tuple[str, TierConfig]] = {}  # model -> the first tier calling it, and where it is
    for r, router in enumerate(file.routers):
        for i, tier in enumerate(router.tiers):
            if tier.model in groups:
                continue
            at = f"routers[{r}].tiers[{i}]"
            where, other = first.setdefault(tier.model, (at, tier))
            if other.litellm_params != tier.litellm_params:
                # named at a tier that has params (the other may have none: its key would not exist)
                (key, named), (other_at, unnamed) = ((at, tier), (where, other)) if tier.litellm_params else \
                    ((where, other), (at, tier))
                problems.append(ConfigError(
                    f"this tier ({named.name!r}) and tier {unnamed.name!r} at {other_at} both call {tier.model!r} "
                    "with different litellm_params, but LiteLLM keeps one deployment per model name, so one tier would "
                    "be sent to the other's deployment; give each its own model_list entry with a distinct "
                    f"model_name (e.g. '{tier.model.rsplit('/')[-1]}-{named.name}') and name that group as the "
                    "tier's model", file=source, key=f"{key}.litellm_params"))
    return problems


def _as_file(data: object, source: str) -> Mapping[str, Any]:
    """One router's dict as a file of one router; ``ConfigError`` for data that is no mapping."""
    if isinstance(data, Mapping) and "alias" in data and "routers" not in data:
        data = {"routers": [dict(data)]}
    if not isinstance(data, Mapping):
        raise ConfigError(
            "a router config must be a mapping with a 'routers' list", file=source, value=type(data).__name__
        )
    return data


def config_problems(data: object, source: str = "<config>") -> tuple[RouterFile | None, list[ConfigError]]:
    """Every problem ``parse_config`` would stop at, as far as one run can see them: all misspelt keys (each is
    reported, left out, and the rest validated again), then the first other problem. The file is what parses
    once the misspelt keys are left out (so its deeper checks can run too), or None."""
    try:
        current = copy.deepcopy(dict(_as_file(data, source)))
    except ConfigError as exc:
        return None, [exc]
    problems: list[ConfigError] = []
    while True:
        try:
            file = RouterFile.model_validate(current)
            return file, [*problems, *deployment_problems(file, source)]
        except ValidationError as exc:
            problems.append(_config_error(exc, current, source))
            extra = next((tuple(e["loc"]) for e in exc.errors() if e["type"] == "extra_forbidden"), None)
            parent = _value_at(current, extra[:-1]) if extra else None
            # the very key pydantic named (a path string would split a key such as 'cascade.combine')
            if extra is None or not isinstance(parent, dict) or extra[-1] not in parent:
                return None, problems
            del parent[extra[-1]]


def load_config(path: str | Path) -> RouterFile:
    """Read and validate a router config file."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError("file not found; pass the path of a router config YAML", file=str(p)) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"not UTF-8 text ({exc.reason} at byte {exc.start})", file=str(p)) from None
    return parse_config(anchor_scorer_paths(parse_yaml(text, str(p)), p.parent), str(p))


# the file-path param of each built-in scorer that reads a file
_SCORER_FILE_PARAMS = {"learned": "artifact", "litellm-heuristic": "rules"}


_Data = TypeVar("_Data")


def router_entries(data: object) -> list[Any]:
    """The router entries of a parsed, not yet validated, config: its ``routers:`` list, or the document itself (a
    file of one router); the entries themselves, so an edit to one is an edit to ``data``."""
    routers = data.get("routers") if isinstance(data, Mapping) and "routers" in data else [data]
    return routers if isinstance(routers, list) else []


def anchor_scorer_paths(data: _Data, base: Path) -> _Data:
    """Relative scorer file paths (``learned`` artifact, ``litellm-heuristic`` rules) name files beside the
    config, whatever directory a proxy runs in."""
    for router in router_entries(data):
        scorers = router.get("scorers") if isinstance(router, Mapping) else None
        for scorer in scorers if isinstance(scorers, list) else []:
            key = _SCORER_FILE_PARAMS.get(str(scorer.get("name"))) if isinstance(scorer, dict) else None
            params = scorer.get("params") if isinstance(scorer, dict) else None
            path = params.get(key) if isinstance(params, dict) and key else None
            if isinstance(params, dict) and key and isinstance(path, str) and not Path(path).expanduser().is_absolute():
                params[key] = str(base / path)
    return data
