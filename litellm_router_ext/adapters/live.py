"""LiteLLM side of live runs: ask a ``tiered/<alias>`` router, one model (to collect outcomes), or an LLM judge."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import litellm

from ..cascade.base import tool_calls_text
from ..config import load_config, parse_yaml
from ..errors import ConfigError
from ..evaluation.dataset import EvalItem
from ..evaluation.live import LiveAnswer, judge_rating
from .capabilities import deployment_price, routable, tier_price
from .provider import DECISION_KEY, build_litellm_router
from .runtime import TieredRouter

JUDGE_PROMPT = (
    "Rate how correct and helpful the ANSWER is for the QUESTION on a scale of 1 to 10."
    "{reference}\nReply with the number only.\n\nQUESTION:\n{question}\n\nANSWER:\n{answer}"
)


def answer_text(message: Any) -> str:
    """What is scored of an answer: its calls when it called tools (``tool_calls_text``: the call is the answer,
    whatever text came beside it), else its text."""
    calls = getattr(message, "tool_calls", None) or ()
    if calls:
        return tool_calls_text((call.function.name, call.function.arguments) for call in calls)
    return str(message.content or "")


def router_ask(alias: str, *, runtime: TieredRouter | None = None,
               **params: Any) -> Callable[[EvalItem], Awaitable[LiveAnswer]]:
    """An ``ask`` that sends the item's request (messages, and its tools or response_format) to
    ``tiered/<alias>`` (installed beforehand). ``runtime``: that alias's router (``install(...).runtime(alias)``),
    so an answer from a tier nothing prices is reported unpriced (``decision_cost``), not free."""

    async def ask(item: EvalItem) -> LiveAnswer:
        response = await litellm.acompletion(model=f"tiered/{alias}", messages=list(item.messages),
                                             **{**params, **item.params})
        decision = response._hidden_params.get(DECISION_KEY) or {}
        cost = decision_cost(decision, runtime) if decision else response._hidden_params.get("response_cost")
        return LiveAnswer(
            text=answer_text(response.choices[0].message),
            tier=decision.get("tier"),
            model=decision.get("model"),
            cost_usd=None if cost is None else float(cost),
            escalations=int(decision.get("escalations", 0)),
            verified=decision.get("verified"),
        )

    return ask


def decision_cost(decision: Mapping[str, Any], runtime: TieredRouter | None) -> float | None:
    """A routing decision's total cost; ``None`` when an attempt that answered costs 0.0 on a tier nothing prices
    (``tier_price``: no config price, no deployment price, none in LiteLLM's map). A Router says 0.0 for such a
    model, as ``answer_cost`` explains: that is unknown, not free. A failed attempt's 0.0 is real (nothing billed)."""
    if runtime is not None:
        for attempt in decision.get("attempts") or ():
            if attempt.get("error") is None and not attempt.get("cost_usd"):
                tier = runtime.config.tiers[runtime.config.tier_index(attempt.get("tier", ""))]
                if tier_price(tier, runtime.router) is None:
                    return None
    return float(decision.get("cost_usd") or 0.0)


def quiet_failures() -> None:
    """Failing calls are recorded and summarised by the runs here; LiteLLM's help banner per failure would
    flood the terminal (a command-line setting, so the CLI calls it, never the library)."""
    litellm.suppress_debug_info = True


def model_ask(model: str, router: litellm.Router | None = None,
              **params: Any) -> Callable[[EvalItem], Awaitable[LiveAnswer]]:
    """An ``ask`` that sends the item's request to one model: a LiteLLM model id, or a group of ``router``."""
    complete = router.acompletion if router is not None else litellm.acompletion

    async def ask(item: EvalItem) -> LiveAnswer:
        response = await complete(model=model, messages=list(item.messages), **{**params, **item.params})
        return LiveAnswer(text=answer_text(response.choices[0].message), model=model,
                          cost_usd=answer_cost(response, router))

    return ask


def answer_cost(response: Any, router: litellm.Router | None) -> float | None:
    """What LiteLLM says ``response`` cost; ``None`` when it has no price for the model. ``litellm.acompletion``
    says None then, but a Router says 0.0: a 0.0 from a deployment that nothing prices (no price of its own, none
    in LiteLLM's map) is read as unpriced, not free, so it is not recorded as a cost that outranks a price table."""
    cost = response._hidden_params.get("response_cost")
    if cost is None:
        return None
    if float(cost) == 0.0 and router is not None and not _deployment_priced(router,
                                                                         response._hidden_params.get("model_id")):
        return None
    return float(cost)


def _deployment_priced(router: litellm.Router, model_id: object) -> bool:
    deployment = next((d for d in router.model_list if (d.get("model_info") or {}).get("id") == model_id), None)
    return deployment is None or deployment_price(deployment) is not None  # unknown deployment: keep LiteLLM's figure


def config_models(path: Path) -> tuple[litellm.Router, list[str]]:
    """A LiteLLM Router over a config's ``model_list``, and the models to ask by default.

    ``path`` is a LiteLLM proxy config (its model groups; no default) or a router config of ours (its
    model_list plus a deployment per tier model, as ``install`` builds; default: the first router's tiers,
    cheapest first). No fallbacks: an outcome must be the named group's own answer, never another's
    recorded under its name. ``tiered/...`` deployments (our own routers) are not models to collect from.
    """
    data = parse_yaml(path.read_text(encoding="utf-8"), str(path))
    try:
        if isinstance(data, dict) and ("routers" in data or "alias" in data):
            file = load_config(path)
            settings = {k: v for k, v in file.router_settings.items() if not k.endswith("fallbacks")}
            router = build_litellm_router(file.model_copy(update={"router_settings": settings}), str(path))
            return router, [tier.model for tier in file.routers[0].tiers]
        model_list = data.get("model_list") if isinstance(data, dict) else None
        if not isinstance(model_list, list) or not model_list:
            raise ConfigError("needs a model_list (a LiteLLM proxy config) or routers (a router config)",
                              file=str(path), key="model_list")
        models = [d for d in model_list
                  if not str((d.get("litellm_params") or {}).get("model", "")).startswith("tiered/")]
        return litellm.Router(model_list=models), []
    except ConfigError:
        raise
    except Exception as exc:  # LiteLLM refusing a deployment: name the file, not a traceback
        raise ConfigError(f"LiteLLM cannot build a Router from its model_list: {exc}", file=str(path),
                          key="model_list") from None


def check_groups(router: litellm.Router, models: Sequence[str], source: str) -> None:
    """Every model must be a group of ``router``; ``ConfigError`` lists the groups there are."""
    groups = router.get_model_names()
    for model in models:
        if model not in groups:
            raise ConfigError(f"model {model!r} is not a model group of this config", file=source, key="--models",
                              allowed=sorted(groups))


def check_routable(models: Sequence[str]) -> None:
    """Every model must be one LiteLLM can route; ``ConfigError`` before any call, where asking each prompt would
    fail every one of them."""
    for model in models:
        if not routable(model):
            raise ConfigError(f"LiteLLM cannot tell which provider serves {model!r}; write it as provider/model "
                              "(e.g. openai/my-model with OPENAI_API_BASE), or pass --config with a model_list "
                              "that defines it as a model group", key="--models", value=model)


class LLMJudge:
    """A judge that asks ``model`` (a model id, or a group of ``router``) for a 1-10 rating, mapped to [0, 1]
    ((s - 1) / 9, as the data does). ``calls``, ``failed`` and ``cost_usd`` add up what it asked and spent.

    A name that is neither a group of ``router`` nor a model LiteLLM can route is refused up front
    (``ConfigError`` naming ``source``), before any answer is paid for. ``concurrency`` caps the judge's calls
    in flight, however many runs share it (``collect`` asks several models at once; LiteLLM's own
    ``max_parallel_requests`` answers a call over its limit with a 429 instead of queueing it).
    """

    def __init__(self, model: str, router: litellm.Router | None = None, *, source: str | None = None,
                 concurrency: int | None = None, **params: Any) -> None:
        groups = router.get_model_names() if router is not None else []
        if model not in groups and not routable(model):
            where = f"a model group of {source} or " if source else ""
            raise ConfigError(f"judge {model!r} is not {where}a model LiteLLM can route (provider/model)",
                              key="--judge", allowed=sorted(groups) or None)
        self._router = router if router is not None and model in groups else None
        self._complete = self._router.acompletion if self._router is not None else litellm.acompletion
        self.model, self.params = model, params
        self.calls, self.failed, self.cost_usd, self.unpriced = 0, 0, 0.0, 0
        self._limit = concurrency
        self._gates: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
            weakref.WeakKeyDictionary())  # one per event loop that calls, gone with it

    async def __call__(self, item: EvalItem, answer: str) -> float:
        reference = f"\nA reference answer: {item.reference}" if item.reference else ""
        prompt = JUDGE_PROMPT.format(reference=reference, question=item.prompt_text, answer=answer)
        self.calls += 1
        try:
            if not self._limit:
                response = await self._ask(prompt)
            else:
                # a semaphore serves only the loop it first waited in: a judge reused by a second asyncio.run
                # (a script that collects twice) gets a gate of its own there
                loop = asyncio.get_running_loop()
                async with self._gates.setdefault(loop, asyncio.Semaphore(self._limit)):
                    response = await self._ask(prompt)
        except Exception:
            self.failed += 1
            raise
        cost = answer_cost(response, self._router)
        if cost is None:
            self.unpriced += 1
        else:
            self.cost_usd += float(cost)
        rating = judge_rating(response.choices[0].message.content or "")
        if rating is None:
            self.failed += 1
            raise ValueError("judge reply has no rating from 1 to 10")
        return (rating - 1) / 9

    def spend(self) -> dict[str, Any]:
        """What the judge cost this run: {model, calls, cost_usd, unpriced (calls LiteLLM could not price)}."""
        return {"model": self.model, "calls": self.calls, "failed": self.failed, "cost_usd": self.cost_usd,
                "unpriced": self.unpriced}

    async def _ask(self, prompt: str) -> Any:
        return await self._complete(model=self.model, messages=[{"role": "user", "content": prompt}], temperature=0,
                                    **self.params)

    def describe(self) -> str:
        failed = f", {self.failed} failed" if self.failed else ""
        unpriced = f" ({self.unpriced} not priced by LiteLLM)" if self.unpriced else ""
        return f"judge {self.model}: {self.calls} call(s){failed}, ${self.cost_usd:.4f}{unpriced}"
