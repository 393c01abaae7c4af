"""Routing state on Redis, shared by every proxy instance, built from LiteLLM's own Redis settings.

Redis is never on the request's critical path for correctness: any Redis error switches this process to
local state for ``retry_after_s`` (one warning per outage), counts made meanwhile are kept and written
to Redis when it answers again, and no request fails because Redis did.

Writes leave the request path: counts and conversation tiers are queued locally and a background thread
writes them as one batch every ``flush_s`` (``flush_s: 0`` writes them inline). Reads stay inline:
``get`` is the one round trip a request pays, because a follow-up may land on another instance.

Each batch is applied once: a batch whose reply was lost (a stalled Redis runs it later) is re-sent with
the same id, and a guard key makes the second run a no-op. Conversation tiers only ever rise (keep-max).
"""
from __future__ import annotations

import atexit
import logging
import os
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from litellm._redis import get_redis_client

from ..config import StateConfig
from ..state import InMemoryConversationMemory, InMemoryCounterStore

log = logging.getLogger("litellm_router_ext")

_KEEP_MAX_SCRIPT = """
local v = redis.call('GET', KEYS[1])
if (not v) or tonumber(v) < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2]) end
return 1
"""
# KEYS[1]: the batch's guard; KEYS[2..]: counter hashes. ARGV[1]: guard TTL, ARGV[2]: counter TTL, then per
# counter hash its field count n and n (field, increment) pairs.
_APPLY_ONCE_SCRIPT = """
if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then return 0 end
local a = 3
for k = 2, #KEYS do
  local n = tonumber(ARGV[a]); a = a + 1
  for _ = 1, n do
    redis.call('HINCRBY', KEYS[k], ARGV[a], ARGV[a + 1]); a = a + 2
  end
  redis.call('EXPIRE', KEYS[k], ARGV[2])
end
return 1
"""
_CONVERSATION_TTL_S = 86_400
_COUNTER_TTL_S = 4 * 3600
_BATCH_GUARD_TTL_S = 3600  # a batch re-sent within this is applied once; the guard outlives any sane stall


@dataclass(frozen=True)
class _Batch:
    id: str
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
        self._outage = False
        self._lock = threading.Lock()
        self._pending = InMemoryCounterStore()
        self._pending_keys: set[tuple[str, int]] = set()
        self._pending_tiers: dict[str, int] = {}
        self._unacked: _Batch | None = None  # sent, reply not seen: re-sent as is until Redis confirms it
        self._local_memory = InMemoryConversationMemory()
        self._stop = threading.Event()
        self._writer: threading.Thread | None = None
        self._writer_pid = 0

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
            log.warning("Redis unavailable (%s); routing state is local to this process for now", type(exc).__name__)

    def _answered(self, written: int = 0) -> None:
        if self._outage:
            self._outage = False
            log.warning("Redis is back; %d bucket(s) of local counts written", written)

    # ------------------------------------------------------------------ writes

    def _queued(self) -> None:
        if self.flush_s == 0:
            self.flush()
        elif self._writer is None or self._writer_pid != os.getpid():
            self._start_writer()

    def _start_writer(self) -> None:
        # Per process: a proxy that forks its workers after loading the config starts one in each worker.
        with self._lock:
            if self._writer is not None and self._writer_pid == os.getpid():
                return
            first = self._writer is None
            self._writer_pid = os.getpid()
            self._writer = threading.Thread(target=self._write_loop, name="litellm-router-ext-redis", daemon=True)
            self._writer.start()
        if first:
            atexit.register(self.close)

    def _write_loop(self) -> None:
        while not self._stop.wait(self.flush_s):
            self.flush()

    def flush(self) -> None:
        """Write the queued counts and conversation tiers as one batch (kept for later while Redis is away)."""
        if self.degraded:
            return
        with self._lock:
            if self._unacked is None and (self._pending_keys or self._pending_tiers):
                counts = {(key, bucket): self._pending.total(key, range(bucket, bucket + 1))
                          for key, bucket in self._pending_keys}
                self._unacked = _Batch(uuid.uuid4().hex, counts, self._pending_tiers)
                self._pending, self._pending_keys, self._pending_tiers = InMemoryCounterStore(), set(), {}
            batch = self._unacked
        if batch is None:
            return
        try:
            self._send(batch)
        except Exception as exc:
            self._failed(exc)
            return
        with self._lock:
            if self._unacked is batch:
                self._unacked = None
        self._answered(len(batch.counts))

    def _send(self, batch: _Batch) -> None:
        keys = [self._bucket_key(key, bucket) for key, bucket in batch.counts]
        args: list[Any] = [_BATCH_GUARD_TTL_S, _COUNTER_TTL_S]
        for fields in batch.counts.values():
            nonzero = [(name, value) for name, value in fields.items() if value]
            args.append(len(nonzero))
            for name, value in nonzero:
                args += [name, value]
        pipe = self.client.pipeline(transaction=False)
        pipe.eval(_APPLY_ONCE_SCRIPT, 1 + len(keys), f"{self.prefix}:batch:{batch.id}", *keys, *args)
        for key, tier in batch.tiers.items():
            pipe.eval(_KEEP_MAX_SCRIPT, 1, f"{self.prefix}:conv:{key}", tier, _CONVERSATION_TTL_S)
        pipe.execute()

    def close(self) -> None:
        """Stop the background writer after a last flush (also run at interpreter exit)."""
        self._stop.set()
        self.flush()

    # ------------------------------------------------------------------ CounterStore

    def _bucket_key(self, key: str, bucket: int) -> str:
        return f"{self.prefix}:{key}:{bucket}"

    def add(self, key: str, bucket: int, counts: Mapping[str, int]) -> None:
        with self._lock:
            self._pending.add(key, bucket, counts)
            self._pending_keys.add((key, bucket))
        self._queued()

    def total(self, key: str, buckets: range) -> dict[str, int]:
        """Redis's counts plus this process's not yet written ones (a batch being written may be missed)."""
        with self._lock:
            local = self._pending.total(key, buckets)
            if self._unacked is not None:
                for name, value in self._unacked.total(key, buckets).items():
                    local[name] = local.get(name, 0) + value
        if self.degraded:
            return local
        try:
            pipe = self.client.pipeline(transaction=False)
            for bucket in buckets:
                pipe.hgetall(self._bucket_key(key, bucket))
            out: dict[str, int] = dict(local)
            for fields in pipe.execute():
                for name, value in fields.items():
                    name = name.decode() if isinstance(name, bytes) else name
                    out[name] = out.get(name, 0) + int(value)
        except Exception as exc:
            self._failed(exc)
            return local
        if self._unacked is None and not self._pending_keys:  # else the writer reports the recovery with its count
            self._answered()
        return out

    # ------------------------------------------------------------------ ConversationMemory

    def get(self, key: str) -> int | None:
        local = self._local_memory.get(key)
        if self.degraded:
            return local
        try:
            value = self.client.get(f"{self.prefix}:conv:{key}")
        except Exception as exc:
            self._failed(exc)
            return local
        if self._unacked is None and not self._pending_keys:
            self._answered()
        if value is None:
            return local
        return int(value) if local is None else max(int(value), local)  # this process's tier may be unwritten

    def put(self, key: str, tier_index: int) -> None:
        self._local_memory.put(key, tier_index)
        with self._lock:
            self._pending_tiers[key] = max(tier_index, self._pending_tiers.get(key, tier_index))
        self._queued()
