"""Custom validators named by dotted path in the fault tests' router.yaml: one raises, one hangs."""

from __future__ import annotations

import time

from litellm_router_ext.cascade.base import Answer

HANG_S = 5.0
"""How long ``hang`` blocks: ten times the tests' validator_timeout_s, short enough not to delay shutdown."""


def explode(answer: Answer) -> bool:
    raise RuntimeError("validator bug")


def hang(answer: Answer) -> bool:
    time.sleep(HANG_S)
    return True
