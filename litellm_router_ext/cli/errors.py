"""Turn this package's errors into clean CLI messages."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import click

from ..errors import RouterExtError


@contextlib.contextmanager
def user_errors() -> Iterator[None]:
    """Report a ``RouterExtError`` as one line and exit 1 (click's ``ClickException``)."""
    try:
        yield
    except RouterExtError as exc:
        raise click.ClickException(str(exc)) from None
