from __future__ import annotations

from typing import Any

import pytest

from litellm_router_ext import RequestError, RequestView, TierPolicy, TierProfile
from litellm_router_ext.config import parse_config
from litellm_router_ext.state import InMemoryConversationMemory
from litellm_router_ext.types import conversation_key


class FixedScorer:
    """Returns a fixed difficulty, so policy tests do not depend on the heuristic's weights."""

    name = "fixed"

    def __init__(self, value: float) -> None:
        self.value = value

    def score(self, request: RequestView) -> float:
        return self.value


CONFIG = parse_config(
    {
        "alias": "r",
        "tiers": [
            {"name": "small", "model": "m-small"},
            {"name": "medium", "model": "m-medium"},
            {"name": "large", "model": "m-large"},
        ],
        "thresholds": [0.3, 0.7],
    }
).routers[0]
TOOLS = [{"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}}]


def policy(difficulty: float, profiles: list[TierProfile] | None = None, **kwargs: Any) -> TierPolicy:
    return TierPolicy(CONFIG, [FixedScorer(difficulty)], profiles, **kwargs)


def request(text: str = "q", **kwargs: Any) -> RequestView:
    return RequestView.from_openai([{"role": "user", "content": text}], **kwargs)


@pytest.mark.parametrize(
    ("difficulty", "tier"),
    [(0.0, "small"), (0.29, "small"), (0.3, "medium"), (0.69, "medium"), (0.7, "large"), (1.0, "large")],
)
def test_thresholds_cut_difficulty(difficulty: float, tier: str) -> None:
    decision = policy(difficulty).decide(request())
    assert (decision.tier, decision.cause) == (tier, "threshold")
    assert decision.difficulty == pytest.approx(difficulty)
    assert decision.decision_us >= 0


def test_scorers_combine_by_weight() -> None:
    config = parse_config(
        {**CONFIG.model_dump(), "scorers": [{"name": "heuristic", "weight": 3}, {"name": "heuristic", "weight": 1}]}
    ).routers[0]
    combined = TierPolicy(config, [FixedScorer(0.2), FixedScorer(1.0)])
    difficulty, _ = combined.difficulty(request())
    assert difficulty == pytest.approx(0.4)


def test_tools_skip_a_tier_that_cannot_call_them() -> None:
    profiles = [
        TierProfile("small", "m-small", supports_tools=False),
        TierProfile("medium", "m-medium"),
        TierProfile("large", "m-large"),
    ]
    decision = policy(0.1, profiles).decide(request(tools=TOOLS))
    assert (decision.tier, decision.cause) == ("medium", "constraint")


def test_images_skip_a_tier_without_vision() -> None:
    profiles = [
        TierProfile("small", "m", supports_vision=False),
        TierProfile("medium", "m", supports_vision=False),
        TierProfile("large", "m"),
    ]
    image = [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "what is this?"},
                {"type": "image_url", "image_url": {"url": "data:,"}},
            ],
        }
    ]
    decision = policy(0.0, profiles).decide(RequestView.from_openai(image))
    assert (decision.tier, decision.cause) == ("large", "constraint")


def test_long_context_skips_small_windows_and_fails_when_nothing_fits() -> None:
    profiles = [
        TierProfile("small", "m", max_context_tokens=1000),
        TierProfile("medium", "m", max_context_tokens=5000),
        TierProfile("large", "m", max_context_tokens=20_000),
    ]
    decision = policy(0.0, profiles).decide(request("word " * 2000))
    assert (decision.tier, decision.cause) == ("medium", "constraint")
    with pytest.raises(RequestError, match="no tier can serve.*window 20000"):
        policy(0.0, profiles).decide(request("word " * 100_000))


def test_min_tier_raises_the_floor_but_never_lowers() -> None:
    raised = policy(0.0).decide(request(metadata={"min_tier": "medium"}))
    assert (raised.tier, raised.cause) == ("medium", "override")
    kept = policy(0.9).decide(request(metadata={"min_tier": "medium"}))
    assert (kept.tier, kept.cause) == ("large", "threshold")


def test_force_tier_wins_by_name_or_index() -> None:
    assert policy(0.9).decide(request(metadata={"force_tier": "small"})).tier == "small"
    assert policy(0.0).decide(request(metadata={"force_tier": 2})).tier == "large"


def test_bad_override_and_unservable_force_are_request_errors() -> None:
    with pytest.raises(RequestError, match="metadata.force_tier='huge'.*small, medium, large"):
        policy(0.0).decide(request(metadata={"force_tier": "huge"}))
    profiles = [TierProfile("small", "m", supports_tools=False), TierProfile("medium", "m"), TierProfile("large", "m")]
    with pytest.raises(RequestError, match="cannot serve"):
        policy(0.0, profiles).decide(request(tools=TOOLS, metadata={"force_tier": "small"}))


