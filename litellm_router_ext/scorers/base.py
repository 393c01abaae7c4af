"""The difficulty-scorer extension point.

A scorer is a pure function of a ``RequestView``: no I/O, no clock, no randomness, so the same
request always gets the same score. Scores lie in [0, 1], higher meaning harder; the policy cuts
them with a router's thresholds. Third-party scorers are loaded by dotted path
(``name: custom, path: package.module:Factory``) and called exactly like the built-ins.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from ..types import RequestView


@runtime_checkable
class DifficultyScorer(Protocol):
    """Maps a request to a difficulty in [0, 1] (0 = trivial, 1 = needs the strongest tier)."""

    name: str

    def score(self, request: RequestView) -> float: ...
