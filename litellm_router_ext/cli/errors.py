"""Turn this package's errors into clean CLI messages."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
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


class OutputFile(click.Path):
    """A file a command writes (``-``: stdout). A missing folder is made when the option is read, as ``train --out``
    makes its own: a run of minutes must not end in a traceback, with some of its files written and others not."""

    name = "output file"

    def __init__(self) -> None:
        super().__init__(dir_okay=False, path_type=Path)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        converted = super().convert(value, param, ctx)
        path = Path(os.fsdecode(converted))
        if str(path) != "-":
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                self.fail(f"cannot make the folder {path.parent} for {path}: {exc.strerror}", param, ctx)
        return converted


def one_file(ctx: click.Context, param: click.Parameter, values: tuple[Path, ...]) -> Path | None:
    """A file option read once: given twice, click kept the last one without a word (a gate checked half its data)."""
    if len(values) > 1:
        raise click.BadParameter(f"given {len(values)} times ({', '.join(map(str, values))}); this command reads "
                                 "one file: concatenate them (cat a.jsonl b.jsonl > all.jsonl; ids must stay unique)",
                                 ctx, param)
    return values[0] if values else None
