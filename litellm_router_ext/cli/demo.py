"""``litellm-router demo``: route bundled sample prompts through a mock-backed ladder and show each decision.

No keys, no network: every tier answers through LiteLLM's ``mock_response``, so what you see is the real
provider path (``litellm.completion(model="tiered/demo")``) with canned answers.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import click
from rich.table import Table

from .console import make_console
from .errors import user_errors


def _sample_prompts() -> list[str]:
    text = resources.files("litellm_router_ext").joinpath("data/demo_prompts.jsonl").read_text("utf-8")
    return [json.loads(line)["prompt"] for line in text.splitlines() if line.strip()]


@click.command()
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Router config to use instead of the bundled mock ladder (real models: needs keys).",
)
@click.option("--alias", default=None, help="Router alias in --config (default: the first one).")
def demo(config_path: Path | None, alias: str | None) -> None:
    """Route the bundled sample prompts and print each routing decision."""
    from .. import decision_of, install, load_config
    from ..adapters.provider import complete

    with user_errors():
        if config_path is None:
            config_path = Path(str(resources.files("litellm_router_ext").joinpath("data/demo_router.yaml")))
        file = load_config(config_path)
        router_alias = alias or file.routers[0].alias
        file.router(router_alias, str(config_path))
        install(file)
        table = Table(title=f"tiered/{router_alias}: routing decisions")
        for column in ("prompt", "difficulty", "tier", "model", "cause", "decide (us)", "cost (USD)"):
            table.add_column(
                column, no_wrap=column == "prompt", overflow="ellipsis", max_width=44 if column == "prompt" else None
            )
        counts: dict[str, int] = {}
        for prompt in _sample_prompts():
            response = complete(router_alias, [{"role": "user", "content": prompt}])
            d = decision_of(response)
            assert isinstance(d, dict)
            counts[d["tier"]] = counts.get(d["tier"], 0) + 1
            table.add_row(
                prompt,
                f"{d['difficulty']:.3f}",
                d["tier"],
                d["model"],
                d["cause"],
                f"{d['decision_us']:.0f}",
                f"{d['cost_usd']:.6f}",
            )
        console = make_console()
        console.print(table)
        share = ", ".join(f"{tier}: {n}" for tier, n in counts.items())
        console.print(f"tier share: {share}")
