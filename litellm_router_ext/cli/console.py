"""The one place the commands get their rich console."""

from __future__ import annotations

import os
import sys

from rich.console import Console

# Rich assumes 80 columns when output is piped (CI logs, `| tee`), which hid the saved@95/99 columns
# and squeezed the regression tables to nothing. The widest (worst regressions) needs 129.
PIPED_WIDTH = 132


def make_console(*, stderr: bool = False, quiet: bool = False) -> Console:
    """A console on stdout (or stderr); a terminal or an explicit ``COLUMNS`` sets the width, else 132."""
    file = sys.stderr if stderr else sys.stdout
    width = None if file.isatty() or os.environ.get("COLUMNS") else PIPED_WIDTH
    return Console(file=file, quiet=quiet, width=width)
