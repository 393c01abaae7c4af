"""The ``tiered`` LiteLLM provider: ``litellm.completion(model="tiered/<alias>")`` lands here.

``TieredProvider`` is a LiteLLM ``CustomLLM`` registered through ``litellm.custom_provider_map`` (the SDK)
or ``litellm_settings.custom_provider_map`` (the proxy). It hands each call to the alias's
``TieredRouter`` and attaches the routing record to what LiteLLM returns:

- ``response._hidden_params["tiered_routing"]``: the ``Decision`` as a dict (no prompt text);
- ``response._hidden_params["response_cost"]``: the total over every attempt, so spend tracking is right;
- the logging payload's ``metadata.spend_logs_metadata["tiered_routing"]``;
- streams: the first chunk's ``delta.provider_specific_fields["tiered_routing"]``, on that chunk only.
  LiteLLM also copies every key of a custom provider chunk's ``provider_specific_fields`` to the chunk's
  top level (``chunk.tiered_routing``; litellm/litellm_core_utils/streaming_handler.py:1180-1184 in
  1.106.12), so an SDK chunk serializes it twice; the proxy's ``RouterHeaders`` drops that copy.
- ``additional_headers``: the four x-router-* values. LiteLLM re-prefixes every key there that is not
  ``llm_provider-*``/``x-litellm-*`` (litellm/litellm_core_utils/llm_response_utils/response_metadata.py:158
  -> core_helpers.py:535), so callers see ``llm_provider-x-router-*``. In the proxy, ``RouterHeaders`` sends
  the unprefixed headers and removes these copies; without that callback they are the proxy's only
  x-router values.

Errors are translated here and only here: a request no tier can serve becomes LiteLLM's 400, an unknown
alias a 404, a broken router config a 500 naming file and key, and a ladder whose every tier failed
re-raises the last provider error (its status intact, its message naming the router and tiers tried).
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import litellm
from litellm import CustomLLM
from litellm.litellm_core_utils.completion_timeout import CompletionTimeout
from litellm.litellm_core_utils.request_timeout_resolver import get_configured_request_timeout
from litellm.types.utils import GenericStreamingChunk
from litellm.utils import custom_llm_setup

from ..config import RouterConfig, RouterFile, load_config, parse_config, shared_model_problems
from ..errors import AllTiersFailedError, ConfigError, RequestError, UnknownRouterError, did_you_mean
from ..plugins import importable_beside
from ..state import ConversationMemory, InMemoryConversationMemory, InMemoryCounterStore
from ..types import Decision
from .redis_state import RedisState
from .runtime import TieredRouter

DECISION_KEY = "tiered_routing"
MONITOR_KEY = "tiered_routing_monitor"


def decision_headers(decision: Mapping[str, Any]) -> dict[str, str]:
    """The four x-router-* headers of a decision record (``Decision.to_dict()``)."""
    return {
        "x-router-tier": str(decision.get("tier", "")),
        "x-router-model": str(decision.get("model", "")),
        "x-router-escalations": str(decision.get("escalations", 0)),
        "x-router-cost-usd": f"{float(decision.get('cost_usd') or 0.0):.8f}",
    }


def _log_decision(
    logging_obj: Any, litellm_params: Mapping[str, Any] | None, decision: Decision, runtime: TieredRouter
) -> None:
    """Put the decision (and the monitor's rolling view) where LiteLLM's logging payload picks it up."""
    record: dict[str, Any] = {DECISION_KEY: decision.to_dict()}
    if runtime.snapshot is not None:
        record[MONITOR_KEY] = runtime.snapshot.to_dict()
    targets: list[Any] = []
    if isinstance(litellm_params, dict):
        targets.append(litellm_params)
    details = getattr(logging_obj, "model_call_details", None)
    if isinstance(details, dict) and isinstance(details.get("litellm_params"), dict):
        targets.append(details["litellm_params"])
    for params in targets:
        metadata = params.get("metadata")
        if not isinstance(metadata, dict):
            metadata = params["metadata"] = {}
        spend = metadata.get("spend_logs_metadata")
        metadata["spend_logs_metadata"] = {**(spend if isinstance(spend, dict) else {}), **record}


def attach_decision(response: Any, decision: Decision) -> Any:
    """The tier's response as the request's own: a copy, carrying the decision, its headers and the total cost. The
    tier's response object itself is left alone: LiteLLM's async logging of that tier call reads its cost later,
    and read the request's total there (the escalated-to tier was logged at the whole request's cost)."""
    response = response.model_copy()
    hidden = response._hidden_params = dict(response._hidden_params)
    hidden["additional_headers"] = dict(hidden.get("additional_headers") or {})
    record = hidden[DECISION_KEY] = decision.to_dict()
    hidden["response_cost"] = decision.cost_usd
    hidden["additional_headers"].update(decision_headers(record))
    return response


@contextlib.contextmanager
def _translated(model: str) -> Iterator[None]:
    """The one place where this package's errors become LiteLLM exceptions (and so HTTP statuses)."""
    try:
        yield
    except UnknownRouterError as exc:
        raise litellm.NotFoundError(str(exc), model=model, llm_provider="tiered") from exc
    except ConfigError as exc:  # the operator's router file, not the request: a 500 that names file and key
        raise litellm.InternalServerError(str(exc), model=model, llm_provider="tiered") from exc
    except RequestError as exc:
        raise litellm.BadRequestError(str(exc), model=model, llm_provider="tiered") from exc
    except AllTiersFailedError as exc:
        cause = exc.__cause__
        if isinstance(
            cause,
            litellm.exceptions.APIError
            | litellm.exceptions.RateLimitError
            | litellm.exceptions.APIConnectionError
            | litellm.exceptions.Timeout
            | litellm.exceptions.ServiceUnavailableError
            | litellm.exceptions.InternalServerError,
        ):
            # Keep the provider's class (so its status) but say that the whole ladder was tried.
            tried = ", ".join(exc.tried)
            cause.message = f"router '{exc.alias}': every tier failed ({tried}); last error: {cause.message}"
            raise cause from exc
        raise litellm.ServiceUnavailableError(str(exc), model=model, llm_provider="tiered") from exc


