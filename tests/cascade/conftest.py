from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from litellm_router_ext.cascade.base import Answer
from litellm_router_ext.config import CascadeConfig
from litellm_router_ext.types import RequestView


def request(text: str = "What is 2+2?", **kw: Any) -> RequestView:
    return RequestView(text=text, context_chars=len(text), n_messages=1, n_user_turns=1, **kw)


def answer(text: str, req: RequestView | None = None, **kw: Any) -> Answer:
    return Answer(text=text, request=req or request(), **kw)


def cascade(*validators: Mapping[str, Any], **kw: Any) -> CascadeConfig:
    return CascadeConfig.model_validate({"validators": list(validators), **kw})


@pytest.fixture
def req() -> RequestView:
    return request()
