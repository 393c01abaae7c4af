"""The fault proxy's upstreams and routers: one router per failure, all on one `litellm --config` process.

Every router starts at its bottom tier (threshold 0.99) unless a constraint moves it; the upstream of each
model group plays one fault: ``ok`` answers by model name, ``e500`` / ``e429`` answer with that status,
``slow`` answers after 5 s (the deployment times out at 1 s), ``dead*`` refuse connections, ``strict``
answers like ``ok`` but refuses malformed tools with a 400 as OpenAI does. ``GHOST_ALIAS`` is a
``tiered/<alias>`` model_list entry that router.yaml lacks.
"""

from __future__ import annotations

from typing import Any

from tests.stubs.openai_stub import Script

from .harness import Stubs, dead_base_url, stub_group

SLOW_S = 5.0
DEPLOYMENT_TIMEOUT_S = 1.0
VALIDATOR_TIMEOUT_S = 0.5
GHOST_ALIAS = "ghost"
SECRET_MARKER = "please-answer-with-the-code"
SECRET_REPLY = "the code is zq-answer-secret-93f1"
"""What the ``ok`` upstream answers to a prompt holding SECRET_MARKER: response text that must not be logged."""


def scripts() -> dict[str, Script]:
    return {
        "ok": Script(
            replies={"small": "small answer", "large": "large answer"}, replies_if={SECRET_MARKER: SECRET_REPLY}
        ),
        "e500": Script(status=500),
        "e429": Script(status=429),
        "slow": Script(reply="too late", delay_s=SLOW_S),
        "strict": Script(replies={"small": "small answer", "large": "large answer"}, strict=True),
    }


def model_list(stubs: Stubs) -> list[dict[str, Any]]:
    return [
        stub_group("ok-small", stubs.url("ok"), model="small"),
        stub_group("ok-large", stubs.url("ok"), model="large"),
        stub_group("e500", stubs.url("e500")),
        stub_group("e500-b", stubs.url("e500")),
        stub_group("e429", stubs.url("e429")),
        stub_group("e429-b", stubs.url("e429")),
        stub_group("slow", stubs.url("slow"), timeout=DEPLOYMENT_TIMEOUT_S),
        stub_group("slow-b", stubs.url("slow"), timeout=DEPLOYMENT_TIMEOUT_S),
        stub_group("dead", dead_base_url()),
        stub_group("dead-b", dead_base_url()),
        stub_group("judge-dead", dead_base_url()),
        stub_group("strict-small", stubs.url("strict"), model="small"),
        stub_group("strict-large", stubs.url("strict"), model="large"),
    ]


def _router(alias: str, bottom: str, top: str, **extra: Any) -> dict[str, Any]:
    tiers = [{"name": "small", "model": bottom}, {"name": "large", "model": top}]
    for tier, options in zip(tiers, extra.pop("tier_options", ({}, {})), strict=True):
        tier.update(options)
    return {"alias": alias, "tiers": tiers, "thresholds": [0.99], **extra}


def custom(path: str) -> dict[str, Any]:
    return {
        "validators": [{"name": "custom", "path": path}],
        "max_escalations": 1,
        "validator_timeout_s": VALIDATOR_TIMEOUT_S,
    }


def routers() -> list[dict[str, Any]]:
    return [
        _router("plain", "ok-small", "ok-large"),
        _router("tools", "strict-small", "strict-large"),
        _router("t500", "e500", "ok-large"),
        _router("t429", "e429", "ok-large"),
        _router("tslow", "slow", "ok-large"),
        _router("tdead", "dead", "ok-large"),
        _router("all500", "e500", "e500-b"),
        _router("all429", "e429", "e429-b"),
        _router("alldead", "dead", "dead-b"),
        _router("allslow", "slow", "slow-b"),
        _router(
            "judged",
            "ok-small",
            "ok-large",
            cascade={"validators": [{"name": "judge"}], "judge_tier": "judge-dead", "max_escalations": 1},
        ),
        _router("vraise", "ok-small", "ok-large", cascade=custom("tests.faults.fault_validators:explode")),
        _router("vhang", "ok-small", "ok-large", cascade=custom("tests.faults.fault_validators:hang")),
        _router("vision", "ok-small", "ok-large", tier_options=({"supports_vision": False}, {"supports_vision": True})),
        _router(
            "novision", "ok-small", "ok-large", tier_options=({"supports_vision": False}, {"supports_vision": False})
        ),
        _router(
            "window",
            "ok-small",
            "ok-large",
            tier_options=({"max_context_tokens": 1000}, {"max_context_tokens": 2000}),
        ),
    ]
