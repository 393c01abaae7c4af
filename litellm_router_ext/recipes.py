"""Recipes: complete, ready-to-run ladders for the LiteLLM proxy (``litellm-router recipes ...``).

A recipe is one YAML file in ``litellm_router_ext/data/recipes/`` (also reachable as ``recipes/`` in a
checkout) with a ``proxy`` part (the LiteLLM deployments and router settings) and a ``router`` part (the
router config). ``install_recipe`` writes both as files ``litellm --config`` can start from: config.yaml
(with the ``tiered`` provider and header callback wired in, and keys as ``os.environ/NAME``) and
router.yaml beside it. Nothing here imports LiteLLM.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .config import RouterFile, parse_config, parse_yaml, yaml_child
from .errors import ConfigError

PROVIDER_HANDLER = "litellm_router_ext.proxy.tiered_provider"
HEADERS_CALLBACK = "litellm_router_ext.proxy.router_headers"
PROXY_FILE = "config.yaml"
ROUTER_FILE = "router.yaml"
_ENV_REF = re.compile(r"^os\.environ/([A-Za-z_][A-Za-z0-9_]*)$")


class ProxyPart(BaseModel):
    """The LiteLLM side of a recipe: deployments (one model group per tier, plus backups) and settings."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    model_list: tuple[dict[str, Any], ...] = Field(min_length=1, description="LiteLLM deployments")
    router_settings: dict[str, Any] = Field(default_factory=dict, description="Proxy router_settings")
    litellm_settings: dict[str, Any] = Field(default_factory=dict, description="Extra litellm_settings")


class Recipe(BaseModel):
    """One recipe file."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9\-]*$", description="Name used on the command line")
    description: str = Field(min_length=1, description="One line: the ladder and what gates escalation")
    proxy: ProxyPart
    router: dict[str, Any] = Field(description="A router config (routers: [...]) whose tiers name proxy groups")

    @property
    def router_file(self) -> RouterFile:
        return parse_config(self.router, f"recipe {self.name}: router")

    @property
    def aliases(self) -> list[str]:
        return [r.alias for r in self.router_file.routers]

    def env_vars(self) -> list[str]:
        """Environment variables the installed config reads (``os.environ/NAME`` values), sorted."""
        return sorted({*env_refs(self.proxy.model_dump()), *env_refs(self.router)})


def env_refs(data: object) -> Iterator[str]:
    """Every NAME in an ``os.environ/NAME`` string anywhere inside ``data``."""
    for _, value in walk(data):
        if isinstance(value, str) and (m := _ENV_REF.match(value.strip())):
            yield m.group(1)


def unset_env(data: object, env: Mapping[str, str]) -> list[tuple[str, str]]:
    """(key path, NAME) of every ``os.environ/NAME`` in ``data`` whose variable is unset or empty in ``env``."""
    return [(key, name) for key, value in walk(data) for name in env_refs(value) if not env.get(name)]


def walk(data: object, path: str = "") -> Iterator[tuple[str, object]]:
    """(key path, value) of every leaf in nested dicts/lists, paths like ``model_list[0].litellm_params.api_key``."""
    if isinstance(data, Mapping):
        for key, value in data.items():
            yield from walk(value, f"{path}.{key}" if path else str(key))
    elif isinstance(data, list | tuple):
        for i, value in enumerate(data):
            yield from walk(value, f"{path}[{i}]")
    else:
        yield path, data


def _recipe_dir() -> Any:
    return resources.files("litellm_router_ext").joinpath("data/recipes")


def recipe_names() -> list[str]:
    return sorted(p.name.removesuffix(".yaml") for p in _recipe_dir().iterdir() if p.name.endswith(".yaml"))


def recipe_text(name: str) -> str:
    """The recipe file as shipped (comments included)."""
    if name not in recipe_names():
        raise ConfigError(
            f"no recipe named {name!r}; run `litellm-router recipes list`", key="NAME", file="command line",
            allowed=recipe_names()
        )
    return str(_recipe_dir().joinpath(f"{name}.yaml").read_text("utf-8"))


def load_recipe(name: str) -> Recipe:
    """Parse and validate a shipped recipe (its router part too)."""
    source = f"recipes/{name}.yaml"
    data = parse_yaml(recipe_text(name), source)
    try:
        recipe = Recipe.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(p) for p in first["loc"])
        raise ConfigError(first["msg"], file=source, key=key or None) from None
    parse_config(recipe.router, source)
    return recipe


def list_recipes() -> list[Recipe]:
    return [load_recipe(n) for n in recipe_names()]


def proxy_config(recipe: Recipe) -> dict[str, Any]:
    """The proxy config.yaml content: the recipe's deployments, one entry per router alias, and the hooks."""
    model_list = [dict(d) for d in recipe.proxy.model_list]
    groups = {d.get("model_name") for d in model_list}
    for alias in recipe.aliases:
        if alias not in groups:  # clients may call model=<alias> as well as model=tiered/<alias>
            model_list.append({"model_name": alias, "litellm_params": {"model": f"tiered/{alias}"}})
    litellm_settings = {
        **recipe.proxy.litellm_settings,
        "custom_provider_map": [{"provider": "tiered", "custom_handler": PROVIDER_HANDLER}],
        "callbacks": [HEADERS_CALLBACK],
    }
    return {
        "model_list": model_list,
        "router_settings": dict(recipe.proxy.router_settings),
        "litellm_settings": litellm_settings,
        "general_settings": {"master_key": "os.environ/LITELLM_MASTER_KEY"},
    }


