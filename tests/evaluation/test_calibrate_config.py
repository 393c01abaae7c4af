"""calibrate on a router config whose thresholds are out of order: it replaces them, so it must not refuse them."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml
from click.testing import CliRunner

from litellm_router_ext.cli import main
from litellm_router_ext.config import load_config

from .conftest import record, write_set

THREE_TIERS = """\
# hand-tuned, badly
routers:
  - alias: r
    tiers:
      - {name: small, model: cheap}
      - {name: medium, model: middle}
      - {name: large, model: strong}
    scorers: [{name: heuristic}]
    thresholds: {medium: 0.7, large: 0.3}
"""


def _three_model_set(folder: Path) -> Path:
    records = []
    for i in range(60):
        easy = i % 3 == 0
        records.append(record(i, "hi, thanks!" if easy else "Prove rigorously by induction that the sum of the "
                              "first n odd numbers is n^2. Derive each step.", float(easy), 1.0,
                              category="chat" if easy else "proof"))
        records[-1]["outcomes"]["middle"] = {"score": float(easy)}
    path = write_set(folder, records)
    prices = json.loads((folder / "models.json").read_text())
    prices["middle"] = {"input_usd_per_mtok": 3.0, "output_usd_per_mtok": 6.0}
    (folder / "models.json").write_text(json.dumps(prices))
    return path


def _calibrate(*args: str) -> object:
    return CliRunner().invoke(main, ["calibrate", "--bootstrap", "0", "--target", "0.9", *args],
                              catch_exceptions=False)


def test_out_of_order_thresholds_are_replaced_and_the_report_says_so(tmp_path: Path) -> None:
    data = _three_model_set(tmp_path)
    config = tmp_path / "router.yaml"
    config.write_text(THREE_TIERS)
    result = _calibrate("--data", str(data), "--router", str(config), "--json", str(tmp_path / "c.json"))
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    notes = json.loads((tmp_path / "c.json").read_text())["notes"]
    assert any("out of order" in n and "[0.7, 0.3]" in n and "replaced" in n for n in notes), notes
    assert "out of order" in " ".join(result.output.split())  # type: ignore[attr-defined]
    fixed = load_config(config).router("r")  # the file loads now
    assert list(fixed.thresholds) == sorted(fixed.thresholds)
    assert config.read_text().startswith("# hand-tuned, badly\n")


def test_equal_thresholds_count_as_out_of_order(tmp_path: Path) -> None:
    data = _three_model_set(tmp_path)
    config = tmp_path / "router.yaml"
    config.write_text(THREE_TIERS.replace("{medium: 0.7, large: 0.3}", "[0.5, 0.5]"))
    result = _calibrate("--data", str(data), "--router", str(config))
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    load_config(config)


def test_unreachable_target_leaves_the_out_of_order_file_alone_and_says_so(tmp_path: Path) -> None:
    data = _three_model_set(tmp_path)
    config = tmp_path / "router.yaml"
    config.write_text(THREE_TIERS)
    result = CliRunner().invoke(main, ["calibrate", "--bootstrap", "0", "--target", "1.2", "--data", str(data),
                                       "--router", str(config)])
    assert result.exit_code == 1
    said = " ".join(result.output.split())
    assert "out of order" in said and "nothing was written" in said and config.read_text() == THREE_TIERS


def test_other_problems_are_still_refused_naming_file_and_key(tmp_path: Path) -> None:
    data = _three_model_set(tmp_path)
    config = tmp_path / "router.yaml"
    cases = {
        # another key is wrong, beside the out-of-order thresholds
        THREE_TIERS.replace("{name: heuristic}", "{name: heuristik}"): ("routers[0].scorers[0]", "heuristik"),
        # the thresholds are wrong in another way than their order
        THREE_TIERS.replace("large: 0.3", "large: 1.5"): ("routers[0].thresholds", "[0, 1]"),
        THREE_TIERS.replace("{medium: 0.7, large: 0.3}", "[0.7]"): ("routers[0].thresholds", "needs 2 value"),
        THREE_TIERS.replace("large: 0.3", 'large: "0.3"'): ("routers[0].thresholds", "0.3"),
    }
    for text, (key, words) in cases.items():
        config.write_text(text)
        result = CliRunner().invoke(main, ["calibrate", "--bootstrap", "0", "--data", str(data), "--router",
                                           str(config)])
        said = " ".join(result.output.split())
        assert result.exit_code == 1, said
        assert str(config) in said and f"key '{key}" in said and words in said, said
        assert "Traceback" not in said and config.read_text() == text
    config.write_bytes(THREE_TIERS.encode("utf-16"))
    result = CliRunner().invoke(main, ["calibrate", "--data", str(data), "--router", str(config)])
    assert result.exit_code == 1 and "not UTF-8" in result.output and "Traceback" not in result.output


def test_another_router_out_of_order_is_still_refused(tmp_path: Path) -> None:
    """Only the router being calibrated gets new thresholds: a file whose other router is bad would not load."""
    data = _three_model_set(tmp_path)
    config = tmp_path / "router.yaml"
    config.write_text(THREE_TIERS + "  - alias: ok\n    tiers: [{name: s, model: cheap}, {name: m, model: middle}, "
                      "{name: l, model: strong}]\n    thresholds: [0.3, 0.7]\n")
    assert len(yaml.safe_load(config.read_text())["routers"]) == 2
    result = CliRunner().invoke(main, ["calibrate", "--bootstrap", "0", "--data", str(data), "--router",
                                       f"{config}#ok"])
    said = " ".join(result.output.split())
    assert result.exit_code == 1 and "key 'routers[0].thresholds'" in said and "strictly increasing" in said, said


def test_tier_prices_of_an_out_of_order_config_still_cost_its_tiers(tmp_path: Path) -> None:
    """Calibrated costs are the same whether the old thresholds were in order or not: tier prices count."""
    data = _three_model_set(tmp_path)
    price = "price: {input_usd_per_mtok: 0.5, output_usd_per_mtok: 1.0}"
    priced = THREE_TIERS.replace("{name: small, model: cheap}", "{name: small, model: cheap, " + price + "}")
    reports = []
    for name, thresholds in (("ordered.yaml", "{medium: 0.3, large: 0.7}"), ("misordered.yaml", None)):
        config = tmp_path / name
        config.write_text(priced if thresholds is None else priced.replace("{medium: 0.7, large: 0.3}", thresholds))
        result = _calibrate("--data", str(data), "--router", str(config), "--json", str(tmp_path / "c.json"))
        assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
        reports.append(json.loads((tmp_path / "c.json").read_text()))
    ordered, misordered = reports
    assert misordered["calibration"] == ordered["calibration"] and misordered["thresholds"] == ordered["thresholds"]
    assert any("tier price" in n and "misordered.yaml tier 'small'" in n for n in misordered["notes"])


def test_calibrate_picks_only_thresholds_a_config_can_hold() -> None:
    # Half the prompts score exactly 1.0. The cheapest point meeting the target sends none of them to the top
    # tier, which no threshold in [0, 1] can express (a score at a threshold goes up): it was written as 1.0, sending
    # all of them up, while the report gave that other point's 90% and its savings.
    from litellm_router_ext.evaluation.calibrate import calibrate
    from litellm_router_ext.evaluation.outcomes import OutcomeTable

    n = 40
    scores = np.r_[np.linspace(0.05, 0.8, n // 2), np.ones(n // 2)]
    cheap = np.ones(n)
    cheap[-4:] = 0.0  # the cheap tier misses 4 of the prompts that score 1.0
    table = OutcomeTable(("cheap", "strong"), tuple(range(n)),  # type: ignore[arg-type]  # only their count matters
                         np.c_[cheap, np.ones(n)], np.c_[np.full(n, 1.0), np.full(n, 10.0)])
    result = calibrate(table, scores, 0.85, bootstrap=0)
    assert result.reached and result.thresholds is not None and result.calibration is not None
    assert result.lower_bound == pytest.approx(result.calibration.ratio)  # what it reports is what it wrote
    routed_up = np.searchsorted(result.thresholds, scores, side="right")
    assert result.calibration.shares == pytest.approx(np.bincount(routed_up, minlength=2) / n)


def test_calibrate_can_leave_the_top_two_tiers_empty() -> None:
    # When the bottom tier is as good as the top, the cheapest point sends nothing up. With two empty tiers above it
    # the thresholds were clipped to [1.0, 1.0 + 1e-9], refused, and a costlier point was written instead.
    from litellm_router_ext.evaluation.calibrate import calibrate
    from litellm_router_ext.evaluation.outcomes import OutcomeTable

    n = 60
    scores = np.linspace(0.05, 0.9, n)
    table = OutcomeTable(("s", "m", "l"), tuple(range(n)),  # type: ignore[arg-type]  # only their count matters
                         np.ones((n, 3)), np.c_[np.full(n, 1.0), np.full(n, 5.0), np.full(n, 10.0)])
    result = calibrate(table, scores, 0.95, bootstrap=0)
    assert result.reached and result.calibration is not None and result.thresholds is not None
    assert result.calibration.shares == [1.0, 0.0, 0.0] and result.thresholds[1] <= 1.0
