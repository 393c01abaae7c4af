"""LiteLLM side of live runs: ask a ``tiered/<alias>`` router, one model (to collect outcomes), or an LLM judge."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

import litellm

from ..evaluation.dataset import EvalItem
from ..evaluation.live import LiveAnswer
from .provider import DECISION_KEY

JUDGE_PROMPT = (
    "Rate how correct and helpful the ANSWER is for the QUESTION on a scale of 1 to 10."
    "{reference}\nReply with the number only.\n\nQUESTION:\n{question}\n\nANSWER:\n{answer}"
)


def router_ask(alias: str, **params: Any) -> Callable[[EvalItem], Awaitable[LiveAnswer]]:
    """An ``ask`` that sends the item's messages to ``tiered/<alias>`` (installed beforehand)."""

    async def ask(item: EvalItem) -> LiveAnswer:
        response = await litellm.acompletion(model=f"tiered/{alias}", messages=list(item.messages), **params)
        decision = response._hidden_params.get(DECISION_KEY) or {}
        return LiveAnswer(
            text=response.choices[0].message.content or "",
            tier=decision.get("tier"),
            model=decision.get("model"),
            cost_usd=float(decision.get("cost_usd", response._hidden_params.get("response_cost") or 0.0)),
            escalations=int(decision.get("escalations", 0)),
            verified=decision.get("verified"),
        )

    return ask


def model_ask(model: str, **params: Any) -> Callable[[EvalItem], Awaitable[LiveAnswer]]:
    """An ``ask`` that sends the item's messages to one LiteLLM model (for collecting outcomes)."""

    async def ask(item: EvalItem) -> LiveAnswer:
        response = await litellm.acompletion(model=model, messages=list(item.messages), **params)
        cost = response._hidden_params.get("response_cost")  # None: LiteLLM has no price for this model
        return LiveAnswer(text=response.choices[0].message.content or "", model=model,
                          cost_usd=None if cost is None else float(cost))

    return ask


def llm_judge(model: str, **params: Any) -> Callable[[EvalItem, str], Awaitable[float]]:
    """A judge that asks ``model`` for a 1-10 rating and maps it to [0, 1] ((s - 1) / 9, as the data does)."""

    async def judge(item: EvalItem, answer: str) -> float:
        reference = f"\nA reference answer: {item.reference}" if item.reference else ""
        prompt = JUDGE_PROMPT.format(reference=reference, question=item.prompt_text, answer=answer)
        response = await litellm.acompletion(
            model=model, messages=[{"role": "user", "content": prompt}], temperature=0, **params
        )
        match = re.search(r"\d+(?:\.\d+)?", response.choices[0].message.content or "")
        if match is None:
            raise ValueError("judge reply has no rating")
        return min(1.0, max(0.0, (float(match.group()) - 1) / 9))

    return judge