def _generic_chunks(chunk: Any, extra: dict[str, Any] | None) -> list[GenericStreamingChunk]:
    """One LiteLLM stream chunk as the GenericStreamingChunk(s) a CustomLLM must yield: choice 0's part of it.

    LiteLLM reads every generic chunk as choice 0 (their ``index`` is ignored), so with ``n > 1`` another choice's
    delta would be spliced into choice 0's text, and its finish would end choice 0's stream: a chunk that carries
    only other choices yields nothing, unless it has the usage or the decision to deliver.
    """
    choices = getattr(chunk, "choices", None) or ()
    choice = next((c for c in choices if (getattr(c, "index", 0) or 0) == 0), None)
    usage = getattr(chunk, "usage", None)
    if choice is None and choices and usage is None and not extra:
        return []
    delta = getattr(choice, "delta", None)
    finish = getattr(choice, "finish_reason", None)
    usage_block = (
        {
            "prompt_tokens": usage.prompt_tokens or 0,
            "completion_tokens": usage.completion_tokens or 0,
            "total_tokens": usage.total_tokens or 0,
        }
        if usage is not None
        else None
    )
    tool_calls = list(getattr(delta, "tool_calls", None) or [])
    base: GenericStreamingChunk = {
        "text": getattr(delta, "content", None) or "",
        "tool_use": None,
        "is_finished": finish is not None,
        "finish_reason": finish or "",
        "usage": usage_block,
        "index": 0,
    }
    # One generic chunk holds one tool call: a chunk with parallel calls becomes several generic chunks,
    # and only the first of them may carry ``extra`` (the decision goes out once).
    outs: list[GenericStreamingChunk] = [base] if not tool_calls else [
        {
            **base,
            "text": base["text"] if i == 0 else "",
            "tool_use": {
                "id": call.id,
                "type": "function",
                "index": call.index,
                "function": {"name": call.function.name, "arguments": call.function.arguments or ""},
            },
        }
        for i, call in enumerate(tool_calls)
    ]
    if extra:
        outs[0]["provider_specific_fields"] = extra
    return outs


def _replayed_chunks(response: Any, extra: dict[str, Any] | None) -> Iterator[GenericStreamingChunk]:
    """A finished response as stream chunks: text, then each tool call, then the finish with usage."""
    choice = response.choices[0]
    usage = getattr(response, "usage", None)
    first: GenericStreamingChunk = {
        "text": choice.message.content or "",
        "tool_use": None,
        "is_finished": False,
        "finish_reason": "",
        "usage": None,
        "index": 0,
    }
    if extra:
        first["provider_specific_fields"] = extra
    yield first
    for i, call in enumerate(choice.message.tool_calls or []):
        yield {
            "text": "",
            "is_finished": False,
            "finish_reason": "",
            "usage": None,
            "index": 0,
            "tool_use": {
                "id": call.id,
                "type": "function",
                "index": i,
                "function": {"name": call.function.name, "arguments": call.function.arguments or ""},
            },
        }
    yield {
        "text": "",
        "tool_use": None,
        "is_finished": True,
        "finish_reason": choice.finish_reason or "stop",
        "index": 0,
        "usage": {
            "prompt_tokens": usage.prompt_tokens or 0,
            "completion_tokens": usage.completion_tokens or 0,
            "total_tokens": usage.total_tokens or 0,
        }
        if usage is not None
        else None,
    }


