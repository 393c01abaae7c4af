"""The ``litellm-router`` command: a thin click layer over the library, rendered with rich.

Each command lives in its own module; user mistakes (``RouterExtError``) become one clean message
and exit status 1, never a traceback.
"""

from __future__ import annotations

import os

# Offline by default: without this every LiteLLM import tries to fetch the price map for ~20 s.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

import click

from .check import check
from .collect import collect
from .demo import demo
from .design import design_command
from .evaluate import calibrate_command, eval_command, gate_command
from .recipes import recipes
from .train import train


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="litellm-router-ext")
def main() -> None:
    """Difficulty-based tier routing and confidence-gated escalation for LiteLLM."""


main.add_command(demo)
main.add_command(eval_command)
main.add_command(calibrate_command)
main.add_command(gate_command)
main.add_command(recipes)
main.add_command(check)
main.add_command(design_command)
main.add_command(train)
main.add_command(collect)
