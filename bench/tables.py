"""Train on tables the pipeline was not shaped by, made from the published one, and check each
trains, serves and answers with its own newest year (issue 18).

    .venv/bin/python -m bench.tables                       # every variant, quick profile
    .venv/bin/python -m bench.tables --profile full --only cut-2010

Variants: the table cut after each year 2006-2016; a random half; the films from 1990; the
list columns written as plain names separated by ``|`` and by ``, `` (countries and languages
by their English names); and the films of 2014-2016 only, which must stop with one ``error:``
line. Each runs ``python -m training train`` into a fresh store, then answers a film released
the year after the table's newest in process (``serving.predictor``) and reads the stored
models' years and forward figures.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from bench.harness import REPO_ROOT
from training.data import DataError, locate_dataset

console = Console(width=None if sys.stdout.isatty() else 160)
LIST_COLUMNS = ("genres", "keywords", "production_companies", "production_countries")
LANGUAGES = "spoken_languages"


def _year(table: pd.DataFrame) -> pd.Series:
    return pd.to_numeric(table["release_date"].str[:4], errors="coerce")


def _as_names(table: pd.DataFrame, separator: str) -> pd.DataFrame:
    """The list columns as plain names joined by ``separator`` (English names throughout)."""
    import pycountry

    def names(cell: str, key: str = "name") -> str:
        items = json.loads(cell) if cell else []
        return separator.join(str(item[key]) for item in items)

    def language(code: str) -> str:
        record = pycountry.languages.get(alpha_2=code)
        return record.name if record else code

    out = table.copy()
    for column in LIST_COLUMNS:
        out[column] = out[column].map(names)
    out[LANGUAGES] = out[LANGUAGES].map(
        lambda cell: separator.join(
            language(item["iso_639_1"]) for item in (json.loads(cell) if cell else [])
        )
    )
    return out


def variants(published: pd.DataFrame) -> dict[str, Callable[[], pd.DataFrame]]:
    year = _year(published)
    made: dict[str, Callable[[], pd.DataFrame]] = {
        f"cut-{y}": (lambda y=y: published[~(year > y)]) for y in range(2006, 2017)
    }
    made["random-half"] = lambda: published.sample(frac=0.5, random_state=0)
    made["from-1990"] = lambda: published[year >= 1990]
    made["names-pipe"] = lambda: _as_names(published, "|")
    made["names-comma"] = lambda: _as_names(published, ", ")
    made["only-2014-2016"] = lambda: published[year.between(2014, 2016)]
    return made


ANSWER = """
import json, sys
from boxoffice.store import resolve_run
from serving.predictor import Predictor
from serving.schema import Film
predictor = Predictor.from_store(resolve_run())
year = int(sys.argv[1])
film = Film(budget=60e6, runtime=110, genres=["Drama"], release_date=f"{year}-06-15")
print(json.dumps({k: v for k, v in predictor.revenue([film])[0].items()
                  if k in ("revenue_usd", "dollars_year", "horizon_years")}))
