"""How a command line ends: Ctrl-C is one `error:` line too."""

from __future__ import annotations

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
