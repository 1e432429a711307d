"""What every ``autograder`` command shares: its exit codes, and help that shows a flag as a
flag (``--regrade``, not ``--regrade <bool>``: a flag takes no value)."""
from __future__ import annotations

from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup

# Exit codes, the same for every command (README: "Exit codes").
OK = 0  # done: every submission graded, every file written
FAILED = 1  # the command's own work failed: a build's self-check, an unexpected error
USAGE = 2  # nothing was done: an unknown option, value or assignment, a missing file or config
UNGRADED = 3  # grade finished, but some submissions could not be graded normally (their status
#              is error, timeout, crashed or memory: their rows say why)
INTERRUPTED = 130  # Ctrl-C: what was finished is kept

# what a shell user types after a flag when they take "--regrade <bool>" at its word
BOOLEAN_WORDS = frozenset({"true", "false", "yes", "no", "on", "off", "1", "0", "t", "f",
                           "y", "n"})


def _flags_take_no_value(params: list) -> list:
    for param in params:
        if getattr(param, "is_flag", False) and param.metavar is None:
            param.metavar = ""  # the help's type column: empty, not "<bool>"
    return params


class Command(TyperCommand):
    def get_params(self, ctx):  # noqa: D102 - click's
        return _flags_take_no_value(super().get_params(ctx))


class Group(TyperGroup):
    def get_params(self, ctx):  # noqa: D102 - click's
        return _flags_take_no_value(super().get_params(ctx))


class App(typer.Typer):
    """A ``typer.Typer`` whose commands and groups show flags as flags."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("cls", Group)
        super().__init__(**kwargs)

    def command(self, *args: Any, **kwargs: Any):  # noqa: D102 - typer's
        kwargs.setdefault("cls", Command)
        return super().command(*args, **kwargs)
