"""A router config's tier ``price:`` costs that tier in replay (eval, calibrate, gate), as it does live; a cost the
data records still wins, and the report says which price came from where."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from litellm_router_ext.cli import main

from .conftest import record, write_set


def _router(tmp_path: Path, cheap_price: dict[str, float] | None, *, name: str = "router.yaml",
            cheap_model: str = "cheap") -> Path:
    small: dict[str, Any] = {"name": "small", "model": cheap_model}
    if cheap_price is not None:
        small["price"] = cheap_price
    config = tmp_path / name
    config.write_text(yaml.safe_dump({"routers": [{"alias": "r", "thresholds": [0.5], "tiers": [
        small, {"name": "large", "model": "strong"}]}]}))
    return config


def _eval(*args: str) -> dict[str, Any]:
    result = CliRunner().invoke(main, ["eval", *args, "--bootstrap", "0", "--json", "-", "--quiet"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    report: dict[str, Any] = json.loads(result.stdout)
    return report


def _cost(report: dict[str, Any], router: str) -> float:
    return float(next(r["cost_usd"] for r in report["results"] if r["router"] == router))


def test_a_tiers_price_in_the_config_costs_that_tier(small_set: Path, tmp_path: Path) -> None:
    table = _eval("--data", str(small_set), "--router", str(_router(tmp_path, None)))
    priced = _eval("--data", str(small_set), "--router",
                   str(_router(tmp_path, {"input_usd_per_mtok": 100.0, "output_usd_per_mtok": 200.0})))
    # models.json prices cheap at $1 / $2: the config's $100 / $200 is 100 times that, and strong is untouched
    assert _cost(priced, "cheap") == pytest.approx(100 * _cost(table, "cheap"))
    assert _cost(priced, "strong") == pytest.approx(_cost(table, "strong"))
    assert not [n for n in table["notes"] if "tier price" in n]
    (note,) = [n for n in priced["notes"] if "tier price" in n]
    assert "cheap at $100 / $200 per M tokens in / out" in note and "router.yaml tier 'small'" in note


def test_a_model_nothing_prices_is_costed_by_the_config(tmp_path: Path) -> None:
    records = [{**record(i, "hello world", 1.0, 1.0), "outcomes": {"my-local": {"score": 1.0},
                                                                    "strong": {"score": 1.0}}} for i in range(4)]
    data = write_set(tmp_path, records)  # models.json prices cheap and strong, not my-local
    config = _router(tmp_path, {"input_usd_per_mtok": 0.0, "output_usd_per_mtok": 0.0}, cheap_model="my-local")
    report = _eval("--data", str(data), "--router", str(config))
    assert report["tiers"] == ["my-local", "strong"] and _cost(report, "my-local") == 0.0


def test_a_recorded_cost_wins_over_the_configs_price(tmp_path: Path) -> None:
    records = [record(i, "hello world", 1.0, 1.0) for i in range(4)]
    for r in records:
        r["outcomes"]["cheap"]["cost_usd"] = 0.5  # type: ignore[index]
    data = write_set(tmp_path, records)
    report = _eval("--data", str(data), "--router",
                   str(_router(tmp_path, {"input_usd_per_mtok": 100.0, "output_usd_per_mtok": 200.0})))
    assert _cost(report, "cheap") == pytest.approx(4 * 0.5)
    (note,) = [n for n in report["notes"] if "price" in n]
    assert "every outcome of cheap records its cost_usd" in note


def test_two_configs_that_price_one_tier_differently_are_refused(small_set: Path, tmp_path: Path) -> None:
    one = _router(tmp_path, {"input_usd_per_mtok": 100.0, "output_usd_per_mtok": 200.0}, name="one.yaml")
    two = _router(tmp_path, {"input_usd_per_mtok": 3.0, "output_usd_per_mtok": 4.0}, name="two.yaml")
    result = CliRunner().invoke(main, ["eval", "--data", str(small_set), "--router", str(one), "--router", str(two),
                                       "--bootstrap", "0", "--quiet"])
    message = " ".join(result.output.split())
    assert result.exit_code != 0 and "two.yaml, key 'routers[0].tiers[0].price'" in message, message
    assert "one.yaml prices cheap at $100 / $200" in message and "in separate runs" in message


def test_calibrate_and_gate_cost_with_the_configs_price(small_set: Path, tmp_path: Path) -> None:
    config = _router(tmp_path, {"input_usd_per_mtok": 100.0, "output_usd_per_mtok": 200.0})
    gated = CliRunner().invoke(main, ["gate", "--data", str(small_set), "--router", str(config), "--target", "0.1",
                                      "--bootstrap", "0", "--json", "-", "--quiet"], catch_exceptions=False)
    assert any("tier price" in w for w in json.loads(gated.stdout)["warnings"]), gated.stdout
