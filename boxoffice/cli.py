"""How the project's command lines (``python -m training``, ``python -m serving.client``) end on
a problem: one ``error:`` line on stderr and a non-zero exit, 1 for a problem in what the
command read or reached (``fail``), 2 for a flag or value it refuses (``run``)."""

from __future__ import annotations

import sys
from typing import NoReturn

import typer
from rich.console import Console

# Wide when stderr goes to a log or a pipe: an error is one line, never wrapped.
errors = Console(stderr=True, width=None if sys.stderr.isatty() else 1000)
# Click's error for a command line it refuses, as typer vendors it (typer.BadParameter's base).
UsageError: type[Exception] = typer.BadParameter.__mro__[1]


def fail(message: str) -> NoReturn:
    errors.print(f"[red]error:[/red] {message}", soft_wrap=True, highlight=False)
    raise typer.Exit(code=1)


def run(app: typer.Typer, prog_name: str) -> NoReturn:
    """Run ``app``. A flag or value it refuses is one ``error:`` line naming the command's
    --help (exit 2), not click's boxed usage; no command at all prints the help."""
    try:
        code = app(prog_name=prog_name, standalone_mode=False)
    except UsageError as error:
        message = error.format_message()  # type: ignore[attr-defined]
        if not message or "\n" in message:  # no command given: typer printed the help
            if message:
                print(message, file=sys.stderr)
        else:
            ctx = error.ctx  # type: ignore[attr-defined]
            hint = f" (see {ctx.command_path} --help)" if ctx is not None else ""
            errors.print(f"[red]error:[/red] {message}{hint}", soft_wrap=True, highlight=False)
        sys.exit(error.exit_code)  # type: ignore[attr-defined]
    except RuntimeError as error:  # click's Abort: interrupted where the command does not ask
        if type(error).__name__ != "Abort":
            raise
        errors.print("[red]error:[/red] interrupted", highlight=False)
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)
