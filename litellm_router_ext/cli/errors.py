"""Turn this package's errors into clean CLI messages."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from typing import Any

import click

from ..errors import RouterExtError


@contextlib.contextmanager
def user_errors() -> Iterator[None]:
    """Report a ``RouterExtError`` as one line and exit 1 (click's ``ClickException``)."""
    try:
        yield
    except RouterExtError as exc:
        raise click.ClickException(str(exc)) from None


def failure_examples(summaries: Mapping[str, Mapping[str, Any]]) -> str:
    """One message per kind of failed call of each model (``summarise``'s ``error_examples``), as lines to append:
    two models failing with one error class (LiteLLM calls a refused connection a 500, as it does a real 500)
    may fail for different reasons."""
    return "".join(f"\n  {name + ': ' if len(summaries) > 1 else ''}{kind}: {detail}"
                   for name, summary in summaries.items() for kind, detail in summary.get("error_examples", {}).items())
