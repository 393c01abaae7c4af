"""Threads for checks that may block (user code, judge calls), so a check that hangs costs no other check anything.

Each blocking check runs on a thread of its own while its caller waits at most ``validator_timeout_s``. A thread
cannot be killed, so one that overruns is abandoned: it runs on, counted as ``stuck``, until it returns. A shared
pool (8 threads, or the event loop's default executor) was filled by as many hung checks, and every router's checks
then queued behind them and timed out. ``MAX_STUCK`` bounds the threads one check leaves behind: while that many of
its own are stuck, it is not started (a failed check: the answer climbs) until some return; other checks still run.
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

T = TypeVar("T")
MAX_STUCK = 32
"""Threads one check (one validator of one router) may leave running past their time limit."""


class CheckThreads:
    """Starts blocking calls on daemon threads (a hung one must not hold up interpreter exit); counts the stuck, by
    the check (``owner``) that started them, so a check that keeps hanging is capped without touching the others."""

    def __init__(self, max_stuck: int = MAX_STUCK) -> None:
        self.max_stuck = max_stuck
        self._lock = threading.Lock()
        self._stuck: dict[Future[Any], object] = {}

    def stuck(self, owner: object = None) -> int:
        """Threads still running a call whose caller stopped waiting: all of them, or ``owner``'s."""
        with self._lock:
            return sum(1 for o in self._stuck.values() if owner is None or o is owner)

    def full(self, owner: object) -> bool:
        """``owner`` left as many threads stuck as allowed: start no more for it."""
        return self.stuck(owner) >= self.max_stuck

    def start(self, owner: object, fn: Callable[..., T], *args: Any) -> Future[T]:
        """``fn(*args)`` on a new thread, in the caller's context (a judge records its spend in a context variable)."""
        future: Future[T] = Future()
        context = contextvars.copy_context()

        def work() -> None:
            if not future.set_running_or_notify_cancel():
                return  # abandoned before it started: never run
            try:
                future.set_result(context.run(fn, *args))
            except BaseException as exc:  # the caller's guard turns it into a failed check
                future.set_exception(exc)
            finally:
                with self._lock:
                    self._stuck.pop(future, None)

        threading.Thread(target=work, name="litellm-router-ext-check", daemon=True).start()
        return future

    def abandon(self, owner: object, future: Future[Any]) -> None:
        """The caller stopped waiting for ``future``: its thread counts as ``owner``'s stuck one until it returns."""
        with self._lock:
            if not future.cancel() and not future.done():
                self._stuck[future] = owner

    async def run(self, owner: object, fn: Callable[..., T], *args: Any) -> T:
        """Await ``fn(*args)`` on a thread; a caller that stops waiting (its time limit) abandons the thread."""
        future = self.start(owner, fn, *args)
        try:
            return await asyncio.wrap_future(future)
        except asyncio.CancelledError:
            self.abandon(owner, future)
            raise


CHECK_THREADS = CheckThreads()
"""The process's check threads, for every router: they share nothing but this count of stuck ones."""
