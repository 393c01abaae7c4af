"""Custom checks named by dotted path in the hung-check tests: one hangs until released, one passes.

Imported by that path from the tests too (``tests.cascade.hanging_checks``): pytest imports test modules under
another name, which would give the dotted path a second ``RELEASE`` that nothing sets.
"""

from __future__ import annotations

import threading

from litellm_router_ext.cascade.base import Answer

RELEASE = threading.Event()
"""Set at the end of each test: every hung check returns."""


def hang_until_released(answer: Answer) -> bool:
    RELEASE.wait(30)
    return True


def passes(answer: Answer) -> bool:
    return True
