"""Routing state on Redis, shared by every proxy instance, built from LiteLLM's own Redis settings.

Redis is never on the request's critical path for correctness: any Redis error switches this process to
local state for ``retry_after_s`` (one warning per outage), counts made meanwhile are kept and written
to Redis when it answers again, and no request fails because Redis did.

Writes leave the request path: counts and conversation tiers are queued locally and a background thread
writes them as one batch every ``flush_s`` (``flush_s: 0`` writes them inline). Reads stay inline: the
conversation lookup a follow-up needs (it may land on another instance), and the monitor's refresh every
few seconds.

Each batch is applied once. A writer (one per process) numbers its batches and sends the next only after
Redis confirmed the last; a batch whose reply was lost (a stalled Redis runs it later) is re-sent with its
number, and the script skips numbers it has seen. Conversation tiers only ever rise (keep-max). Every key
carries the prefix as a hash tag, so one script touches one slot and Redis Cluster works too.
"""

from __future__ import annotations

import atexit
import logging
import multiprocessing.util
import os
import threading
import time
import uuid
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from litellm._redis import get_redis_client
from redis import exceptions as redis_exceptions

from ..config import MAX_MONITOR_WINDOW_S, StateConfig
from ..state import InMemoryConversationMemory

log = logging.getLogger("litellm_router_ext")

# KEYS[1]: the writer's last applied batch number; KEYS[2 .. n+1]: counter hashes; KEYS[n+2 ..]: conversation
# keys. ARGV: batch number, writer-key TTL, counter TTL, conversation TTL, n, then per counter hash its field
# count m and m (field, increment) pairs, then one tier per conversation key.
# Writes use pcall: a key someone else broke (WRONGTYPE) is skipped, never a batch half applied and then
# re-sent; the batch number is recorded last.
_APPLY_ONCE_SCRIPT = """
local seq = tonumber(ARGV[1])
if seq <= tonumber(redis.call('GET', KEYS[1]) or '0') then return 0 end
local n = tonumber(ARGV[5])
local a = 6
for k = 2, n + 1 do
  local m = tonumber(ARGV[a]); a = a + 1
  for _ = 1, m do
    redis.pcall('HINCRBY', KEYS[k], ARGV[a], ARGV[a + 1]); a = a + 2
  end
  redis.pcall('EXPIRE', KEYS[k], ARGV[3])
end
for k = n + 2, #KEYS do
  local tier = tonumber(ARGV[a]); a = a + 1
  local v = redis.pcall('GET', KEYS[k])
  if type(v) ~= 'string' or (tonumber(v) or -1) < tier then redis.pcall('SET', KEYS[k], tier, 'EX', ARGV[4]) end
end
redis.call('SET', KEYS[1], seq, 'EX', ARGV[2])
return 1
"""
# KEYS[1]: a writer's last applied batch number; KEYS[2..]: counter hashes. Read in one step, so the number
# and the counts agree.
_READ_SCRIPT = """
local out = {redis.call('GET', KEYS[1]) or '0'}
for k = 2, #KEYS do out[#out + 1] = redis.call('HGETALL', KEYS[k]) end
return out
"""
_CONVERSATION_TTL_S = 86_400
# the longest monitor window (config validates it); also the writer key's TTL: a batch re-sent while its
# buckets still count is skipped
_COUNTER_TTL_S = MAX_MONITOR_WINDOW_S
_MAX_PENDING_TIERS = 50_000  # conversation tiers queued through a long outage: the oldest go first
_MAX_BATCH_KEYS = 1_000  # one script stays short on the server even after a long outage's backlog
_MAX_ROUNDS = 8  # batches one flush() call sends; the rest waits for the next call
_CLOSE_TRIES = 3

_LIVE: weakref.WeakSet[RedisState] = weakref.WeakSet()


@dataclass(frozen=True)
class _Batch:
    seq: int
    counts: dict[tuple[str, int], dict[str, int]]
    tiers: dict[str, int]

    def total(self, key: str, buckets: range) -> dict[str, int]:
        out: dict[str, int] = {}
        for (k, bucket), fields in self.counts.items():
            if k == key and bucket in buckets:
                for name, value in fields.items():
                    out[name] = out.get(name, 0) + value
        return out


