"""The LiteLLM proxy drop-in: ``tiered/<alias>`` inside ``litellm --config config.yaml``.

Two objects are referenced from the proxy's config.yaml (through ``litellm_router_ext.proxy``)::

    litellm_settings:
      custom_provider_map: [{provider: tiered, custom_handler: litellm_router_ext.proxy.tiered_provider}]
      callbacks: litellm_router_ext.proxy.router_headers

- ``ProxyTieredProvider`` reads the router config on the first request (``LITELLM_ROUTER_EXT_CONFIG``, else
  ``router.yaml`` beside the proxy's config.yaml) and dispatches every tier through the proxy's own
  ``llm_router``, so the proxy's deployments, retries, cooldowns, fallbacks and limits apply to each attempt.
  Tier models must name model groups of the proxy's ``model_list``.
- ``RouterHeaders`` (a LiteLLM ``CustomLogger``) puts ``x-router-tier``, ``x-router-model``,
  ``x-router-escalations`` and ``x-router-cost-usd`` on every response, streaming included. The values come
  from the ``Decision``; no prompt or answer text is ever put in a header or log record. Its pre-call hook
  refuses a malformed chat request for a tiered model with a 400 before LiteLLM's own preprocessing, which
  turns some (``"content": 42``, ``"messages": false``, an unknown content part type, ``Infinity`` in a
  tool schema) into a 500. For a router with ``dispatch: precall`` its hooks also do the routing: the pre-call
  hook picks the tier and rewrites the request to it, and the success hook checks the answer and climbs the
  ladder when a check fails.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import sys
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml
from litellm import OPENAI_CHAT_COMPLETION_PARAMS
from litellm.integrations.custom_logger import CustomLogger

from ..check import ModelFacts
from ..config import TierConfig, load_config
from ..errors import ConfigError, RequestError, UnknownRouterError
from ..recipes import unset_env
from ..types import Attempt, Decision, RequestView
from .capabilities import quiet_litellm, supports_logprobs
from .provider import DECISION_KEY, TieredProvider, _translated, decision_headers, router_settings_problems
from .runtime import TieredRouter, response_answers, stream_answers

log = logging.getLogger("litellm_router_ext")
CONFIG_ENV = "LITELLM_ROUTER_EXT_CONFIG"
_PRECALL_KEY = "tiered_precall_id"
_V = TypeVar("_V")
DEFAULT_ROUTER_FILE = "router.yaml"
# LiteLLM's prefixed copies of the x-router-* values the provider leaves in ``additional_headers``.
_PREFIXED_HEADERS = frozenset(f"llm_provider-{name}" for name in decision_headers({}))
# What a precall cascade's later attempts send beside the messages: the client's chat parameters, not its
# transport (credentials, endpoints, timeouts, retries are the proxy's deployments' business) nor streaming.
_NOT_FORWARDED = frozenset({"stream", "stream_options", "api_base", "api_version", "api_key", "deployment_id",
                            "organization", "base_url", "default_headers", "extra_headers", "request_timeout",
                            "timeout", "max_retries"})
_ATTEMPT_PARAMS = frozenset(OPENAI_CHAT_COMPLETION_PARAMS) - _NOT_FORWARDED


@dataclass
class _Precall:
    """A request dispatched before the call, between the pre-call hook and its response."""

    runtime: TieredRouter
    decision: Decision
    messages: list[Any]
    requested: str
    """The model name the client called (a precall answer says it, as every proxy answer does)."""
    params: dict[str, Any]
    """The client's chat parameters, before the pre-call hook added what the checks need."""
    sent: float
    """``perf_counter()`` when the pre-call hook let the request go."""
    record: dict[str, Any]
    """The decision as LiteLLM's logging payload carries it (``metadata.spend_logs_metadata``) on the row of the
    call whose answer is delivered: filled in place once the request is decided (for the proxy's own call,
    before LiteLLM logs it)."""

    def publish(self) -> None:
        """Put the final decision where the logging payload reads it."""
        self.record.clear()
        self.record.update(self.decision.to_dict())


