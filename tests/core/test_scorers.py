from __future__ import annotations

import pytest

from litellm_router_ext import ConfigError, RequestView, ScorerConfig
from litellm_router_ext.scorers import build_scorer
from litellm_router_ext.scorers.heuristic import HeuristicScorer

HARD = (
    "Prove rigorously, step by step, that every finite group of prime order is cyclic. Derive each lemma "
    "you use, then analyze why the argument fails for composite orders and compare it with groups of order p^2."
)


def view(text: str, **kwargs: object) -> RequestView:
    return RequestView.from_openai([{"role": "user", "content": text}], **kwargs)  # type: ignore[arg-type]


def score(text: str, **kwargs: object) -> float:
    return HeuristicScorer().score(view(text, **kwargs))


def test_chitchat_is_easy_and_a_proof_is_hard() -> None:
    assert score("hi, how are you?") < 0.1
    assert score(HARD) > 0.85


@pytest.mark.parametrize(
    ("plain", "marked"),
    [
        ("Tell me about rivers in Europe.", "Write a python function that implements an algorithm for rivers."),
        ("Tell me about the sale of apples.", "Calculate the probability that 3 of 7 apples sell: solve it."),
        ("Tell me about groups.", "Prove the theorem about groups by induction; derive each lemma."),
        ("Tell me about databases.", "Analyze and compare the trade-offs of databases, step by step."),
        (
            "Tell me about cats and dogs.",
            "Tell me about cats and dogs. Answer with exactly 3 items, at least one must be rare.",
        ),
    ],
    ids=["code", "math", "proof", "reasoning", "constraints"],
)
def test_each_marker_family_raises_difficulty(plain: str, marked: str) -> None:
    assert score(marked) > score(plain)


def test_request_level_demands_raise_difficulty() -> None:
    base = score("List three colours.")
    tool = [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}]
    assert score("List three colours.", tools=tool) > base
    assert score("List three colours.", response_format={"type": "json_object"}) > base
    long_context = [{"role": "system", "content": "x " * 40_000}, {"role": "user", "content": "List three colours."}]
    assert HeuristicScorer().score(RequestView.from_openai(long_context)) > base
    multi = [
        {"role": "user", "content": "a"},
        {"role": "assistant", "content": "b"},
        {"role": "user", "content": "c"},
        {"role": "assistant", "content": "d"},
        {"role": "user", "content": "List three colours."},
    ]
    assert HeuristicScorer().score(RequestView.from_openai(multi)) > base


def test_length_raises_difficulty() -> None:
    assert score("Describe the weather. " * 50) > score("Describe the weather.")


def test_scores_are_deterministic_and_bounded() -> None:
    scorer = HeuristicScorer()
    for text in ["", "hi", HARD, "x" * 100_000, "1+1=" * 1000]:
        first = scorer.score(view(text))
        assert 0.0 <= first <= 1.0
        assert scorer.score(view(text)) == first


def test_weight_overrides_apply_and_unknown_weights_fail() -> None:
    assert HeuristicScorer(weights={"proof": 0.0}).score(view(HARD)) < score(HARD)
    with pytest.raises(ConfigError, match="unknown heuristic weight 'typo'"):
        HeuristicScorer(weights={"typo": 1.0})


def test_build_builtin_and_custom_scorers() -> None:
    assert build_scorer(ScorerConfig(name="heuristic")).name == "heuristic"
    custom = build_scorer(
        ScorerConfig(name="custom", path="tests.core.fake_scorers:LengthScorer", params={"full_at": 10})
    )
    assert custom.score(view("12345")) == 0.5


def test_custom_scorer_errors_name_the_fix() -> None:
    with pytest.raises(ConfigError, match="no attribute 'Nope'"):
        build_scorer(ScorerConfig(name="custom", path="tests.core.fake_scorers:Nope"))
    with pytest.raises(ConfigError, match="did not produce a scorer"):
        build_scorer(ScorerConfig(name="custom", path="tests.core.fake_scorers:not_a_scorer"))
    with pytest.raises(ConfigError, match="scorer 'heuristic' has no param 'nope'; allowed: weights, long_context"):
        build_scorer(ScorerConfig(name="heuristic", params={"nope": 1}))
    # a misspelt built-in param is named with the one meant (it was Python's "unexpected keyword argument")
    with pytest.raises(ConfigError, match="no param 'artefact'; did you mean 'artifact'"):
        build_scorer(ScorerConfig(name="learned", params={"artefact": "mine.npz"}), key="routers[0].scorers[0]")
    # a known key with a wrong value is refused when the router is built, not when a request compares it
    where = r"key 'routers\[1\].scorers\[0\].params.long_context_tokens'"  # which router's scorer
    with pytest.raises(ConfigError, match=where + ".*whole number"):
        build_scorer(ScorerConfig(name="heuristic", params={"long_context_tokens": "many"}),
                     key="routers[1].scorers[0]")
    with pytest.raises(ConfigError, match="weights.code.*must be a number"):
        build_scorer(ScorerConfig(name="heuristic", params={"weights": {"code": "high"}}))