"""


def run_variant(name: str, table: pd.DataFrame, profile: str) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix=f"bench-tables-{name}-"))
    try:
        path = work / "movies.csv"
        table.to_csv(path, index=False)
        env = {**os.environ, "BENTOML_HOME": str(work / "store"), "BENTOML_DO_NOT_TRACK": "true"}
        command = [sys.executable, "-m", "training", "train", "--data", str(path)]
        command += [
            "--reports-dir",
            str(work / "reports"),
            *(["--quick"] if profile == "quick" else []),
        ]
        started = time.perf_counter()
        done = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True)
        row: dict[str, Any] = {
            "variant": name,
            "rows": len(table),
            "exit": done.returncode,
            "seconds": round(time.perf_counter() - started, 1),
        }
        output = (done.stdout + done.stderr).strip().splitlines()
        if done.returncode != 0:
            errors = [line for line in output if line.startswith("error:")]
            row["error"] = errors[-1] if errors else " | ".join(output[-3:])
            row["traceback"] = any("Traceback" in line for line in output)
            return row
        row |= stored_years(work / "store")
        answer = subprocess.run(
            [sys.executable, "-c", ANSWER, str(row["newest"] + 1)],
            cwd=REPO_ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
        row["answer"] = (
            json.loads(answer.stdout) if answer.returncode == 0 else answer.stderr[-300:]
        )
        return row
    finally:
        shutil.rmtree(work, ignore_errors=True)


def stored_years(store: Path) -> dict[str, Any]:
    import yaml

    from boxoffice.config import FEATURE_SETS, FORECAST, model_name
    from boxoffice.metadata import parse_metadata

    row: dict[str, Any] = {}
    for feature_set in FEATURE_SETS:
        (card,) = (store / "models" / model_name(FORECAST, feature_set)).glob("*/model.yaml")
        meta = parse_metadata(yaml.safe_load(card.read_text())["metadata"])
        b = meta.backtest
        row["newest"] = meta.newest_year
        row["selection"] = f"{meta.design.development_years[0]}-{meta.design.development_years[-1]}"
        row["test"] = f"{b.pooled_years[0]}-{b.pooled_years[-1]}"
        row["trained_to"] = b.trained_to
        short = "pre" if feature_set == "pre_release" else "post"
        for metric in ("r2", "roc_auc", "coverage"):
            row[f"{short} {metric}"] = (
                round(b.pooled.metrics[metric], 3),
                round(b.later.metrics[metric], 3),
            )
    return row


app = typer.Typer(add_completion=False, help=__doc__.split("\n\n")[0])


@app.command()
def main(
    profile: Annotated[str, typer.Option(help="quick or full")] = "quick",
    only: Annotated[list[str] | None, typer.Option(help="variants to run (default: all)")] = None,
    data: Annotated[Path | None, typer.Option(help="the published TMDB CSV")] = None,
) -> None:
    try:
        published = pd.read_csv(locate_dataset(data), dtype=str, keep_default_na=False)
    except DataError as error:
        console.print(f"[red]error:[/] {error}")
        raise typer.Exit(1) from None
    made = variants(published)
    names = only or list(made)
    unknown = [n for n in names if n not in made]
    if unknown:
        console.print(
            f"[red]error:[/] unknown variant(s) {', '.join(unknown)}; known: {', '.join(made)}"
        )
        raise typer.Exit(1)
    rows = []
    for name in names:
        console.print(f"{name} …")
        rows.append(run_variant(name, made[name](), profile))
        console.print(f"  {rows[-1]}")
    table = Table(
        title=f"training on other tables ({profile} profile); figures: one year ahead / trained to"
    )
    columns = (
        "variant",
        "rows",
        "exit",
        "s",
        "newest",
        "selection",
        "test",
        "pre r2",
        "pre roc_auc",
        "post r2",
        "post roc_auc",
        "post coverage",
        "answer (year after newest)",
    )
    for column in columns:
        table.add_column(column)
    for row in rows:
        if row["exit"] != 0:
            table.add_row(
                row["variant"],
                str(row["rows"]),
                str(row["exit"]),
                str(row["seconds"]),
                row.get("error", "")[:120]
                + (" [red](traceback)[/]" if row.get("traceback") else ""),
            )
            continue
        answer = row.get("answer")
        shown = (
            f"${answer['revenue_usd'] / 1e6:.0f}M in {answer['dollars_year']} dollars, "
            f"horizon {answer['horizon_years']}"
            if isinstance(answer, dict)
            else str(answer)[:80]
        )
        table.add_row(
            row["variant"],
            str(row["rows"]),
            "0",
            str(row["seconds"]),
            str(row["newest"]),
            row["selection"],
            row["test"],
            *(
                f"{row[k][0]:.3f} / {row[k][1]:.3f}"
                for k in ("pre r2", "pre roc_auc", "post r2", "post roc_auc", "post coverage")
            ),
            shown,
        )
    console.print(table)
    expected_to_fail = {"only-2014-2016"}
    failed = [
        r
        for r in rows
        if (r["exit"] != 0) != (r["variant"] in expected_to_fail) or r.get("traceback")
    ]
    if failed:
        raise typer.Exit(1)


if __name__ == "__main__":
    app(prog_name="bench.tables")