def router_config_path() -> Path:
    """Where the proxy's router config lives: ``$LITELLM_ROUTER_EXT_CONFIG`` (a relative path is read from the
    proxy's working directory; ``ConfigError`` naming the variable and the absolute path when no file is there),
    else router.yaml beside config.yaml."""
    explicit = os.environ.get(CONFIG_ENV)
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            relative = "" if path.is_absolute() else (
                f" (a relative path is read from the proxy's working directory, {Path.cwd()})")
            raise ConfigError(f"no file at {path.resolve()}{relative}; set it to the path of a router config YAML",
                              file=f"${CONFIG_ENV}={explicit}")
        return path
    from litellm.proxy import proxy_server

    proxy_config = getattr(proxy_server, "user_config_file_path", None)
    if proxy_config:
        return Path(proxy_config).resolve().parent / DEFAULT_ROUTER_FILE
    raise ConfigError(
        f"no router config: set {CONFIG_ENV}=/path/to/router.yaml, or put {DEFAULT_ROUTER_FILE} next to the "
        "proxy's config.yaml (`litellm-router recipes install NAME --out DIR` writes both)"
    )


def warn_unset_env() -> None:
    """Log each ``os.environ/NAME`` in the proxy config's deployments whose variable is unset or empty. LiteLLM starts
    without a word and sends such a deployment where its defaults point: a local tier whose ``api_base`` variable is
    missing goes to ``OPENAI_API_BASE`` (or api.openai.com), answered by another model and reported as the local
    tier. Only in a running proxy (its module already imported: importing it moves ``sys.path``), never with a
    secret manager (it resolves the names, not the environment), and never failing the request it runs in."""
    proxy_server = sys.modules.get("litellm.proxy.proxy_server")
    proxy_config = getattr(proxy_server, "user_config_file_path", None)
    try:
        data = yaml.safe_load(Path(proxy_config).read_text(encoding="utf-8-sig")) if proxy_config else None
        if not isinstance(data, Mapping):
            return
        settings = data.get("general_settings")
        if isinstance(settings, Mapping) and settings.get("key_management_system"):
            return
        model_list = data.get("model_list")
        for i, deployment in enumerate(model_list if isinstance(model_list, list) else []):
            params = deployment.get("litellm_params") if isinstance(deployment, Mapping) else None
            for key, name in unset_env(params, os.environ):
                log.warning("%s, key 'model_list[%d].litellm_params.%s': environment variable %s is unset or empty, so "
                            "LiteLLM uses its default there (for an api_base, OPENAI_API_BASE or the provider's own "
                            "address); export %s and restart the proxy", proxy_config, i, key, name, name)
    except Exception as exc:  # a diagnostic: whatever stops it is not worth a failed request
        log.debug("could not look for unset environment variables in %s: %r", proxy_config, exc)


class _ProxyRouter:
    """Stands in for the proxy's ``llm_router``, looked up on every use so a proxy reload is followed."""

    def _current(self) -> Any:
        from litellm.proxy import proxy_server

        router = proxy_server.llm_router
        if router is None:
            raise ConfigError(
                "the LiteLLM proxy has no model_list; add the tier model groups to config.yaml's model_list"
            )
        return router

    def __getattr__(self, name: str) -> Any:
        return getattr(self._current(), name)


class ProxyTieredProvider(TieredProvider):
    """A ``TieredProvider`` that configures itself from a router file on first use, inside the proxy."""

    def __init__(self, config_path: str | Path | None = None) -> None:
        super().__init__()
        self._config_path = Path(config_path) if config_path is not None else None
        self._loaded = False
        self._lock = threading.Lock()

    def load(self, router: Any | None = None) -> None:
        """Build one ``TieredRouter`` per router in the config; idempotent. ``router`` defaults to the proxy's."""
        with self._lock:
            if self._loaded:
                return
            path = self._config_path or router_config_path()
            file = load_config(path)
            target = router if router is not None else _ProxyRouter()
            self.add_file(file, target, source=str(path), require_groups=True)
            self._loaded = True
            warn_unset_env()

    def runtime(self, alias: str) -> TieredRouter:
        if not self._loaded:
            self.load()
        try:
            return self.routers[alias]
        except KeyError:
            where = (f"the router file ${CONFIG_ENV} names" if os.environ.get(CONFIG_ENV)
                     else f"the proxy's router file ({DEFAULT_ROUTER_FILE} beside its config.yaml, or ${CONFIG_ENV})")
            raise UnknownRouterError(alias, list(self.routers), where) from None


