"""Command line: ``python -m training train|eda|models``."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from training import config

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Train and evaluate the box-office revenue and hit models.",
)
# Wide enough for the summary tables when the output goes to a log or a pipe (rich's default
# there is 80 columns, which cuts the model tags and intervals).
console = Console(width=None if sys.stdout.isatty() else 120)

DataOption = Annotated[
    str | None,
    typer.Option(
        "--data",
        help=f"Path to {config.DATA_FILENAME} (default: ${config.DATA_ENV_VAR}, data/, "
        "then ../shared/data/).",
    ),
]
ReportsOption = Annotated[Path, typer.Option(help="Where the report and figures are written.")]


def _fail(message: str) -> None:
    console.print(f"[red]error:[/red] {message}", soft_wrap=True)
    raise typer.Exit(code=1)


def _check_writable(directory: Path, what: str = "the reports") -> None:
    """Fail now, not after training, when the reports or the models cannot be written."""
    if directory.exists() and not directory.is_dir():
        _fail(f"cannot write {what} to {directory}: it is a file, not a directory")
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=directory):
            pass
    except OSError as error:
        _fail(f"cannot write {what} to {directory}: {error.strerror or error}")


@app.command()
def train(
    data: DataOption = None,
    seed: Annotated[
        int,
        typer.Option(min=0, max=2**32 - 1, help="Random seed for splits, CV folds and models."),
    ] = config.SEED,
    quick: Annotated[bool, typer.Option(help="Small grids: for tests and smoke runs.")] = False,
    hit_ratio: Annotated[
        float, typer.Option(min=1.0, help="A film is a hit when revenue > ratio × budget.")
    ] = config.HIT_RATIO,
    reports_dir: ReportsOption = config.REPORTS_DIR,
    require_bar: Annotated[
        bool, typer.Option(help="Exit non-zero when a model misses the quality bar.")
    ] = False,
) -> None:
    """Train, compare and tune all models; save the chosen ones to the BentoML model store."""
    from boxoffice.store import bentoml_home
    from training.data import DataError
    from training.pipeline import run_training

    _check_writable(reports_dir)
    _check_writable(Path(bentoml_home()) / "models", "the models (BENTOML_HOME)")
    try:
        saved = run_training(
            data,
            seed=seed,
            quick=quick,
            hit_ratio=hit_ratio,
            reports_dir=reports_dir,
            console=console,
        )
    except DataError as error:
        _fail(str(error))
        return
    table = Table(title=f"Models saved to the BentoML store at {bentoml_home()}")
    for column in ("tag", "algorithm", "test metric", "value", "95% CI", "minimum", "met"):
        table.add_column(column)
    for s in saved:
        table.add_row(
            s.tag,
            s.algorithm,
            s.test_metric,
            f"{s.test_value:.3f}",
            f"{s.test_ci95[0]:.3f}-{s.test_ci95[1]:.3f}",
            f"{s.minimum:.2f}",
            "yes" if s.meets_bar else "[red]no[/red]",
        )
    console.print(table)
    if require_bar and not all(s.meets_bar for s in saved):
        _fail("a model missed the quality bar (see the table above)")


@app.command()
def eda(data: DataOption = None, reports_dir: ReportsOption = config.REPORTS_DIR) -> None:
    """Write the exploratory analysis (missing values, ranges, targets, correlations)."""
    from training.data import DataError, load_movies
    from training.eda import write_eda

    _check_writable(reports_dir)
    try:
        loaded = load_movies(data)
    except DataError as error:
        _fail(str(error))
        return
    section = write_eda(loaded.frame, reports_dir / "figures")
    path = reports_dir / "eda.md"
    path.write_text(f"# EDA of {loaded.path.name}\n\n{section}", encoding="utf-8")
    console.print(f"EDA written to {path}")


@app.command()
def models(
    run: Annotated[
        str | None, typer.Option(help="Training run to show (default: the newest complete one).")
    ] = None,
    quiet: Annotated[bool, typer.Option(help="Print nothing; only the exit code tells.")] = False,
) -> None:
    """List the models of a training run with their test metrics; exit 1 when none is complete."""
    from boxoffice.metadata import MetadataError, read_metadata
    from boxoffice.store import ModelNotFoundError, resolve_run

    try:
        found = resolve_run(run)
    except (ModelNotFoundError, MetadataError) as error:
        if quiet:
            raise typer.Exit(code=1) from None
        _fail(str(error))
        return
    if quiet:
        return
    first = next(iter(found.values()))
    table = Table(
        title=f"Training run {first.info.labels['run']} (the models' version), "
        f"{read_metadata(first).profile} profile, {first.info.creation_time:%Y-%m-%d %H:%M}"
    )
    for column in ("model", "algorithm", "test (unfiltered fold)"):
        table.add_column(column, no_wrap=True)
    for model in found.values():
        meta = read_metadata(model)
        test = meta.metrics.test
        metric, _ = config.QUALITY_BAR[(meta.task, meta.feature_set)]
        low, high = getattr(test, f"{metric}_ci95")
        headline = f"{'R²' if metric == 'r2' else 'AUC'} {getattr(test, metric):.3f}"
        headline += f" (95% CI {low:.3f}-{high:.3f})"
        table.add_row(model.tag.name, meta.algorithm, headline)
    console.print(table)