class RedisState:
    """A ``CounterStore`` and a ``ConversationMemory`` on one Redis client, with local fallback."""

    def __init__(self, config: StateConfig, client: Any | None = None) -> None:
        settings = {"socket_connect_timeout": 0.25, "socket_timeout": 0.25, **config.redis}
        self.client = client if client is not None else get_redis_client(**settings)
        self.prefix = config.key_prefix
        self.retry_after_s = config.retry_after_s
        self.flush_s = config.flush_s
        self._down_until = 0.0
        self._reset_writer()
        _LIVE.add(self)

    def _reset_writer(self) -> None:
        """Fresh locks, queues and writer identity: at start, and in a forked child (the parent writes its own)."""
        self._lock = threading.Lock()
        self._sending = threading.Lock()  # one sender at a time; others leave their counts to it
        self._local_memory = InMemoryConversationMemory()
        self._outage = False
        self._pending: dict[tuple[str, int], dict[str, int]] = {}
        self._pending_tiers: dict[str, int] = {}
        self._unacked: _Batch | None = None  # sent, reply not seen: re-sent as is until Redis confirms it
        self._writer_key = self._key(f"writer:{uuid.uuid4().hex}")
        self._seq = 0
        self._stop = threading.Event()
        self._writer: threading.Thread | None = None

    def _key(self, name: str) -> str:
        return f"{{{self.prefix}}}:{name}"  # the hash tag keeps every key in one cluster slot

    # ------------------------------------------------------------------ health

    @property
    def degraded(self) -> bool:
        """True while Redis is being skipped after an error."""
        return time.monotonic() < self._down_until

    def _failed(self, exc: BaseException) -> None:
        with self._lock:
            first = not self._outage  # the writer retries every retry_after_s: one warning per outage, not per try
            self._down_until = time.monotonic() + self.retry_after_s
            self._outage = True
        if first:
            # A refusal (no permission for EVAL, a wrong key type) says why; a lost connection has nothing to add.
            detail = f": {exc}" if isinstance(exc, redis_exceptions.ResponseError) else ""
            log.warning("Redis unavailable (%s%s); routing state is local to this process for now",
                        type(exc).__name__, detail)

    def _answered(self, written: int | None = None) -> None:
        """Redis replied: end an outage. Reads pass ``None`` and leave that to the writer while it has a backlog."""
        with self._lock:
            if not self._outage or (written is None and self._queued_locked()):
                return
            self._outage = False
        log.warning("Redis is back; %d bucket(s) of local counts written", written or 0)

    def _queued_locked(self) -> bool:
        return bool(self._unacked or self._pending or self._pending_tiers)

    # ------------------------------------------------------------------ writes

    def _queued(self) -> None:
        if self.flush_s == 0 or self._stop.is_set():
            self.flush()
        elif self._writer is None or not self._writer.is_alive():
            with self._lock:
                if self._writer is None or not self._writer.is_alive():
                    self._writer = threading.Thread(target=self._write_loop, name="litellm-router-ext-redis",
                                                    daemon=True)
                    self._writer.start()

    def _write_loop(self) -> None:
        while not self._stop.wait(self.flush_s):
            self.flush()

    def flush(self, *, force: bool = False) -> bool:
        """Write what is queued, one batch at a time; False when Redis failed (all kept for later).

        One thread sends at a time: a call that finds a send under way returns, and that sender takes the
        new counts in its next batch. ``force`` tries even while Redis is skipped after an error (shutdown).
        """
        if self.degraded and not force:
            return False
        if not self._sending.acquire(blocking=False):
            return True
        written = 0
        try:
            for _ in range(_MAX_ROUNDS):
                batch = self._next_batch()
                if batch is None:
                    break
                try:
                    self._send(batch)
                except Exception as exc:
                    self._failed(exc)
                    return False
                with self._lock:
                    self._unacked = None
                written += len(batch.counts)
        finally:
            self._sending.release()
        if written:
            self._answered(written)
        return True

    def _next_batch(self) -> _Batch | None:
        """The unconfirmed batch again, else a new one from the queue (at most ``_MAX_BATCH_KEYS`` keys)."""
        with self._lock:
            if self._unacked is None and (self._pending or self._pending_tiers):
                counts = {k: self._pending.pop(k) for k in list(self._pending)[:_MAX_BATCH_KEYS]}
                room = _MAX_BATCH_KEYS - len(counts)
                tiers = {k: self._pending_tiers.pop(k) for k in list(self._pending_tiers)[:room]}
                self._seq += 1
                self._unacked = _Batch(self._seq, counts, tiers)
            return self._unacked

    def _send(self, batch: _Batch) -> None:
        counters = [(self._bucket_key(key, bucket), fields) for (key, bucket), fields in batch.counts.items()]
        args: list[Any] = [batch.seq, _COUNTER_TTL_S, _COUNTER_TTL_S, _CONVERSATION_TTL_S, len(counters)]
        for _, fields in counters:
            nonzero = [(name, value) for name, value in fields.items() if value]
            args.append(len(nonzero))
            for name, value in nonzero:
                args += [name, value]
        args += list(batch.tiers.values())
        keys = [self._writer_key, *(k for k, _ in counters), *(self._conversation_key(k) for k in batch.tiers)]
        self.client.eval(_APPLY_ONCE_SCRIPT, len(keys), *keys, *args)

    def close(self) -> None:
        """Stop the background writer and write what is queued (a few tries, even right after an error)."""
        self._stop.set()
        writer = self._writer
        if writer is not None and writer.is_alive() and writer is not threading.current_thread():
            writer.join(timeout=self.flush_s + 1.0)
        for _ in range(_CLOSE_TRIES):
            if self.flush(force=True):
                return

    # ------------------------------------------------------------------ CounterStore

    def _bucket_key(self, key: str, bucket: int) -> str:
        return self._key(f"{key}:{bucket}")

    def add(self, key: str, bucket: int, counts: Mapping[str, int]) -> None:
        with self._lock:
            fields = self._pending.setdefault((key, bucket), {})
            for name, value in counts.items():
                fields[name] = fields.get(name, 0) + value
        self._queued()

    def total(self, key: str, buckets: range) -> dict[str, int]:
        """Redis's counts plus this process's not yet written ones, each counted once."""
        with self._lock:
            queued = _Batch(self._seq + 1, {k: dict(v) for k, v in self._pending.items() if k[0] == key}, {})
            unacked = self._unacked
        local = [b for b in (unacked, queued) if b is not None]
        if not self.degraded:
            try:
                keys = [self._writer_key, *(self._bucket_key(key, bucket) for bucket in buckets)]
                applied, *rows = self.client.eval(_READ_SCRIPT, len(keys), *keys)
            except Exception as exc:
                self._failed(exc)
            else:
                self._answered()
                out: dict[str, int] = {}
                for flat in rows:
                    out = _plus(out, {_text(flat[i]): int(flat[i + 1]) for i in range(0, len(flat), 2)})
                # A batch Redis already applied (its reply lost, or sent since the copy above) is in ``out``.
                for batch in local:
                    if int(applied) < batch.seq:
                        out = _plus(out, batch.total(key, buckets))
                return out
        out = {}
        for batch in local:
            out = _plus(out, batch.total(key, buckets))
        return out

    # ------------------------------------------------------------------ ConversationMemory

    def _conversation_key(self, key: str) -> str:
        return self._key(f"conv:{key}")

    def get(self, key: str) -> int | None:
        local = self._local_memory.get(key)
        if self.degraded:
            return local
        try:
            value = self.client.get(self._conversation_key(key))
        except Exception as exc:
            self._failed(exc)
            return local
        self._answered()
        if value is None:
            return local
        return int(value) if local is None else max(int(value), local)  # this process's tier may be unwritten

    def put(self, key: str, tier_index: int) -> None:
        self._local_memory.put(key, tier_index)
        with self._lock:
            self._pending_tiers[key] = max(tier_index, self._pending_tiers.get(key, tier_index))
            if len(self._pending_tiers) > _MAX_PENDING_TIERS:
                del self._pending_tiers[next(iter(self._pending_tiers))]
        self._queued()


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _plus(a: Mapping[str, int], b: Mapping[str, int]) -> dict[str, int]:
    out = dict(a)
    for name, value in b.items():
        out[name] = out.get(name, 0) + value
    return out


def _after_fork_in_child() -> None:
    # The child inherits the parent's queue, which the parent writes itself: start empty, under a new writer id.
    for state in list(_LIVE):
        state._reset_writer()


def _close_all() -> None:
    for state in list(_LIVE):
        state.close()


def _flush_when_the_child_exits(_: object) -> None:
    # A multiprocessing child ends in os._exit, which skips atexit; its exit function runs these finalizers.
    multiprocessing.util.Finalize(None, _close_all, exitpriority=10)


os.register_at_fork(after_in_child=_after_fork_in_child)
multiprocessing.util.register_after_fork(_close_all, _flush_when_the_child_exits)
atexit.register(_close_all)