def _chunk_decision(chunk: Any) -> Mapping[str, Any] | None:
    try:
        fields = chunk.choices[0].delta.provider_specific_fields or {}
    except (AttributeError, IndexError, TypeError):
        return None
    record = fields.get(DECISION_KEY) if isinstance(fields, Mapping) else None
    return record if isinstance(record, Mapping) else None


def _drop_top_level_decision(chunk: Any) -> None:
    """Remove the chunk-level copy LiteLLM makes of a custom provider's ``provider_specific_fields`` keys."""
    extra = getattr(chunk, "model_extra", None)
    if isinstance(extra, dict) and DECISION_KEY in extra:
        delattr(chunk, DECISION_KEY)


def _put_delta_decision(chunk: Any, decision: Decision) -> bool:
    """Put the decision on the chunk's first delta, as the provider does on a tiered stream; False if it has none."""
    try:
        delta = chunk.choices[0].delta
    except (AttributeError, IndexError):
        return False
    fields = getattr(delta, "provider_specific_fields", None)
    kept = fields if isinstance(fields, Mapping) else {}
    delta.provider_specific_fields = {**kept, DECISION_KEY: decision.to_dict()}
    return True


def _drop_delta_decision(chunk: Any) -> None:
    for choice in getattr(chunk, "choices", None) or []:
        delta: Any = getattr(choice, "delta", None)
        fields = getattr(delta, "provider_specific_fields", None)
        if isinstance(fields, Mapping) and DECISION_KEY in fields:
            rest = {k: v for k, v in fields.items() if k != DECISION_KEY}
            delta.provider_specific_fields = rest or None


def _logged_decision(stream: Any) -> Mapping[str, Any] | None:
    """The decision the provider wrote into the call's logging metadata (it does so before the first chunk)."""
    details = getattr(getattr(stream, "logging_obj", None), "model_call_details", None)
    try:
        record = details["litellm_params"]["metadata"]["spend_logs_metadata"][DECISION_KEY]  # type: ignore[index]
    except (KeyError, TypeError):
        return None
    return record if isinstance(record, Mapping) else None


