"""The cast and crew through the whole training pipeline, on built tables (issue 18): one whose
directors carry a shared revenue effect (planted), one whose directors are drawn at random.

    .venv/bin/python -m bench.credits                 # quick profile
    .venv/bin/python -m bench.credits --profile full

Each table (tests/helpers/tmdb_tables.py: 1985-2016, 70 films a year, five films a director)
is trained with its credits table by ``python -m training train`` into a fresh store; the
stored models' credits comparison (one year ahead, R² and ROC-AUC of the forecast's margin
over the hit line, without and with the credits, on the selection and the test years) and
whether each forecast reads them are printed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Annotated

import typer
import yaml
from rich.console import Console
from rich.table import Table

from bench.harness import REPO_ROOT
from boxoffice.config import FEATURE_SETS, FORECAST, model_name
from boxoffice.metadata import parse_metadata
from tests.helpers.tmdb_tables import movies_and_credits, write_tables

console = Console(width=None if sys.stdout.isatty() else 140)
app = typer.Typer(add_completion=False, help=__doc__.split("\n\n")[0])


@app.command()
def main(profile: Annotated[str, typer.Option(help="quick or full")] = "quick") -> None:
    table = Table(title=f"credits, one year ahead: without → with ({profile} profile)")
    for column in (
        "directors",
        "model",
        "R², selection",
        "R², test",
        "AUC, selection",
        "AUC, test",
        "read",
    ):
        table.add_column(column)
    for kind in ("planted", "random"):
        work = Path(tempfile.mkdtemp(prefix=f"bench-credits-{kind}-"))
        try:
            movies, credits = movies_and_credits(1985, 2016, per_year=70, seed=3, directors=kind)
            movies_path, credits_path = write_tables(work, movies, credits)
            env = {**os.environ, "BENTOML_HOME": str(work / "store"), "BENTOML_DO_NOT_TRACK": "1"}
            command = [sys.executable, "-m", "training", "train", "--data", str(movies_path)]
            command += ["--credits", str(credits_path), "--reports-dir", str(work / "reports")]
            command += ["--quick"] if profile == "quick" else []
            done = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True)
            if done.returncode != 0:
                console.print(f"[red]error:[/] {kind}: {(done.stdout + done.stderr)[-400:]}")
                raise typer.Exit(1)
            for feature_set in FEATURE_SETS:
                name = model_name(FORECAST, feature_set)
                (card,) = (work / "store" / "models" / name).glob("*/model.yaml")
                meta = parse_metadata(yaml.safe_load(card.read_text())["metadata"])
                s = meta.credits.scores

                def pair(window: str, metric: str, s=s) -> str:
                    without = s[f"without_{window}"].metrics[metric]
                    return f"{without:.3f} → {s[f'with_{window}'].metrics[metric]:.3f}"

                table.add_row(
                    kind,
                    feature_set,
                    pair("development", "r2"),
                    pair("tested", "r2"),
                    pair("development", "roc_auc"),
                    pair("tested", "roc_auc"),
                    "yes" if meta.credits.used else "no",
                )
        finally:
            shutil.rmtree(work, ignore_errors=True)
    console.print(table)


if __name__ == "__main__":
    app(prog_name="bench.credits")
