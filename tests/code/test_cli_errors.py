"""How a command line ends: Ctrl-C is one `error:` line too."""

from __future__ import annotations

import itertools

import pytest
import typer

from boxoffice.cli import INTERRUPTED, run


def test_an_interrupted_command_says_so(monkeypatch, capsys) -> None:
    app = typer.Typer()

    @app.command()
    def work() -> None:
        raise KeyboardInterrupt

    @app.command()
    def other() -> None:  # two commands: the first is named on the command line
        pass

    monkeypatch.setattr("sys.argv", ["prog", "work"])
    with pytest.raises(SystemExit) as exited:
        run(app, "prog")
    assert exited.value.code == INTERRUPTED == 130
    assert capsys.readouterr().err.strip() == "error: interrupted"


@pytest.mark.parametrize("module", ["serving.client", "training"])
def test_the_list_of_commands_does_not_break_a_summary_mid_sentence(module: str) -> None:
    """Typer keeps a docstring's line breaks in the list of commands: the client's slate
    summary read '... each film's revenue, P(hit)' then 'and profit, ...' on the next line."""
    import subprocess
    import sys

    shown = subprocess.run(
        [sys.executable, "-m", module, "--help"],
        capture_output=True,
        text=True,
        env={"COLUMNS": "100", "PATH": ""},
        check=True,
    ).stdout
    panel = shown[shown.index("Commands") :]
    lines = [line.strip("│").rstrip() for line in panel.splitlines() if line.startswith("│")]
    widest = max(map(len, lines))
    # A summary's line ends only where its next word would not fit, or where the summary ends
    # (the next line names another command, " slate      Forecast ...", not indented).
    for line, after in itertools.pairwise(lines):
        next_word = after.split()[0]
        assert len(line) + 1 + len(next_word) > widest - 2 or after[1] != " ", (line, after)