class TieredProvider(CustomLLM):  # type: ignore[misc]  # LiteLLM ships no type stubs here
    """LiteLLM custom provider serving every installed ``tiered/<alias>``."""

    def __init__(self) -> None:
        super().__init__()
        self.routers: dict[str, TieredRouter] = {}
        self.shared_states: list[RedisState] = []

    def close(self) -> None:
        """Write what shared state still has queued and stop its background writers (``uninstall`` calls this)."""
        for state in self.shared_states:
            state.close()

    def add(self, runtime: TieredRouter) -> None:
        self.routers[runtime.config.alias] = runtime

    def add_file(
        self,
        file: RouterFile,
        litellm_router: Any,
        *,
        memory: ConversationMemory | None = None,
        source: str = "<config>",
        require_groups: bool = False,
    ) -> None:
        """Add every router of a config file; they share one state backend (this process, or Redis).

        ``require_groups``: the tiers must name model groups the given Router already has (a user's Router,
        the proxy's), instead of getting deployments built from their model strings. ``source``: the file's path;
        a custom scorer's or validator's module may sit beside it (as the proxy and ``check`` find it), and an
        error in a router's params names the file and its own key there (``routers[0].cascade...``).
        """
        if require_groups:
            check_tiers_served(file, litellm_router.model_names, source)
        path = None if source == "<config>" else source
        shared = RedisState(file.state) if file.state.backend == "redis" else None
        if shared is not None:
            self.shared_states.append(shared)
        file_memory = memory or shared or InMemoryConversationMemory()
        counters = shared or InMemoryCounterStore()
        try:
            with importable_beside(path):
                for rc in file.routers:
                    self.add(TieredRouter(rc, litellm_router, file_memory, counters))
        except ConfigError as exc:  # a validator's or scorer's params: name the file they came from
            if path is None or exc.file is not None:
                raise
            key = exc.key  # "<alias>.cascade..." as the runtime names it; the file's own path, as `check` gives it
            owners = [(r, rc.alias) for r, rc in enumerate(file.routers) if key and key.startswith(f"{rc.alias}.")]
            if key and owners:  # the longest alias: "v1.mini.cascade..." is router v1.mini's, not v1's
                r, alias = max(owners, key=lambda owner: len(owner[1]))
                key = f"routers[{r}]{key[len(alias):]}"
            raise ConfigError(exc.reason, file=path, key=key, value=exc.value, allowed=exc.allowed) from None

    def runtime(self, alias: str) -> TieredRouter:
        try:
            return self.routers[alias]
        except KeyError:
            raise UnknownRouterError(alias, list(self.routers)) from None

    # LiteLLM calls these with a long keyword signature; only a few arguments matter here.
    def completion(self, model: str, messages: list[Any], *args: Any, **kwargs: Any) -> Any:
        with _translated(model):
            runtime = self.runtime(model)
            response, decision = runtime.complete(messages, _params(kwargs), _metadata(kwargs))
        _log_decision(kwargs.get("logging_obj"), kwargs.get("litellm_params"), decision, runtime)
        return attach_decision(response, decision)

    async def acompletion(self, model: str, messages: list[Any], *args: Any, **kwargs: Any) -> Any:
        with _translated(model):
            runtime = self.runtime(model)
            response, decision = await runtime.acomplete(
                messages, _params(kwargs), _metadata(kwargs)
            )
        _log_decision(kwargs.get("logging_obj"), kwargs.get("litellm_params"), decision, runtime)
        return attach_decision(response, decision)

    def streaming(self, model: str, messages: list[Any], *args: Any, **kwargs: Any) -> Iterator[GenericStreamingChunk]:
        with _translated(model):
            runtime = self.runtime(model)
            decision, chunks = runtime.stream(messages, _params(kwargs), _metadata(kwargs))
        _log_decision(kwargs.get("logging_obj"), kwargs.get("litellm_params"), decision, runtime)
        _price_stream(kwargs.get("logging_obj"), decision)
        extra: dict[str, Any] | None = {DECISION_KEY: decision.to_dict()}
        if isinstance(chunks, litellm.ModelResponse):  # buffer mode: the checked answer, replayed as a stream
            yield from _replayed_chunks(chunks, extra)
        else:
            for chunk in chunks:
                yield from _generic_chunks(chunk, extra)
                extra = None  # delivered: a chunk yields nothing only when it has no decision to carry
        # a streamed attempt is priced only once its last chunk is in: log the final record
        _log_decision(kwargs.get("logging_obj"), kwargs.get("litellm_params"), decision, runtime)

    async def astreaming(
        self, model: str, messages: list[Any], *args: Any, **kwargs: Any
    ) -> AsyncIterator[GenericStreamingChunk]:
        with _translated(model):
            runtime = self.runtime(model)
            decision, chunks = await runtime.astream(messages, _params(kwargs), _metadata(kwargs))
        _log_decision(kwargs.get("logging_obj"), kwargs.get("litellm_params"), decision, runtime)
        _price_stream(kwargs.get("logging_obj"), decision)
        extra: dict[str, Any] | None = {DECISION_KEY: decision.to_dict()}
        if isinstance(chunks, litellm.ModelResponse):
            for generic in _replayed_chunks(chunks, extra):
                yield generic
        else:
            async for chunk in chunks:
                for generic in _generic_chunks(chunk, extra):
                    yield generic
                extra = None
        # a streamed attempt is priced only once its last chunk is in: log the final record
        _log_decision(kwargs.get("logging_obj"), kwargs.get("litellm_params"), decision, runtime)