@dataclass(frozen=True, slots=True)
class Installed:
    """What ``install_recipe`` wrote and what the user must set before starting the proxy."""

    proxy_config: Path
    router_config: Path
    env_vars: tuple[str, ...]
    aliases: tuple[str, ...]


def _dump(data: Mapping[str, Any]) -> str:
    return yaml.safe_dump(dict(data), sort_keys=False, default_flow_style=False, width=110)


def _leading_comments(text: str) -> str:
    """The comment lines a recipe file opens with: what the ladder is for and how to start its servers."""
    lines = []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        lines.append(line + "\n")
    return "".join(lines)


def _block_text(text: str, node: yaml.Node | None) -> str | None:
    """The source lines of a block collection ``node``, comments included, dedented; None for flow style."""
    if not isinstance(node, yaml.MappingNode | yaml.SequenceNode) or node.flow_style:
        return None
    start = text.rfind("\n", 0, node.start_mark.index) + 1
    end = text.find("\n", _last_index(node))  # to the end of its last value's line: a comment there stays
    return textwrap.dedent(text[start : end if end >= 0 else len(text)]).rstrip() + "\n"


def _last_index(node: yaml.Node) -> int:
    """Where ``node``'s last value ends (a block's own end mark is the next token's start, past any comments
    that belong to the next section)."""
    if isinstance(node, yaml.SequenceNode | yaml.MappingNode) and not node.flow_style and node.value:
        last = node.value[-1]
        return _last_index(last[1] if isinstance(last, tuple) else last)
    return int(node.end_mark.index)


def _section(key: str, source: str | None, extra: object = None) -> str:
    """``key:`` over the recipe's own lines (``source``) plus ``extra`` items, or dumped when it has no source."""
    if source is None:
        return _dump({key: extra})
    tail = "" if not extra else yaml.safe_dump(extra, sort_keys=False, default_flow_style=False, width=110)
    return f"{key}:\n" + textwrap.indent(source + tail, "  ")


def _with_comments(text: str, sections: Mapping[str, str], expected: Mapping[str, Any]) -> str:
    """The sections joined, if they mean exactly ``expected``; else ``expected`` as plain YAML."""
    joined = "".join(sections.values())
    try:
        same = yaml.safe_load(joined) == dict(expected)
    except yaml.YAMLError:
        same = False
    return joined if same else _dump(expected)


def install_recipe(name: str, out_dir: str | Path, *, force: bool = False) -> Installed:
    """Write config.yaml and router.yaml for ``name`` into ``out_dir``; refuse to overwrite unless ``force``.

    Both files keep the recipe's comments where its own lines are copied (the router part, the deployments
    and settings); what is added (alias entries, the provider and header hooks) is plain YAML.
    """
    recipe = load_recipe(name)
    out = Path(out_dir)
    proxy_path, router_path = out / PROXY_FILE, out / ROUTER_FILE
    for path in (proxy_path, router_path):
        if path.exists() and not force:
            raise ConfigError("already exists; pass --force to overwrite it, or choose another --out", file=str(path))
    out.mkdir(parents=True, exist_ok=True)
    text = recipe_text(name)
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    proxy_node = yaml_child(root, "proxy")
    proxy = proxy_config(recipe)
    own = recipe.proxy.model_dump()
    proxy_text = _with_comments(text, {
        "model_list": _section("model_list", _block_text(text, yaml_child(proxy_node, "model_list")),
                               proxy["model_list"][len(own["model_list"]):]),
        "router_settings": _section("router_settings", _block_text(text, yaml_child(proxy_node, "router_settings")),
                                    {} if own["router_settings"] else proxy["router_settings"]),
        "litellm_settings": _section(
            "litellm_settings", _block_text(text, yaml_child(proxy_node, "litellm_settings")),
            {k: v for k, v in proxy["litellm_settings"].items() if k not in own["litellm_settings"]},
        ),
        "general_settings": _dump({"general_settings": proxy["general_settings"]}),
    }, proxy)
    router_source = _block_text(text, yaml_child(root, "router"))
    router_text = router_source if router_source is not None else _dump(recipe.router)
    router_text = _with_comments(text, {"router": router_text}, recipe.router)
    env = ("LITELLM_MASTER_KEY", *recipe.env_vars())
    about = _leading_comments(text)
    header = (
        f"# LiteLLM proxy config from `litellm-router recipes install {name}`: {recipe.description}\n"
        f"# Needs: {' '.join(env)}\n"
        f"# Start: litellm --config {PROXY_FILE}   (reads {ROUTER_FILE} from this folder;\n"
        "#        or set LITELLM_ROUTER_EXT_CONFIG=/path/to/router.yaml)\n"
        f"# Call:  model={' or '.join(f'{a} / tiered/{a}' for a in recipe.aliases)}\n"
    )
    proxy_path.write_text(header + about + proxy_text, encoding="utf-8")
    router_header = (f"# Router config for `{name}`; its tiers name model groups of {PROXY_FILE}'s model_list "
                     f"(the recipe's notes are at the top of {PROXY_FILE}).\n")
    router_path.write_text(router_header + router_text, encoding="utf-8")
    return Installed(proxy_path, router_path, env, tuple(recipe.aliases))