class RouterHeaders(CustomLogger):  # type: ignore[misc]  # LiteLLM ships no type stubs here
    """Adds the x-router-* headers to proxy responses of ``tiered/<alias>`` calls, and routes ``dispatch: precall``
    requests in the proxy's own hooks (pre-call: the tier; success: the checks and the climb).

    Non-streaming: read from the response's decision. Streaming: the proxy asks for headers before the
    stream has started (so before any tier was chosen) and sends them after the first chunk; the stream's
    hidden params are remembered here and filled in when the first chunk passes through.
    """

    _MAX_PENDING = 4096  # streams whose first chunk never came (client gone) must not pile up

    def __init__(self) -> None:
        super().__init__()
        self._pending: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._direct: OrderedDict[str, _Precall] = OrderedDict()
        self._direct_streams: OrderedDict[str, _Precall] = OrderedDict()
        self._checked: OrderedDict[str, Decision] = OrderedDict()
        """Precall requests decided in the success hook (checked or not), until their headers are made."""

    async def async_pre_call_hook(
        self, user_api_key_dict: Any, cache: Any, data: dict[str, Any], call_type: str
    ) -> dict[str, Any]:
        """A chat request for a tiered model must parse as one (``RequestError`` -> 400), before LiteLLM's parsing.

        For a router with ``dispatch: precall`` the tier is chosen here and the request is rewritten to that
        tier's model group, with the tiers above it as LiteLLM fallbacks: the proxy then makes the call itself
        (``_dispatch_direct`` says which requests stay with the provider).
        """
        model = data.get("model")
        if call_type in ("completion", "acompletion") and isinstance(model, str):
            alias = _tiered_alias(model)
            if alias is not None:
                with _translated(model):
                    request = check_chat_request(data)
                    runtime = _direct_runtime(alias)
                    if runtime is not None:
                        self._dispatch_direct(runtime, request, data)
        return data

    def _dispatch_direct(self, runtime: TieredRouter, request: RequestView, data: dict[str, Any]) -> None:
        """Send the request to its tier's model group, with the tiers above as fallbacks, and keep what its
        success hook needs; a cascade's stream, or a cascade with a budget, is left to the tiered provider."""
        if runtime.validators and (data.get("stream") or runtime.cascade.budget_usd is not None):
            # A stream is checked as it passes, and a budget caps and gates every attempt before it is paid for:
            # both are the provider's to run.
            return
        decision = runtime.policy.decide(request)
        above = runtime.policy.eligible_tiers(request, decision.tier_index + 1)
        params = {k: v for k, v in data.items() if k in _ATTEMPT_PARAMS}
        requested = str(data["model"])
        data["model"] = decision.model
        # What the checks need from the answer (log-probs, samples), asked of the first call.
        extra = runtime.check_kwargs(decision.tier_index, params) if runtime.validators else {}
        data.update(extra)
        if above and "fallbacks" not in data:
            # A provider outage escalates through LiteLLM's own fallbacks, each with its own tier's settings.
            retries = runtime.attempt_retries(decision.tier_index, above[-1])
            quick = retries is not None and "num_retries" not in data
            if quick:
                data["num_retries"] = retries
            data["fallbacks"] = [*_same_tier_fallbacks(runtime, decision.model, extra),
                                 *_fallbacks(runtime, above, params, extra, quick)]
        # Our own key, not litellm_call_id: clients may set that one (x-litellm-call-id) and collide.
        key = uuid.uuid4().hex
        if not isinstance(data.get("metadata"), dict):
            data["metadata"] = {}
        data["metadata"][_PRECALL_KEY] = key
        spend = data["metadata"].get("spend_logs_metadata")
        if not isinstance(spend, dict):
            spend = data["metadata"]["spend_logs_metadata"] = {}
        record: dict[str, Any] = {}
        spend[DECISION_KEY] = record
        entry = _Precall(runtime, decision, list(data["messages"]), requested, params, time.perf_counter(), record)
        _put_bounded(self._direct, key, entry, self._MAX_PENDING)

    def _finish_direct(self, call_id: str, hidden: Mapping[str, Any], response: object) -> dict[str, str] | None:
        """The headers of a precall-dispatched request (a stream's decision is completed here)."""
        checked = self._checked.pop(call_id, None)
        if checked is not None:
            # The proxy read x-litellm-response-cost off the first call, before any climb: the total here.
            return {**decision_headers(checked.to_dict()), "x-litellm-response-cost": str(checked.cost_usd)}
        entry = self._direct.pop(call_id, None)
        if entry is None:
            return None
        self._settle(call_id, entry, hidden, response)
        return decision_headers(entry.decision.to_dict())

    def _settle(self, call_id: str, entry: _Precall, hidden: Mapping[str, Any], response: object) -> None:
        """Complete the decision of a request the proxy made one call for: the tier that answered, its cost."""
        tier = _served(entry, hidden)
        cost = float(hidden.get("response_cost") or 0.0)
        entry.decision.attempts = [Attempt(tier=tier.name, model=tier.model, cost_usd=cost)]
        entry.runtime.observe(entry.decision)
        entry.publish()
        if _is_stream(response):  # its text is known once it has passed: the streaming hook remembers it
            _put_bounded(self._direct_streams, call_id, entry, self._MAX_PENDING)
        else:
            with contextlib.suppress(AttributeError):
                entry.runtime.remember(entry.messages, response_answers(response), entry.decision)

    async def async_post_call_response_headers_hook(
        self,
        data: dict[str, Any],
        user_api_key_dict: Any,
        response: object,
        request_headers: dict[str, str] | None = None,
        litellm_call_info: dict[str, object] | None = None,
    ) -> dict[str, str] | None:
        hidden = getattr(response, "_hidden_params", None)
        if not isinstance(hidden, dict):
            return None
        key = _precall_key(data)
        direct = self._finish_direct(key, hidden, response) if key else None
        if direct is not None:
            return direct
        record = hidden.get(DECISION_KEY)
        if isinstance(record, Mapping):
            return decision_headers(record)
        call_id = data.get("litellm_call_id")
        if call_id and _is_stream(response):
            _put_bounded(self._pending, str(call_id), hidden, self._MAX_PENDING)
        return None

    async def async_post_call_success_hook(self, data: dict[str, Any], user_api_key_dict: Any, response: Any) -> Any:
        """Check a precall cascade's answer, climbing the ladder if it fails; drop LiteLLM's
        ``llm_provider-x-router-*`` copies of the headers (see ``provider.attach_decision``).

        Returns the response to send instead (the proxy adopts a hook's non-None return), else None. The proxy
        turns the response's ``additional_headers`` into headers after this hook has run; the unprefixed
        x-router-* headers come from ``async_post_call_response_headers_hook``.
        """
        hidden = getattr(response, "_hidden_params", None)
        if not isinstance(hidden, dict):
            return None
        headers = hidden.get("additional_headers")
        if isinstance(headers, Mapping) and not _PREFIXED_HEADERS.isdisjoint(headers):
            # A new dict, not in-place: the old one may be shared (logging payload) and stays as it was.
            hidden["additional_headers"] = {k: v for k, v in headers.items() if k not in _PREFIXED_HEADERS}
        key = _precall_key(data)
        entry = self._direct.get(key) if key else None
        if key is None or entry is None or _is_stream(response):
            return None
        with contextlib.suppress(AttributeError):  # a fallback tier's answer names its upstream model
            response.model = entry.requested
        del self._direct[key]
        if not entry.runtime.validators:
            self._settle(key, entry, hidden, response)  # here, not in the headers hook: LiteLLM logs in between
            _put_bounded(self._checked, key, entry.decision, self._MAX_PENDING)
            return None
        _served(entry, hidden)
        metadata = {k: v for k, v in data["metadata"].items() if k != _PRECALL_KEY}  # also force_tier, min_tier
        records: dict[int, dict[str, Any]] = {}
        with _translated(entry.decision.model):
            checked, entry.decision = await entry.runtime.acomplete(
                entry.messages, entry.params, metadata, answered=(entry.decision, response, entry.sent),
                call_metadata=lambda tier: _attempt_metadata(metadata, tier, records),
            )
        # One row of the spend logs carries the decision, as on the provider path: the call whose answer was
        # delivered (the proxy's own, or an attempt of the climb); the other rows keep an empty record.
        entry.record = records.get(entry.decision.tier_index, entry.record)
        entry.publish()
        checked.model = entry.requested
        _put_bounded(self._checked, key, entry.decision, self._MAX_PENDING)
        return checked

    async def async_post_call_failure_hook(
        self, request_data: dict[str, Any], original_exception: Exception, user_api_key_dict: Any,
        traceback_str: str | None = None,
    ) -> None:
        """A precall request whose call failed (every fallback too) gets no success or headers hook: forget it."""
        key = _precall_key(request_data)
        if key:
            self._direct.pop(key, None)
            self._checked.pop(key, None)

    async def async_post_call_streaming_iterator_hook(
        self, user_api_key_dict: Any, response: Any, request_data: dict[str, Any]
    ) -> AsyncIterator[Any]:
        """Fill the stream's headers from its first chunk, and let the decision leave the proxy once.

        LiteLLM serializes the decision twice on the chunk that carries it (``delta.provider_specific_fields``
        and a top-level copy): the top-level copy is dropped, and the delta keeps it on the first chunk only.
        A precall stream (no provider in the path) gets the decision put on its first chunk here. (Its chunks'
        ``model`` is LiteLLM's to stamp after this hook: after a fallback, the fallback's group name.)
        """
        hidden = self._pending.pop(str(request_data.get("litellm_call_id")), None)
        key = _precall_key(request_data)
        direct = self._direct_streams.pop(key, None) if key else None
        seen: list[Any] = []
        sent = False
        async for chunk in response:
            if direct is not None:  # a precall stream: no provider put the decision on it
                seen.append(chunk)
                sent = sent or _put_delta_decision(chunk, direct.decision)
                yield chunk
                continue
            _drop_top_level_decision(chunk)
            if _chunk_decision(chunk) is not None:
                if sent:
                    _drop_delta_decision(chunk)
                sent = True
            if hidden is not None:
                record = _chunk_decision(chunk) or _logged_decision(response)
                if record is not None:
                    hidden.setdefault("additional_headers", {})
                    hidden["additional_headers"] = {**(hidden["additional_headers"] or {}), **decision_headers(record)}
                    hidden["response_cost"] = record.get("cost_usd")
                hidden = None
            yield chunk
        if direct is not None:  # the whole answer went out: pin its conversation, as for a non-streamed one
            direct.runtime.remember(direct.messages, stream_answers(seen), direct.decision)


