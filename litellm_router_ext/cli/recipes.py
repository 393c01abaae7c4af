"""``litellm-router recipes list | show NAME | install NAME --out DIR``: ready-made ladders for the proxy."""

from __future__ import annotations

from pathlib import Path

import click
from rich.table import Table

from .console import make_console
from .errors import user_errors


@click.group()
def recipes() -> None:
    """Ready-made ladders (OpenAI, Anthropic, Gemini, local model, JSON extraction, multi-provider)."""


@recipes.command("list")
def list_command() -> None:
    """List the recipes."""
    from ..recipes import list_recipes

    with user_errors():
        table = Table(title="recipes")
        for column in ("name", "tiers", "needs", "description"):
            table.add_column(column, overflow="fold")
        for recipe in list_recipes():
            tiers = " -> ".join(t.name for t in recipe.router_file.routers[0].tiers)
            table.add_row(recipe.name, tiers, " ".join(recipe.env_vars()), recipe.description)
        make_console().print(table)


@recipes.command("show")
@click.argument("name")
def show_command(name: str) -> None:
    """Print a recipe file."""
    from ..recipes import recipe_text

    with user_errors():
        click.echo(recipe_text(name), nl=False)


@recipes.command("install")
@click.argument("name")
@click.option(
    "--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path), help="Folder to write to."
)
@click.option("--force", is_flag=True, help="Overwrite existing config.yaml / router.yaml.")
def install_command(name: str, out_dir: Path, force: bool) -> None:
    """Write a proxy config.yaml and router.yaml for NAME into --out, ready for `litellm --config`."""
    from ..recipes import install_recipe

    with user_errors():
        installed = install_recipe(name, out_dir, force=force)
    click.echo(f"wrote {installed.proxy_config}")
    click.echo(f"wrote {installed.router_config}")
    click.echo("\nnext:")
    for var in installed.env_vars:
        click.echo(f"  export {var}=...")
    click.echo(f"  litellm-router check {installed.proxy_config}")
    click.echo(f"  litellm --config {installed.proxy_config} --host 127.0.0.1 --port 4000")
    alias = installed.aliases[0]
    click.echo(
        '  curl -i http://127.0.0.1:4000/v1/chat/completions -H "Authorization: Bearer $LITELLM_MASTER_KEY" '
        f'-H \'Content-Type: application/json\' -d \'{{"model": "{alias}", "messages": '
        '[{"role": "user", "content": "hi"}]}\''
    )
