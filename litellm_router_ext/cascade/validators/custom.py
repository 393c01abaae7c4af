"""User validators by dotted path: a callable taking an ``Answer``.

It may return a ``Verdict``, a bool, or a float score in [0, 1] (accepted at or above ``threshold``);
an ``async def`` callable is awaited (by ``avalidate``, or on the worker thread a sync check runs on). Anything else
is a failed check.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from typing import Any, ClassVar

from pydantic import Field

from ...types import Verdict
from ..base import Answer
from ..blocking import CHECK_THREADS
from ._params import Params


async def _awaited(result: Any) -> Any:
    return await result


class CustomParams(Params):
    threshold: float = Field(default=0.5, ge=0, le=1, description="Accept a float score at or above this")


class CustomValidator:
    """Runs your function, named by ``path`` beside ``name: custom`` as ``package.module:function`` (or
    ``package.module.function``): an installed module's, or a ``.py`` file's beside the router config. It is called
    with one tier's answer, a ``litellm_router_ext.cascade.Answer`` (``text``, ``request``, ``tool_calls``,
    ``finish_reason``, ``prompt_text``), and returns a ``Verdict``, a bool, or a float score in [0, 1] (accepted at
    or above ``threshold``); an ``async def`` is awaited. Any other result, or an exception, is a failed check.
    Verdicts are named after the path.
    """

    needs_logprobs: ClassVar[bool] = False
    needs_samples: ClassVar[int] = 1
    can_stream: ClassVar[bool] = False
    may_block: ClassVar[bool] = True
    """User code or a model call: run under the cascade's validator_timeout_s on a worker thread."""

    def __init__(self, params: CustomParams, fn: Callable[[Answer], Any], *, name: str) -> None:
        self.params = params
        self.name = name
        self._fn = fn

    def check(self, answer: Answer) -> Verdict:
        result = self._fn(answer)
        if inspect.isawaitable(result):
            # An async check under litellm.completion: it runs on a worker thread (may_block), which has no event
            # loop of its own, so it is run to completion there. Only a caller already inside a loop must await.
            try:
                asyncio.get_running_loop()
            except RuntimeError:
                return self._verdict(asyncio.run(_awaited(result)))
            if inspect.iscoroutine(result):
                result.close()
            raise TypeError(f"custom validator {self.name} is async; inside an event loop, call avalidate")
        return self._verdict(result)

    async def acheck(self, answer: Answer) -> Verdict:
        # A plain function runs on a thread: blocking user code must not stall the event loop or the time limit.
        if inspect.iscoroutinefunction(self._fn):
            result = await self._fn(answer)
        else:
            result = await CHECK_THREADS.run(self, self._fn, answer)
            if inspect.isawaitable(result):
                result = await result
        return self._verdict(result)

    def _verdict(self, result: object) -> Verdict:
        if isinstance(result, Verdict):
            return result if result.validator else Verdict(result.accepted, self.name, result.score, result.reason)
        if isinstance(result, bool):
            return Verdict(
                result,
                self.name,
                1.0 if result else 0.0,
                "custom check " + ("passed" if result else "failed"),
            )
        if isinstance(result, int | float):
            score = float(result)
            if not 0.0 <= score <= 1.0:
                raise ValueError(f"custom validator {self.name} returned score {score} outside [0, 1]")
            ok = score >= self.params.threshold
            return Verdict(ok, self.name, score, f"custom score {score:.3f} (threshold {self.params.threshold:g})")
        raise TypeError(
            f"custom validator {self.name} returned {type(result).__name__}; expected Verdict, bool or float"
        )