def _put_bounded(table: OrderedDict[str, _V], key: str, value: _V, limit: int) -> None:
    """Store ``value``, dropping the oldest entries past ``limit`` (their requests never came back)."""
    table[key] = value
    while len(table) > limit:
        table.popitem(last=False)


def _attempt_metadata(metadata: Mapping[str, Any], tier: int | None,
                      records: dict[int, dict[str, Any]]) -> dict[str, Any]:
    """LiteLLM metadata for a precall cascade's later call: the request's (its key fields charge the call to the
    client's key), with a decision record of its own for an attempt at ``tier`` and none for a judge's call."""
    spend = {k: v for k, v in (metadata.get("spend_logs_metadata") or {}).items() if k != DECISION_KEY}
    if tier is not None:
        spend[DECISION_KEY] = records.setdefault(tier, {})
    return {**metadata, "spend_logs_metadata": spend}


def _same_tier_fallbacks(runtime: TieredRouter, group: str, extra: Mapping[str, Any]) -> list[str | dict[str, Any]]:
    """The proxy's own fallbacks for the chosen tier's group (a second provider for the same tier): a request's
    ``fallbacks`` replace the router's for that request in LiteLLM, so they are kept, first. They are not asked
    for log-probs, whose support this cannot know."""
    configured = getattr(runtime.router, "fallbacks", None) or []
    groups = [g for entry in configured if isinstance(entry, Mapping) for g in entry.get(group) or ()]
    unset = {k: None for k in extra if k in ("logprobs", "top_logprobs")}
    return [{"model": g, **unset} if unset else g for g in groups if isinstance(g, str)]


