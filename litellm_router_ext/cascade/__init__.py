"""Confidence-gated cascade: build validators from config, check answers, decide escalation.

Pure: nothing here imports LiteLLM. The adapter dispatches tiers and feeds results to ``CascadeFlow``;
``validate`` / ``avalidate`` check one answer with every configured validator.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..config import CascadeConfig, ValidatorConfig
from ..errors import ConfigError, did_you_mean
from ..plugins import load_object
from ..types import Verdict
from .base import Answer, Ask, AsyncAsk, AsyncValidator, Validator
from .combine import arun_check, combine_verdicts, run_check
from .early import reject_prefix, streamable
from .flow import (
    Answered,
    CascadeFlow,
    CheckAnswer,
    Finished,
    ProviderFailed,
    TryTier,
    adrive,
    drive,
)
from .replay import replay_cascade
from .validators._params import parse_params
from .validators.agreement import AgreementParams, AgreementValidator
from .validators.arithmetic import ArithmeticParams, ArithmeticValidator
from .validators.custom import CustomParams, CustomValidator
from .validators.format import FormatParams, FormatValidator
from .validators.judge import JudgeParams, JudgeValidator
from .validators.logprob import LogprobParams, LogprobValidator
from .validators.refusal import RefusalParams, RefusalValidator
from .validators.structured import (
    JsonParams,
    JsonValidator,
    SchemaParams,
    SchemaValidator,
    ToolArgsParams,
    ToolArgsValidator,
)

__all__ = [
    "Answer",
    "Answered",
    "Ask",
    "AsyncAsk",
    "AsyncValidator",
    "CascadeFlow",
    "CascadeNeeds",
    "CheckAnswer",
    "Finished",
    "ProviderFailed",
    "TryTier",
    "Validator",
    "adrive",
    "avalidate",
    "build_validators",
    "cascade_needs",
    "drive",
    "reject_prefix",
    "replay_cascade",
    "streamable",
    "validate",
]


@dataclass(frozen=True, slots=True)
class _Build:
    config: ValidatorConfig
    cascade: CascadeConfig
    key: str
    ask: Ask | None
    aask: AsyncAsk | None


def _simple(params_model: type[Any], cls: type[Any]) -> Callable[[_Build], Validator]:
    def build(b: _Build) -> Validator:
        return cls(parse_params(params_model, b.config.params, key=b.key), name=b.config.name)  # type: ignore[no-any-return]

    return build


def _logprob(b: _Build) -> Validator:
    params = parse_params(LogprobParams, b.config.params, key=b.key)
    return LogprobValidator(params, on_missing=b.cascade.on_missing_logprobs, name=b.config.name)


def _agreement(b: _Build) -> Validator:
    params = parse_params(AgreementParams, b.config.params, key=b.key)
    return AgreementValidator.for_samples(params.n)(params, name=b.config.name)


def _judge(b: _Build) -> Validator:
    params = parse_params(JudgeParams, b.config.params, key=b.key)
    if b.ask is None and b.aask is None:
        raise ConfigError(
            "validator 'judge' needs a model; set cascade.judge_tier (the adapter passes its model call)",
            key=b.key.removesuffix(".params"),
        )
    return JudgeValidator(params, ask=b.ask, aask=b.aask, name=b.config.name)


def _custom(b: _Build) -> Validator:
    params = parse_params(CustomParams, b.config.params, key=b.key)
    path_key = b.key.removesuffix(".params") + ".path"
    fn = load_object(b.config.path or "", key=path_key)
    if not callable(fn):
        raise ConfigError(f"{b.config.path!r} is not callable; point it at a function taking an Answer", key=path_key)
    return CustomValidator(params, fn, name=b.config.path or "custom")


BUILTINS: Mapping[str, Callable[[_Build], Validator]] = {
    "json": _simple(JsonParams, JsonValidator),
    "schema": _simple(SchemaParams, SchemaValidator),
    "tool_args": _simple(ToolArgsParams, ToolArgsValidator),
    "format": _simple(FormatParams, FormatValidator),
    "refusal": _simple(RefusalParams, RefusalValidator),
    "arithmetic": _simple(ArithmeticParams, ArithmeticValidator),
    "logprob": _logprob,
    "agreement": _agreement,
    "judge": _judge,
    "custom": _custom,
}
"""Built-in validators by config name."""


def build_validators(
    cascade: CascadeConfig, *, ask: Ask | None = None, aask: AsyncAsk | None = None, key: str = "cascade"
) -> list[Validator]:
    """One validator per ``cascade.validators`` entry, in order; bad params raise ``ConfigError``."""
    out = []
    for i, config in enumerate(cascade.validators):
        builder = BUILTINS.get(config.name)
        if builder is None:
            raise ConfigError(
                f"unknown validator {config.name!r}{did_you_mean(config.name, BUILTINS)}",
                key=f"{key}.validators[{i}].name",
                allowed=sorted(BUILTINS),
            )
        out.append(builder(_Build(config, cascade, f"{key}.validators[{i}].params", ask, aask)))
    return out


@dataclass(frozen=True, slots=True)
class CascadeNeeds:
    """What the adapter must ask each tier for, so the validators have their inputs."""

    logprobs: bool
    samples: int
    """Answers wanted per attempt in total (1 = no extra sampling)."""


def cascade_needs(validators: Sequence[Validator]) -> CascadeNeeds:
    """Union of the validators' declared capabilities."""
    return CascadeNeeds(
        logprobs=any(v.needs_logprobs for v in validators),
        samples=max((v.needs_samples for v in validators), default=1),
    )


def _weights(validators: Sequence[Validator], cascade: CascadeConfig) -> list[float]:
    if len(validators) != len(cascade.validators):
        raise ValueError(f"{len(validators)} validators for {len(cascade.validators)} configured; use build_validators")
    return [c.weight for c in cascade.validators]


def validate(answer: Answer, validators: Sequence[Validator], cascade: CascadeConfig) -> Verdict:
    """Check ``answer`` with every validator and combine per ``cascade.combine``.

    In ``all`` mode checks stop at the first rejection and in ``any`` mode at the first acceptance (so
    list cheap validators first); ``weighted`` runs them all. Never raises for a validator's failure.
    """
    weights = _weights(validators, cascade)
    verdicts: list[Verdict] = []
    for validator in validators:
        verdict = run_check(validator, answer, cascade.validator_timeout_s)
        verdicts.append(verdict)
        if _decided(verdict, cascade):
            break
    return combine_verdicts(
        verdicts, mode=cascade.combine, threshold=cascade.threshold, weights=weights[: len(verdicts)]
    )


async def avalidate(answer: Answer, validators: Sequence[Validator], cascade: CascadeConfig) -> Verdict:
    """``validate`` for async callers: ``acheck`` is awaited under ``cascade.validator_timeout_s``."""
    weights = _weights(validators, cascade)
    verdicts: list[Verdict] = []
    for validator in validators:
        verdict = await arun_check(validator, answer, cascade.validator_timeout_s)
        verdicts.append(verdict)
        if _decided(verdict, cascade):
            break
    return combine_verdicts(
        verdicts, mode=cascade.combine, threshold=cascade.threshold, weights=weights[: len(verdicts)]
    )


def _decided(verdict: Verdict, cascade: CascadeConfig) -> bool:
    return (cascade.combine == "all" and not verdict.accepted) or (
        cascade.combine == "any" and verdict.accepted and not verdict.skipped)
