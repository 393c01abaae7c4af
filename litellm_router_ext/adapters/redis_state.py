"""Routing state on Redis, shared by every proxy instance, built from LiteLLM's own Redis settings.

Redis is never on the request's critical path for correctness: any Redis error switches this process to
local state for ``retry_after_s`` (one warning per outage), counts made meanwhile are kept and written
to Redis when it answers again, and no request fails because Redis did.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
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
_CONVERSATION_TTL_S = 86_400
_COUNTER_TTL_S = 4 * 3600


class RedisState:
    """A ``CounterStore`` and a ``ConversationMemory`` on one Redis client, with local fallback."""

    def __init__(self, config: StateConfig, client: Any | None = None) -> None:
        settings = {"socket_connect_timeout": 0.25, "socket_timeout": 0.25, **config.redis}
        self.client = client if client is not None else get_redis_client(**settings)
        self.prefix = config.key_prefix
        self.retry_after_s = config.retry_after_s
        self._down_until = 0.0
        self._lock = threading.Lock()
        self._pending = InMemoryCounterStore()
        self._pending_keys: set[tuple[str, int]] = set()
        self._local_memory = InMemoryConversationMemory()

    # ------------------------------------------------------------------ health

    @property
    def degraded(self) -> bool:
        """True while Redis is being skipped after an error."""
        return time.monotonic() < self._down_until

    def _failed(self, exc: BaseException) -> None:
        with self._lock:
            first = not self.degraded
            self._down_until = time.monotonic() + self.retry_after_s
        if first:
            log.warning("Redis unavailable (%s); routing state is local to this process for now", type(exc).__name__)

    def _flush_pending(self) -> None:
        """Write counts made during an outage, so shared counters lose nothing."""
        with self._lock:
            keys, self._pending_keys = self._pending_keys, set()
            pending, self._pending = self._pending, InMemoryCounterStore()
        if not keys:
            return
        try:
            pipe = self.client.pipeline(transaction=False)
            for key, bucket in keys:
                for name, value in pending.total(key, range(bucket, bucket + 1)).items():
                    pipe.hincrby(self._bucket_key(key, bucket), name, value)
                pipe.expire(self._bucket_key(key, bucket), _COUNTER_TTL_S)
            pipe.execute()
            log.warning("Redis is back; %d bucket(s) of local counts written", len(keys))
        except Exception as exc:
            with self._lock:  # put them back for the next attempt
                for key, bucket in keys:
                    self._pending.add(key, bucket, pending.total(key, range(bucket, bucket + 1)))
                    self._pending_keys.add((key, bucket))
            self._failed(exc)

    # ------------------------------------------------------------------ CounterStore

    def _bucket_key(self, key: str, bucket: int) -> str:
        return f"{self.prefix}:{key}:{bucket}"

    def add(self, key: str, bucket: int, counts: Mapping[str, int]) -> None:
        if not self.degraded:
            try:
                if self._pending_keys:
                    self._flush_pending()
                pipe = self.client.pipeline(transaction=False)
                for name, value in counts.items():
                    if value:
                        pipe.hincrby(self._bucket_key(key, bucket), name, value)
                pipe.expire(self._bucket_key(key, bucket), _COUNTER_TTL_S)
                pipe.execute()
                return
            except Exception as exc:
                self._failed(exc)
        with self._lock:
            self._pending.add(key, bucket, counts)
            self._pending_keys.add((key, bucket))

    def total(self, key: str, buckets: range) -> dict[str, int]:
        local = self._pending.total(key, buckets)
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
            return out
        except Exception as exc:
            self._failed(exc)
            return local

    # ------------------------------------------------------------------ ConversationMemory

    def get(self, key: str) -> int | None:
        if not self.degraded:
            try:
                value = self.client.get(f"{self.prefix}:conv:{key}")
                return int(value) if value is not None else self._local_memory.get(key)
            except Exception as exc:
                self._failed(exc)
        return self._local_memory.get(key)

    def put(self, key: str, tier_index: int) -> None:
        self._local_memory.put(key, tier_index)
        if self.degraded:
            return
        try:
            self.client.eval(_KEEP_MAX_SCRIPT, 1, f"{self.prefix}:conv:{key}", tier_index, _CONVERSATION_TTL_S)
        except Exception as exc:
            self._failed(exc)
