"""``litellm-router check CONFIG``: one line per problem in a proxy or router config; exit 1 on any error."""

from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.argument("config", type=click.Path(dir_okay=False, path_type=Path))
def check(config: Path) -> None:
    """Check a proxy config.yaml (and the router.yaml it loads) or a router config, without starting anything."""
    from ..adapters.proxy import litellm_facts
    from ..check import check_config

    report = check_config(config, facts=litellm_facts())
    for problem in report.problems:
        mark = "error" if problem.severity == "error" else "warning"
        click.echo(f"{mark}: {problem.message}", err=True)
    errors = sum(p.severity == "error" for p in report.problems)
    if errors:
        raise click.ClickException(f"{errors} problem(s) in {', '.join(report.checked)}")
    click.echo(f"ok: {', '.join(report.checked)}")