def _price_stream(logging_obj: Any, decision: Decision) -> None:
    """Have this request's LiteLLM logging object price its stream at the ladder's total. LiteLLM prices a finished
    stream by its model name, and no price map has ``tiered/<alias>``: its callbacks, spend logs and budgets saw
    every streamed request as free. (A non-streamed answer carries the total in ``_hidden_params``; a stream's
    assembled response is LiteLLM's own.) Set before the first chunk and read when LiteLLM asks, which may be as
    soon as the last chunk is in: by then every attempt of the decision is priced."""
    if hasattr(logging_obj, "response_cost_calculator"):
        logging_obj.response_cost_calculator = lambda *args, **kwargs: decision.cost_usd


def _params(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """The request's params for its tier calls: LiteLLM's ``optional_params``, plus what LiteLLM hands a custom
    provider beside them and a direct call would send (they were dropped): a ``timeout`` the caller set (LiteLLM's
    default is left out, so a Router's own ``timeout`` setting still applies), the request's headers, and ``user``,
    which LiteLLM keeps only on its logging object."""
    params = dict(kwargs.get("optional_params") or {})
    timeout = kwargs.get("timeout")
    if timeout is not None and timeout != _unset_timeout():
        params.setdefault("timeout", timeout)
    if kwargs.get("headers"):  # as `headers`, which LiteLLM merges with a deployment's own extra_headers
        params.setdefault("headers", dict(kwargs["headers"]))
    user = (getattr(kwargs.get("logging_obj"), "model_call_details", None) or {}).get("user")
    if user:
        params.setdefault("user", user)
    return params


def _unset_timeout() -> float | Any:
    """The timeout LiteLLM hands a custom provider when the call set none (its global setting, or its fallback)."""
    return CompletionTimeout.resolve(None, {}, "tiered", global_timeout=get_configured_request_timeout(),
                                     supports_httpx_timeout=lambda provider: False)


def _metadata(kwargs: Mapping[str, Any]) -> Mapping[str, Any] | None:
    params = kwargs.get("litellm_params") or {}
    metadata = params.get("metadata")
    return metadata if isinstance(metadata, Mapping) else None


# ------------------------------------------------------------------------------------------ install

ConfigSource = str | Path | RouterFile | RouterConfig | Mapping[str, Any]


def _as_file(config: ConfigSource) -> RouterFile:
    if isinstance(config, RouterFile):
        return config
    if isinstance(config, RouterConfig):
        return RouterFile(routers=(config,))
    if isinstance(config, Mapping):
        return parse_config(config)
    return load_config(config)


def check_tiers_served(file: RouterFile, model_names: Iterable[str], source: str = "<config>") -> None:
    """Every tier must name one of ``model_names``, with no ``litellm_params`` of its own (the given Router's
    deployments are what LiteLLM calls); one ``ConfigError`` names the first tier that does not."""
    names = set(model_names)
    for r, rc in enumerate(file.routers):
        for i, tier in enumerate(rc.tiers):
            if tier.model not in names:
                raise ConfigError(
                    f"tier '{tier.name}' of router '{rc.alias}' names model group {tier.model!r}, which the Router's "
                    "model_list lacks; add a model_list entry with that model_name or fix the spelling",
                    file=source,
                    key=f"routers[{r}].tiers[{i}].model",
                    allowed=sorted(n for n in names if not n.startswith("tiered/")),
                )
            if tier.litellm_params:
                raise ConfigError(
                    f"tier '{tier.name}' of router '{rc.alias}' has litellm_params, which a given Router (yours, or "
                    "the proxy's) ignores: it calls its own model_list entries; put these params in the entry of "
                    f"model group {tier.model!r} there, or remove them",
                    file=source,
                    key=f"routers[{r}].tiers[{i}].litellm_params",
                )


def router_settings_problems(settings: Mapping[str, Any], source: str = "<config>") -> list[ConfigError]:
    """``router_settings`` keys that ``litellm.Router(...)`` does not take (it raised a bare ``TypeError``)."""
    parameters = inspect.signature(litellm.Router.__init__).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
        return []  # a LiteLLM that takes **kwargs: nothing to check here
    accepted = [name for name in parameters if name not in ("self", "model_list")]
    return [ConfigError("model_list goes at the top level of the file, beside router_settings" if key == "model_list"
                        else "not an argument of litellm.Router(...)" + did_you_mean(key, accepted)
                        + "; see LiteLLM's Router docs for the settings it takes",
                        file=source, key=f"router_settings.{key}")
            for key in settings if key not in accepted]


def build_litellm_router(file: RouterFile, source: str = "<config>") -> litellm.Router:
    """A LiteLLM Router with the file's model_list plus one deployment per tier model not already in it."""
    for problem in [*shared_model_problems(file, source), *router_settings_problems(file.router_settings, source)]:
        raise problem
    model_list = [dict(d) for d in file.model_list]
    groups = {d.get("model_name") for d in model_list}
    for router in file.routers:
        for tier in router.tiers:
            if tier.model not in groups:
                model_list.append(
                    {"model_name": tier.model, "litellm_params": {"model": tier.model, **tier.litellm_params}}
                )
                groups.add(tier.model)
    return litellm.Router(model_list=model_list, **file.router_settings)


def install(
    config: ConfigSource | Sequence[ConfigSource],
    *,
    router: litellm.Router | None = None,
    memory: ConversationMemory | None = None,
    provider: str = "tiered",
) -> TieredProvider:
    """Register ``<provider>/<alias>`` for every router in ``config`` with LiteLLM and return the provider.

    ``router``: an existing ``litellm.Router`` whose model groups the tiers name; by default one is built
    from the config's ``model_list`` and ``router_settings``.
    """
    sources = list(config) if isinstance(config, list | tuple) else [config]
    files = [_as_file(c) for c in sources]  # type: ignore[arg-type]
    paths = [str(c) if isinstance(c, str | Path) else None for c in sources]  # None: a dict or a parsed file
    seen: dict[str, int] = {}
    for n, file in enumerate(files):  # one file refuses a repeated alias; so does one install of several
        for r, rc in enumerate(file.routers):
            if seen.setdefault(rc.alias, n) != n:
                raise ConfigError(f"router alias {rc.alias!r} is also in config {seen[rc.alias]} of this install "
                                  "(counting from 0): the later one would replace it; rename one",
                                  file=paths[n], key=f"routers[{r}].alias")
    handler = _installed(provider) or TieredProvider()
    for file, named in zip(files, paths, strict=True):
        path = named or "<config>"
        if router is None:
            handler.add_file(file, build_litellm_router(file, path), memory=memory, source=path)
        else:
            handler.add_file(file, router, memory=memory, require_groups=True, source=path)
    litellm.custom_provider_map = [
        *[p for p in litellm.custom_provider_map if p.get("provider") != provider],
        {"provider": provider, "custom_handler": handler},
    ]
    custom_llm_setup()
    return handler


def _installed(provider: str) -> TieredProvider | None:
    for entry in litellm.custom_provider_map:
        if entry.get("provider") == provider and isinstance(entry.get("custom_handler"), TieredProvider):
            return entry["custom_handler"]  # type: ignore[no-any-return]
    return None


def complete(alias: str, messages: list[Mapping[str, Any]], **params: Any) -> Any:
    """``litellm.completion(model="tiered/<alias>")``, for callers outside this layer (the demo command)."""
    return litellm.completion(model=f"tiered/{alias}", messages=messages, **params)


def uninstall(provider: str = "tiered") -> None:
    """Remove the provider from LiteLLM (mainly for tests and reloads), after writing its queued shared state."""
    for entry in litellm.custom_provider_map:
        handler = entry.get("custom_handler")
        if entry.get("provider") == provider and isinstance(handler, TieredProvider):
            handler.close()
    litellm.custom_provider_map = [p for p in litellm.custom_provider_map if p.get("provider") != provider]
    if provider in litellm._custom_providers:
        litellm._custom_providers.remove(provider)
