"""Turn this package's errors into clean CLI messages."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Mapping
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


def failure_examples(summaries: Iterable[Mapping[str, Any]]) -> str:
    """One message per kind of failed call (``summarise``'s ``error_examples``), as lines to append."""
    examples: dict[str, str] = {}
    for summary in summaries:
        for kind, detail in summary.get("error_examples", {}).items():
            examples.setdefault(kind, detail)
    return "".join(f"\n  {kind}: {detail}" for kind, detail in examples.items())
