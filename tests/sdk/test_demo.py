"""The demo command routes the bundled prompts through litellm.completion(model="tiered/demo")."""

from __future__ import annotations

from click.testing import CliRunner

import litellm_router_ext as lre
from litellm_router_ext.cli import main


def test_demo_routes_easy_prompts_low_and_hard_prompts_high() -> None:
    try:
        result = CliRunner().invoke(main, ["demo"], env={"COLUMNS": "200"})
    finally:
        lre.uninstall()
    assert result.exit_code == 0, result.output
    rows = [line for line in result.output.splitlines() if "│" in line]
    first, last = rows[0], rows[-1]  # "hi, how are you?" and the lock-free queue proof, in bundled order
    assert "hi, how are you?" in first and "small" in first
    assert "lock-free" in last and "large" in last
    assert "tier share:" in result.output