def _fallbacks(runtime: TieredRouter, above: Sequence[int], params: Mapping[str, Any], extra: Mapping[str, Any],
               quick: bool) -> list[str | dict[str, Any]]:
    """The tiers above the chosen one as LiteLLM fallbacks (which take the request's settings along): without
    retries but the top one (``quick``), and not asked for log-probs a tier cannot give (None: LiteLLM's unset)."""
    out: list[str | dict[str, Any]] = []
    for i in above:
        target: dict[str, Any] = {"model": runtime.config.tiers[i].model}
        if quick:  # LiteLLM hands the request's num_retries on to its fallbacks: each entry says its own
            retries = runtime.attempt_retries(i, above[-1])
            target["num_retries"] = runtime.router_retries if retries is None else retries
        own = runtime.check_kwargs(i, params)
        target.update({k: None for k in extra if k not in own})
        out.append(target if len(target) > 1 else target["model"])
    return out


def _served(entry: _Precall, hidden: Mapping[str, Any]) -> TierConfig:
    """The tier that answered a precall request (an outage may have passed it to a fallback), set in its decision."""
    decision = entry.decision
    served = (hidden.get("additional_headers") or {}).get("x-litellm-model-group") or decision.model
    models = [t.model for t in entry.runtime.config.tiers]
    index = models.index(served) if served in models else decision.tier_index
    tier = entry.runtime.config.tiers[index]
    decision.tier, decision.tier_index, decision.model = tier.name, index, tier.model
    return tier


def _precall_key(data: Mapping[str, Any]) -> str | None:
    """The id ``dispatch: precall`` gave this request in its metadata, if it has one."""
    metadata = data.get("metadata")
    key = metadata.get(_PRECALL_KEY) if isinstance(metadata, Mapping) else None
    return str(key) if key else None


