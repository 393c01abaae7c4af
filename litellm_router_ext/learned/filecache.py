"""Loaded files cached while they stay as they were: a file rewritten in place is read afresh."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def cached_by_file(maxsize: int) -> Callable[[Callable[[str], T]], Callable[[str], T]]:
    """Like ``lru_cache`` on ``load(path)``, keyed on the path and the file's modification time and size, so
    routers sharing a file share one loaded copy and ``train --out`` to the same path is seen by the next load."""

    def wrap(load: Callable[[str], T]) -> Callable[[str], T]:
        @functools.lru_cache(maxsize=maxsize)
        def versioned(path: str, _mtime_ns: int, _size: int) -> T:
            return load(path)

        @functools.wraps(load)
        def cached(path: str) -> T:
            try:
                stat = os.stat(path)
            except OSError:
                return load(path)  # the loader names the file and the fix
            return versioned(path, stat.st_mtime_ns, stat.st_size)

        return cached

    return wrap
