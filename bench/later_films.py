"""Train on the table cut after a year, serve the models, and score the later films through
``/predict_batch`` as a client would: the product's use, measured end to end (issue 18).

    .venv/bin/python -m bench.later_films                  # cut after 2010, full training
    .venv/bin/python -m bench.later_films --cut 2010 --store build/store-cut-2010

Trains ``python -m training train --data <cut table>`` (full profile) into ``--store`` (a
fresh temporary one unless given; an existing store's newest run is reused), starts
``bentoml serve``, and sends every labelled film released after the cut (the population rules
of training: known budget, revenue, genres and date) twice: with its pre-release fields, and
with the post-release signals too. Prints R² of log revenue, ROC-AUC of P(hit) and the 80%
range's coverage beside the targets.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Annotated

import httpx
import numpy as np
import pandas as pd
import typer
from rich.console import Console
from rich.table import Table
from sklearn.metrics import r2_score, roc_auc_score

from bench.contradictions import POST_RELEASE, PRE_RELEASE, films_of
from bench.harness import REPO_ROOT, BenchError, bentoml_serve, free_port
from boxoffice.config import DEFAULT_HIT_RATIO, MIN_PLAUSIBLE_USD
from training.data import DataError, load_movies, locate_dataset
from training.split import make_splits

console = Console(width=None if sys.stdout.isatty() else 120)
# Issue 18's targets for the films after 2010: (R², ROC-AUC) minimums, and the coverage band.
TARGETS = {"pre-release": (0.50, 0.66), "post-release": (0.66, 0.81)}
COVERAGE = (0.76, 0.84)
app = typer.Typer(add_completion=False, help=__doc__.split("\n\n")[0])


def train(table: Path, store: Path) -> None:
    if (store / "models").is_dir() and any((store / "models").iterdir()):
        console.print(f"using the models already in {store}")
        return
    env = {**os.environ, "BENTOML_HOME": str(store), "BENTOML_DO_NOT_TRACK": "true"}
    command = [sys.executable, "-m", "training", "train", "--data", str(table)]
    command += ["--reports-dir", str(store / "reports")]
    console.print(f"training on {table} into {store} …")
    done = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise BenchError(f"training failed: {(done.stdout + done.stderr).strip()[-500:]}")


@app.command()
def main(
    cut: Annotated[int, typer.Option(help="train on the films released up to this year")] = 2010,
    store: Annotated[Path | None, typer.Option(help="BentoML store (default: a fresh one)")] = None,
    data: Annotated[Path | None, typer.Option(help="the published TMDB CSV")] = None,
) -> None:
    try:
        path = locate_dataset(data)
    except DataError as error:
        console.print(f"[red]error:[/] {error}")
        raise typer.Exit(1) from None
    work = Path(tempfile.mkdtemp(prefix=f"bench-later-{cut}-"))
    store = store or work / "store"
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    year = pd.to_numeric(raw["release_date"].str[:4], errors="coerce")
    table = work / f"movies_to_{cut}.csv"
    raw[~(year > cut)].to_csv(table, index=False)
    population = make_splits(load_movies(path).frame).population
    after = population[(population["release_year"] > cut) & (population["runtime"] > 0)]
    # A budget under MIN_PLAUSIBLE_USD is a unit error the API refuses (the backtest in training
    # scores such films as drawn): they are left out and counted.
    later = after[after["budget"] >= MIN_PLAUSIBLE_USD]
    refused = len(after) - len(later)
    truth = np.log1p(later["revenue"].to_numpy(dtype=float))
    budget = later["budget"].to_numpy(dtype=float)
    try:
        train(table, store)
        env = {**os.environ, "BENTOML_HOME": str(store), "BENTOML_DO_NOT_TRACK": "true"}
        server = bentoml_serve(free_port(), work / "serve.log", env)
        server.start()
        try:
            server.wait_ready(120)
            answers = {}
            with httpx.Client(base_url=server.base_url, timeout=300) as client:
                for label, fields in (
                    ("pre-release", PRE_RELEASE),
                    ("post-release", PRE_RELEASE + POST_RELEASE),
                ):
                    response = client.post(
                        "/predict_batch", json={"films": films_of(later, fields)}
                    )
                    response.raise_for_status()
                    answers[label] = response.json()
        finally:
            server.stop()
    except BenchError as error:
        console.print(f"[red]error:[/] {error}")
        raise typer.Exit(1) from None
    years = f"{int(later['release_year'].min())}-{int(later['release_year'].max())}"
    title = f"trained on the films up to {cut}, {len(later):,} films of {years} via /predict_batch"
    if refused:
        title += (
            f" ({refused} with a budget under ${MIN_PLAUSIBLE_USD:,}, which it refuses, left out)"
        )
    out = Table(title=title)
    for column in ("films sent", "model", "R²", "ROC-AUC", "80% coverage", "targets", "met"):
        out.add_column(column)
    for label, answer in answers.items():
        rows = answer["predictions"]
        ratio = {fs: m.get("hit_ratio", DEFAULT_HIT_RATIO) for fs, m in answer["models"].items()}
        median = np.log1p([r["revenue_usd"] for r in rows])
        low = np.log1p([r["revenue_p10_usd"] for r in rows])
        high = np.log1p([r["revenue_p90_usd"] for r in rows])
        p = np.array([r["probability"] for r in rows])
        hit = truth > np.log1p(np.array([ratio[r["model"]] for r in rows]) * budget)
        r2 = r2_score(truth, median)
        auc = roc_auc_score(hit, p)
        coverage = float(np.mean((truth >= low) & (truth <= high)))
        low_r2, low_auc = TARGETS[label]
        met = r2 >= low_r2 and auc >= low_auc and COVERAGE[0] <= coverage <= COVERAGE[1]
        models = ", ".join(sorted({r["model"] for r in rows}))
        out.add_row(
            label,
            models,
            f"{r2:.3f}",
            f"{auc:.3f}",
            f"{coverage:.3f}",
            f"R² ≥ {low_r2}, AUC ≥ {low_auc}, {COVERAGE[0]}-{COVERAGE[1]}",
            "[green]yes[/]" if met else "[red]no[/]",
        )
    console.print(out)


if __name__ == "__main__":
    app(prog_name="bench.later_films")