def test_follow_up_does_not_drop_below_the_tier_the_conversation_reached() -> None:
    memory = InMemoryConversationMemory()
    first = [{"role": "user", "content": "hard question"}]
    hard_policy = policy(0.9, memory=memory)
    assert hard_policy.decide(RequestView.from_openai(first)).tier == "large"
    hard_policy.remember(conversation_key([*first, {"role": "assistant", "content": "long answer"}]), 2)
    follow_up = [*first, {"role": "assistant", "content": "long answer"}, {"role": "user", "content": "ok, do it"}]
    decision = policy(0.0, memory=memory).decide(RequestView.from_openai(follow_up))
    assert (decision.tier, decision.cause) == ("large", "sticky")


def test_a_tool_call_loop_keeps_the_tier_that_started_it() -> None:
    # The tool result comes back with the same last user message; only the assistant's turn is new.
    memory = InMemoryConversationMemory()
    first = [{"role": "user", "content": "book the cheapest flight and explain the trade-offs"}]
    answered = {"role": "assistant", "content": "", "tool_calls": [{"id": "c1"}]}  # as the router stores it
    policy(0.9, memory=memory).remember(conversation_key([*first, answered]), 2)
    call = {"id": "c1", "type": "function", "function": {"name": "search", "arguments": "{}"}}
    loop = [*first, {"role": "assistant", "content": None, "tool_calls": [call]},
            {"role": "tool", "tool_call_id": "c1", "content": "3 flights"}]
    decision = policy(0.0, memory=memory).decide(RequestView.from_openai(loop))
    assert (decision.tier, decision.cause) == ("large", "sticky")
    assert RequestView.from_openai(first).history_key is None  # nothing answered yet
    other = [*first, {"role": "assistant", "content": None, "tool_calls": [{**call, "id": "c2"}]},
             {"role": "tool", "tool_call_id": "c2", "content": "3 flights"}]
    assert policy(0.0, memory=memory).decide(RequestView.from_openai(other)).tier == "small"  # another loop


def test_an_assistant_prefill_keeps_the_floor_the_conversation_reached() -> None:
    memory = InMemoryConversationMemory()
    first = [{"role": "user", "content": "q1"}, {"role": "assistant", "content": "a1"}]
    policy(0.9, memory=memory).remember(conversation_key(first), 2)
    prefilled = [*first, {"role": "user", "content": "now as JSON"}, {"role": "assistant", "content": "{"}]
    assert policy(0.0, memory=memory).decide(RequestView.from_openai(prefilled)).cause == "sticky"


def test_sticky_off_lets_follow_ups_drop() -> None:
    memory = InMemoryConversationMemory()
    config = parse_config({**CONFIG.model_dump(), "sticky": False}).routers[0]
    first = [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]
    policy(0.9, memory=memory).remember(conversation_key(first), 2)
    follow_up = RequestView.from_openai([*first, {"role": "user", "content": "ok"}])
    assert policy(0.0, memory=memory).decide(follow_up).cause == "sticky"  # the floor is there
    assert TierPolicy(config, [FixedScorer(0.0)], memory=memory).decide(follow_up).tier == "small"


def test_routers_sharing_one_memory_keep_their_own_floors() -> None:
    # One file's routers share a memory; tier 2 of one ladder means nothing on another.
    memory = InMemoryConversationMemory()
    first = [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]
    policy(0.9, memory=memory).remember(conversation_key(first), 2)
    other = parse_config({**CONFIG.model_dump(), "alias": "other"}).routers[0]
    follow_up = RequestView.from_openai([*first, {"role": "user", "content": "ok"}])
    assert TierPolicy(other, [FixedScorer(0.0)], memory=memory).decide(follow_up).cause == "threshold"


def test_memory_is_bounded() -> None:
    memory = InMemoryConversationMemory(max_entries=2)
    for key in "abc":
        memory.put(key, 1)
    assert memory.get("a") is None and memory.get("c") == 1


@pytest.mark.parametrize(
    "messages",
    [[], "hello", [{"content": "no role"}], [{"role": "user", "content": 5}], [{"role": "user", "content": [1, 2]}]],
)
def test_malformed_messages_are_request_errors(messages: Any) -> None:
    with pytest.raises(RequestError):
        RequestView.from_openai(messages)


def test_request_view_reads_demands() -> None:
    view = RequestView.from_openai(
        [{"role": "system", "content": "be brief"}, {"role": "user", "content": "x"}],
        tools=TOOLS,
        response_format={"type": "json_schema", "json_schema": {"schema": {"type": "object"}}},
    )
    assert view.needs_tools and view.wants_json and view.has_system
    assert view.response_schema == {"type": "object"}
