"""calibrate's write-back: new threshold values, everything else in the user's file as it was."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from litellm_router_ext.errors import ConfigError
from litellm_router_ext.evaluation.calibrate import write_thresholds

TWO_ROUTERS = """\
# Owned by the platform team: ask before changing tiers.
routers:
  - alias: ladder   # three tiers
    tiers:
      - {name: small, model: cheap}
      - {name: mid, model: middle}
      - {name: big, model: strong}
    thresholds: {big: 0.7, mid: "0.3"}  # hand-tuned in March
  - alias: pair
    tiers: [{name: s, model: cheap}, {name: l, model: strong}]
    thresholds:
      - 0.5   # first guess
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "router.yaml"
    path.write_text(text)
    return path


def test_values_change_in_place_and_comments_stay(tmp_path: Path):
    path = _write(tmp_path, TWO_ROUTERS)
    write_thresholds(path, "ladder", [0.25, 0.8125], path)
    write_thresholds(path, "pair", [0.125], path)
    expected = (TWO_ROUTERS.replace('{big: 0.7, mid: "0.3"}', "{big: 0.8125, mid: 0.25}")
                .replace("- 0.5   # first guess", "- 0.125   # first guess"))
    assert path.read_text() == expected
    assert (tmp_path / "router.yaml.bak").read_text().count("0.125") == 0  # the .bak is the file before the last write


def test_single_router_file_and_another_destination(tmp_path: Path):
    text = "alias: solo\ntiers: [{name: a, model: m1}, {name: b, model: m2}]\nthresholds: [0.4]  # old\n"
    path = _write(tmp_path, text)
    out = tmp_path / "calibrated.yaml"
    write_thresholds(path, None, [0.625], out)
    assert out.read_text() == text.replace("[0.4]", "[0.625]")
    assert path.read_text() == text and not (tmp_path / "router.yaml.bak").exists()


def test_a_value_that_cannot_be_edited_in_place_falls_back_to_plain_yaml(tmp_path: Path):
    # A threshold given as a nested list is not a scalar to replace; the file is then written as plain YAML.
    text = "# gone\nalias: solo\ntiers: [{name: a, model: m1}, {name: b, model: m2}]\nthresholds: [[0.4]]\n"
    path = _write(tmp_path, text)
    out = tmp_path / "out.yaml"
    write_thresholds(path, None, [0.625], out)
    assert yaml.safe_load(out.read_text())["thresholds"] == [0.625] and "# gone" not in out.read_text()


def test_ambiguous_router_is_refused(tmp_path: Path):
    path = _write(tmp_path, TWO_ROUTERS)
    with pytest.raises(ConfigError, match="PATH#ALIAS"):
        write_thresholds(path, None, [0.2], path)
    assert path.read_text() == TWO_ROUTERS


def test_a_crlf_router_file_changes_only_its_threshold_values(tmp_path: Path) -> None:
    # read_text/write_text translate newlines: a file saved on Windows comes back with every line ending
    # changed (a whole-file diff, against "only the threshold values change"), and router.yaml.bak is not the
    # original either.
    original = (b"# owned by team X\r\nalias: solo\r\ntiers: [{name: a, model: m1}, {name: b, model: m2}]\r\n"
                b"thresholds: [0.4]  # old\r\n")
    path = tmp_path / "router.yaml"
    path.write_bytes(original)
    write_thresholds(path, None, [0.625], path)
    assert (tmp_path / "router.yaml.bak").read_bytes() == original
    assert path.read_bytes() == original.replace(b"[0.4]", b"[0.625]")



def test_a_threshold_below_1e_4_is_written_as_a_number_in_place(tmp_path: Path) -> None:
    # repr(5e-05) is '5e-05', which YAML 1.1 reads as a string: the check of the in-place edit then raised instead of
    # trusting it or falling back. Thresholds sit midway between scores, and learned scores can be that near 0.
    path = _write(tmp_path, TWO_ROUTERS.replace('mid: "0.3"', "mid: 0.3"))
    write_thresholds(path, "pair", [5e-05], path)
    text = path.read_text()
    assert "5.0e-05   # first guess" in text and "# hand-tuned in March" in text
    from litellm_router_ext.config import load_config

    assert load_config(path).router("pair").thresholds == (5e-05,)
