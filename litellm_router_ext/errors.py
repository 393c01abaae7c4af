"""Every error this package raises, under one base class.

::

    RouterExtError
     ├── ConfigError (ValueError)          a router/recipe/proxy config is wrong: file, key, value, allowed
     ├── DatasetError (ValueError)         an eval-set record is wrong: file, line, field
     ├── ArtifactError (ValueError)        a learned-predictor artifact is missing or malformed
     ├── RequestError (ValueError)         a request cannot be routed as sent (a 4xx, the caller's fix)
     │    └── UnknownRouterError           model="tiered/<alias>" names no installed router
     └── AllTiersFailedError               every eligible tier failed at the provider; nothing to return

Provider errors raised by LiteLLM are never wrapped while a tier is being tried: the cascade catches them
in ``adapters`` and either moves up a tier or, when nothing is left, raises ``AllTiersFailedError``
carrying the last provider error as ``__cause__``.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence


class RouterExtError(Exception):
    """Base class of every error raised by litellm_router_ext."""


class ConfigError(RouterExtError, ValueError):
    """A configuration file or object is invalid. The message names the file, key path, value and fix."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        key: str | None = None,
        value: object = None,
        allowed: Iterable[object] | None = None,
        line: int | None = None,
    ) -> None:
        self.reason = message
        self.file = file
        self.key = key
        self.value = value
        self.allowed = tuple(allowed) if allowed is not None else None
        self.line = line
        # no file: an option given on the command line (--router, --models), else a config given as an object
        where = file or ("command line" if key and key.startswith("--") else "<config>")
        if line is not None:
            where += f", line {line}"
        if key:
            where += f", key '{key}'"
        text = f"{where}: {message}"
        if value is not None:
            text += f" (got {value!r})"
        if self.allowed:
            text += f"; allowed: {', '.join(map(str, self.allowed))}"
        super().__init__(text)


class DatasetError(RouterExtError, ValueError):
    """An eval-set file or record is invalid. The message names the file, line and field."""

    def __init__(self, message: str, *, file: str, line: int | None = None, field: str | None = None) -> None:
        self.file, self.line, self.field = file, line, field
        where = file if line is None else f"{file}:{line}"
        if field:
            where += f" field '{field}'"
        super().__init__(f"{where}: {message}")


class ArtifactError(RouterExtError, ValueError):
    """A learned-predictor artifact cannot be loaded."""


class RequestError(RouterExtError, ValueError):
    """The request cannot be routed as sent; the caller must change it (maps to HTTP 400)."""

    status_code = 400


class UnknownRouterError(RequestError):
    """``tiered/<alias>`` names a router that was not installed."""

    status_code = 404

    def __init__(self, alias: str, known: Sequence[str],
                 where: str = "the router config passed to litellm_router_ext.install(...)") -> None:
        self.alias = alias
        known_text = ", ".join(sorted(known)) or "none installed"
        super().__init__(f"no tiered router named '{alias}'; installed: {known_text}. Add it to {where}")


class AllTiersFailedError(RouterExtError):
    """Every eligible tier failed at the provider (down, rate-limited, timing out)."""

    status_code = 503

    def __init__(self, alias: str, tried: Sequence[str], last_error: BaseException | None) -> None:
        self.alias = alias
        self.tried = tuple(tried)
        # Class and status only: a provider's message can echo the prompt, and this text reaches logs.
        status = getattr(last_error, "status_code", None)
        detail = (
            (f"{type(last_error).__name__}({status})" if status else type(last_error).__name__)
            if last_error
            else "no tier was eligible"
        )
        super().__init__(
            f"router '{alias}': every tier failed ({', '.join(tried) or 'none tried'}); last error: {detail}"
        )


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """"; did you mean 'x'?" for the choice closest to a misspelt ``name``, else "" (for error messages)."""
    match = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.6)
    return f"; did you mean {match[0]!r}?" if match else ""
