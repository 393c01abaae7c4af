from __future__ import annotations

import json
from pathlib import Path

import pytest

from litellm_router_ext.cascade import build_validators, replay_cascade
from litellm_router_ext.config import load_config
from litellm_router_ext.errors import ConfigError
from litellm_router_ext.plugins import load_object
from litellm_router_ext.types import RequestView

from .conftest import cascade, request

REPO = Path(__file__).resolve().parents[2]
GSM8K = REPO.parent / "shared" / "data" / "routellm-gsm8k.jsonl"
CONFIG = REPO / "configs" / "eval" / "gsm8k-cascade.yaml"
W, S = "mixtral-8x7b-instruct-v0.1", "gpt-4-1106-preview"


def test_replay_missing_response_moves_up() -> None:
    c = cascade({"name": "format", "params": {"final_answer": "####"}})
    vs = build_validators(c)
    done = replay_cascade(
        request(), [None, "#### 4"], tiers=["weak", "strong"], validators=vs, cascade=c, costs=[None, 0.3]
    )
    assert done.tier == "strong" and done.attempts[0].error == "NoRecordedResponse" and done.cost_usd == 0.3
    with pytest.raises(ValueError):
        replay_cascade(request(), ["x"], tiers=["weak", "strong"], validators=vs, cascade=c)


def test_replay_uses_recorded_costs_for_the_budget() -> None:
    c = cascade({"name": "format", "params": {"final_answer": "####"}}, budget_usd=0.1)
    vs = build_validators(c)
    done = replay_cascade(
        request(), ["no final", "#### 4"], tiers=["weak", "strong"], validators=vs, cascade=c, costs=[0.01, 0.5]
    )
    assert done.reason == "budget" and done.tier == "weak" and done.cost_usd == 0.01


@pytest.mark.skipif(not GSM8K.exists(), reason="shared/data is not next to the repo")
def test_gsm8k_replay_with_shipped_config() -> None:
    router = load_config(CONFIG).router("gsm8k-cascade")
    assert router.cascade is not None
    vs = build_validators(router.cascade)
    rows = {r["id"]: r for r in map(json.loads, GSM8K.read_text().splitlines()[:60])}
    outcomes = {}
    for rid, row in rows.items():
        req = RequestView.from_openai(row["messages"])
        done = replay_cascade(
            req,
            [row["outcomes"][W]["response"], row["outcomes"][S]["response"]],
            tiers=router.tiers,
            validators=vs,
            cascade=router.cascade,
            costs=[0.001, 0.02],
        )
        outcomes[rid] = done
    # A clean, short, arithmetic-correct weak answer is kept; a truncated one is escalated.
    assert outcomes["routellm-gsm8k-3"].tier == "weak" and outcomes["routellm-gsm8k-3"].verified
    truncated = outcomes["routellm-gsm8k-4"]
    assert truncated.tier == "strong" and truncated.escalations == 1
    assert truncated.attempts[0].verdict is not None and "final_answer" in truncated.attempts[0].verdict.reason
    kept = sum(o.tier == "weak" for o in outcomes.values())
    assert 0 < kept < len(outcomes)


def test_load_object_forms() -> None:
    assert load_object("json:dumps", key="k") is json.dumps
    assert load_object("os.path.join", key="k") is __import__("os").path.join
    assert load_object("litellm_router_ext.errors:ConfigError.__init__", key="k") is ConfigError.__init__


@pytest.mark.parametrize(
    ("dotted", "match"),
    [
        ("", "importable path"),
        ("json", "bare module"),
        ("nopkg_xyz.mod:f", "not importable"),
        ("json:nope", "no attribute"),
        ("json:", "importable path"),
    ],
)
def test_load_object_errors_name_key_and_fix(dotted: str, match: str) -> None:
    with pytest.raises(ConfigError, match=match) as info:
        load_object(dotted, key="routers[0].scorers[1].path")
    assert info.value.key == "routers[0].scorers[1].path"


def test_load_object_reports_a_broken_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "broken_plugin_mod.py").write_text("import not_installed_dep_xyz\n")
    (tmp_path / "raising_plugin_mod.py").write_text("raise RuntimeError('bad init')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ConfigError, match="needs 'not_installed_dep_xyz'"):
        load_object("broken_plugin_mod:f", key="k")
    with pytest.raises(ConfigError, match="RuntimeError"):
        load_object("raising_plugin_mod.f", key="k")


def test_cascade_public_api_is_guarded() -> None:
    import litellm_router_ext.cascade as cascade_pkg

    assert set(cascade_pkg.__all__) == {
        "Answer",
        "Answered",
        "Ask",
        "AsyncAsk",
        "AsyncValidator",
        "CascadeFlow",
        "CascadeNeeds",
        "CheckAnswer",
        "Finished",
        "ProviderFailed",
        "TryTier",
        "Validator",
        "adrive",
        "avalidate",
        "build_validators",
        "cascade_needs",
        "drive",
        "reject_prefix",
        "replay_cascade",
        "streamable",
        "validate",
    }
    assert all(hasattr(cascade_pkg, name) for name in cascade_pkg.__all__)
