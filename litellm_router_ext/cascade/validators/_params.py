"""Validator params: frozen pydantic models checked once, when the cascade is built."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from ...errors import ConfigError, did_you_mean

P = TypeVar("P", bound="Params")


class Params(BaseModel):
    """Base of every validator's params model."""

    model_config = ConfigDict(frozen=True, extra="forbid")


def parse_params(model: type[P], params: Mapping[str, Any] | P | None, *, key: str) -> P:
    """Validate ``params`` into ``model``; any problem is a ``ConfigError`` naming ``key.<field>``."""
    if isinstance(params, model):
        return params
    try:
        return model.model_validate(dict(params or {}))
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        where = f"{key}.{field}" if field else key
        if first["type"] == "extra_forbidden":
            raise ConfigError(
                f"unknown param {first['loc'][-1]!r}" + did_you_mean(str(first["loc"][-1]), model.model_fields),
                key=where, allowed=list(model.model_fields)
            ) from None
        value = first.get("input") if first["type"] != "missing" else None
        # no `allowed`: a bad choice's message ("Input should be 'auto', 'number', ...") already lists them
        message = first["msg"].removeprefix("Value error, ")
        raise ConfigError(message, key=where, value=value) from None


def compile_patterns(patterns: tuple[str, ...], *, ignore_case: bool = True) -> tuple[re.Pattern[str], ...]:
    """Compile config regexes; a bad one raises ``ValueError`` naming it (pydantic reports the key)."""
    flags = re.IGNORECASE if ignore_case else 0
    out = []
    for p in patterns:
        try:
            out.append(re.compile(p, flags))
        except re.error as exc:
            raise ValueError(f"invalid regular expression {p!r}: {exc}") from None
    return tuple(out)
