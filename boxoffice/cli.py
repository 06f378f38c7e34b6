"""How the project's command lines (``python -m training``, ``python -m serving.client``) end on
a problem: one ``error:`` line on stderr and a non-zero exit, 1 for a problem in what the
command read or reached (``fail``), 2 for a flag or value it refuses (``run``)."""

from __future__ import annotations

import inspect
import sys
from typing import NoReturn

import typer
from rich.console import Console
from rich.markup import escape

# Wide when stderr goes to a log or a pipe: an error is one line, never wrapped.
errors = Console(stderr=True, width=None if sys.stderr.isatty() else 1000)
# Click's error for a command line it refuses, as typer vendors it (typer.BadParameter's base).
UsageError: type[Exception] = typer.BadParameter.__mro__[1]


def say_error(message: str) -> None:
    """One ``error:`` line on stderr; the message as written (a path's [brackets] kept)."""
    errors.print(f"[red]error:[/red] {escape(message)}", soft_wrap=True, highlight=False)


def fail(message: str) -> NoReturn:
    say_error(message)
    raise typer.Exit(code=1)


def one_line_summaries(app: typer.Typer) -> None:
    """Each command's summary in the list of commands: its docstring's first paragraph on one
    line. There Typer ("rich" markup) keeps the paragraph's line breaks, and the text broke
    mid-sentence."""
    for command in app.registered_commands:
        if command.callback is not None and not command.short_help:
            first = inspect.cleandoc(command.callback.__doc__ or "").split("\n\n")[0]
            command.short_help = " ".join(first.split())


def run(app: typer.Typer, prog_name: str) -> NoReturn:
    """Run ``app``. A flag or value it refuses is one ``error:`` line naming the command's
    --help (exit 2), not click's boxed usage; no command at all prints the help."""
    one_line_summaries(app)
    try:
        code = app(prog_name=prog_name, standalone_mode=False)
    except UsageError as error:
        # typer checks some values with pydantic, whose messages start "Value error, "
        message = error.format_message().replace("Value error, ", "")  # type: ignore[attr-defined]
        if not message or "\n" in message:  # no command given: typer printed the help
            if message:
                print(message, file=sys.stderr)
        else:
            ctx = error.ctx  # type: ignore[attr-defined]
            hint = f" (see {ctx.command_path} --help)" if ctx is not None else ""
            say_error(f"{message}{hint}")
        sys.exit(error.exit_code)  # type: ignore[attr-defined]
    except RuntimeError as error:  # click's Abort: a prompt's input ended (EOF)
        if type(error).__name__ != "Abort":
            raise
        say_error("aborted")
        sys.exit(1)
    if code == INTERRUPTED:  # typer's exit code for Ctrl-C, which it says nothing about
        say_error("interrupted")
    sys.exit(code if isinstance(code, int) else 0)


# The exit code typer (typer.core) gives a command interrupted by Ctrl-C (128 + SIGINT).
INTERRUPTED = 130
