"""Threads for checks that may block (user code, judge calls), so a check that hangs costs no other check anything.

Each blocking check runs on a thread of its own while its caller waits at most ``validator_timeout_s``. A thread
cannot be killed, so one that overruns is abandoned: it runs on, counted as ``stuck``, until it returns. A shared
pool (8 threads, or the event loop's default executor) was filled by as many hung checks, and every router's checks
then queued behind them and timed out. ``MAX_PER_CHECK`` bounds the threads one check (one validator of one router)
has at once, running or stuck: the place is taken before the thread starts, so a burst of requests cannot pass the
bound together. A check at the bound is not started (``ChecksBusy``: a failed check, the answer climbs) until some
of its threads return; other checks still run.
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

T = TypeVar("T")
MAX_PER_CHECK = 64
"""Threads one check may have at once, running or stuck past its time limit (the old shared pool had 8)."""


class ChecksBusy(RuntimeError):
    """The check already has ``MAX_PER_CHECK`` threads; this run is not started."""


class CheckThreads:
    """Starts blocking calls on daemon threads (a hung one must not hold up interpreter exit), at most ``max_per_check``
    at once per check (``owner``), and counts the ones whose caller stopped waiting (``stuck``)."""

    def __init__(self, max_per_check: int = MAX_PER_CHECK) -> None:
        self.max_per_check = max_per_check
        self._lock = threading.Lock()
        self._owner: dict[Future[Any], object] = {}  # every started call until its thread returns
        self._per_owner: Counter[int] = Counter()  # by id(owner): the owner outlives its futures
        self._abandoned: set[Future[Any]] = set()

    def stuck(self, owner: object = None) -> int:
        """Threads still running a call whose caller stopped waiting: all of them, or ``owner``'s."""
        with self._lock:
            return self._stuck(owner)

    def _stuck(self, owner: object) -> int:  # under the lock
        return sum(1 for f in self._abandoned if owner is None or self._owner.get(f) is owner)

    def running(self, owner: object) -> int:
        """``owner``'s threads that have not returned, stuck ones included."""
        with self._lock:
            return self._per_owner[id(owner)]

    def start(self, owner: object, fn: Callable[..., T], *args: Any) -> Future[T]:
        """``fn(*args)`` on a new thread, in the caller's context (a judge records its spend in a context variable);
        ``ChecksBusy`` when ``owner`` has ``max_per_check`` threads already."""
        future: Future[T] = Future()
        with self._lock:
            if self._per_owner[id(owner)] >= self.max_per_check:
                raise ChecksBusy(f"not started: {self.max_per_check} runs of this check have not returned "
                                 f"({self._stuck(owner)} past their time limit)")
            self._owner[future] = owner
            self._per_owner[id(owner)] += 1
        context = contextvars.copy_context()

        def work() -> None:
            try:
                if future.set_running_or_notify_cancel():  # else abandoned before it started: never run
                    try:
                        future.set_result(context.run(fn, *args))
                    except BaseException as exc:  # the caller's guard turns it into a failed check
                        future.set_exception(exc)
            finally:
                self._release(owner, future)

        try:
            threading.Thread(target=work, name="litellm-router-ext-check", daemon=True).start()
        except BaseException:  # "can't start new thread": give the place back, the caller fails the check
            self._release(owner, future)
            raise
        return future

    def _release(self, owner: object, future: Future[Any]) -> None:
        with self._lock:
            if self._owner.pop(future, None) is None:
                return
            self._abandoned.discard(future)
            self._per_owner[id(owner)] -= 1
            if not self._per_owner[id(owner)]:
                del self._per_owner[id(owner)]

    def abandon(self, future: Future[Any]) -> None:
        """The caller stopped waiting for ``future``: its thread counts as stuck until it returns."""
        with self._lock:
            if not future.cancel() and future in self._owner:
                self._abandoned.add(future)

    async def run(self, owner: object, fn: Callable[..., T], *args: Any) -> T:
        """Await ``fn(*args)`` on a thread; a caller that stops waiting (its time limit) abandons the thread."""
        future = self.start(owner, fn, *args)
        try:
            return await asyncio.wrap_future(future)
        except asyncio.CancelledError:
            self.abandon(future)
            raise


CHECK_THREADS = CheckThreads()
"""The process's check threads, for every router: they share nothing but these counts."""