def check_chat_request(data: Mapping[str, Any]) -> RequestView:
    """The request as routing sees it; ``RequestError`` unless it survives LiteLLM's message checks.

    LiteLLM's checks run as ``litellm.completion`` would run them (it gives a message without a role the
    assistant role, and refuses unknown content part types with a bare ``Exception``, a 500), on copies of the
    message dicts: they only set top-level keys (``role``, ``tool_calls``), so a deep copy of every request's
    whole conversation is not needed.
    """
    from litellm.types.llms.openai import ValidUserMessageContentTypes
    from litellm.utils import validate_and_fix_openai_messages

    _reject_non_finite(data)
    messages = data.get("messages")
    if isinstance(messages, list) and messages and all(isinstance(m, dict) for m in messages):
        try:
            messages = validate_and_fix_openai_messages([dict(m) for m in messages])
        except Exception as exc:
            # LiteLLM's own messages name only an index; the content itself is never quoted.
            known = str(exc) if str(exc).startswith("Invalid") else type(exc).__name__
            raise RequestError(
                f"messages are not valid OpenAI chat messages: {known}; content part types allowed: "
                + ", ".join(ValidUserMessageContentTypes)
            ) from None
    metadata = data.get("metadata")
    return RequestView.from_params(messages, data, metadata if isinstance(metadata, Mapping) else None)


# Request fields forwarded to the provider as JSON. The proxy's parser accepts NaN and Infinity, which no
# JSON encoder on the way out does: unchecked, every tier fails to send and the client gets a 500.
_FORWARDED_FIELDS = ("messages", "tools", "tool_choice", "response_format", "functions", "function_call", "stop")


def _reject_non_finite(data: Mapping[str, Any]) -> None:
    fields = [*_FORWARDED_FIELDS, *(k for k, v in data.items() if isinstance(v, float))]
    for key in fields:
        stack = [data.get(key)]
        while stack:
            value = stack.pop()
            if isinstance(value, float) and not math.isfinite(value):
                raise RequestError(f"'{key}' holds NaN or Infinity, which JSON does not allow; send a finite number")
            if isinstance(value, Mapping):
                stack.extend(value.values())
            elif isinstance(value, list | tuple):
                stack.extend(value)


def _tiered_alias(model: str) -> str | None:
    """The router alias the proxy sends ``model`` to (``tiered/<alias>`` or a model_name mapped to it), else None."""
    if model.startswith("tiered/"):
        return model.removeprefix("tiered/")
    from litellm.proxy import proxy_server

    router = proxy_server.llm_router
    for deployment in (router.get_model_list(model_name=model) if router is not None else None) or []:
        target = str(deployment.get("litellm_params", {}).get("model", ""))
        if target.startswith("tiered/"):
            return target.removeprefix("tiered/")
    return None


def _direct_runtime(alias: str) -> TieredRouter | None:
    """The alias's runtime when it is dispatched before the call (``dispatch: precall``), else None."""
    from ..proxy import tiered_provider

    runtime = tiered_provider.runtime(alias)
    return runtime if runtime.config.dispatch == "precall" else None


def _is_stream(response: object) -> bool:
    return hasattr(response, "__aiter__") and hasattr(response, "logging_obj")


class _StaticModelList:
    """The two ``litellm.Router`` lookups ``capabilities`` uses, answered from a config's model_list."""

    def __init__(self, groups: Mapping[str, Sequence[Mapping[str, Any]]]) -> None:
        self.groups = groups
        self.model_names = list(groups)

    def get_model_list(self, model_name: str) -> list[Mapping[str, Any]]:
        return list(self.groups.get(model_name, []))


def _tier_logprobs(tier: TierConfig, deployments: Sequence[Mapping[str, Any]]) -> bool:
    return supports_logprobs(tier, _StaticModelList({tier.model: deployments} if deployments else {}))


def _known_model(model: str) -> bool:
    import litellm

    if model in litellm.model_cost:
        return True
    try:
        with quiet_litellm():
            litellm.get_llm_provider(model)
    except Exception:  # LiteLLM cannot tell which provider serves it
        return False
    return True


def litellm_facts() -> ModelFacts:
    """What ``check`` needs to know about models, answered by LiteLLM's model map (offline)."""
    return ModelFacts(supports_logprobs=_tier_logprobs, is_known_model=_known_model,
                      router_settings_problems=router_settings_problems)
