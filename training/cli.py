"""Command line: ``python -m training train|eda|models``."""

from __future__ import annotations

import enum
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
JobsOption = Annotated[
    int,
    typer.Option(
        min=1,
        max=64,
        help="Processes for the fits. The choice and the forecasts are the same for any number.",
    ),
]


class Holdout(enum.StrEnum):
    none = "none"
    original = "original"


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
    holdout: Annotated[
        Holdout,
        typer.Option(
            help="none: the served models learn from every labelled film; original: from the "
            "original project's training part only, so its test fold can be scored through "
            "the service (intervals and calibration then come from its validation part)."
        ),
    ] = Holdout.none,
    jobs: JobsOption = 2,
    require_targets: Annotated[
        bool,
        typer.Option(
            "--require-targets/--no-require-targets",
            help="Exit non-zero when a model misses its forward-backtest quality target.",
        ),
    ] = False,
) -> None:
    """Tune and choose the models, backtest them forward in time, refit them and save them to
    the BentoML model store with the comparable films."""
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
            holdout=holdout.value,
            n_jobs=jobs,
            reports_dir=reports_dir,
            console=console,
        )
    except DataError as error:
        _fail(str(error))
        return
    _print_targets(f"Models saved to the BentoML store at {bentoml_home()}", saved)
    if require_targets and not all(s.meets_targets for s in saved):
        _fail("a model missed its quality target (see the table above)")


def _print_targets(title: str, saved: list, enforced: bool = True) -> None:
    first = saved[0]
    table = Table(title=title)
    columns = (
        "model",
        "forecast, distribution",
        "score",
        f"one year ahead {first.years} (95% CI)",
        f"trained to {first.trained_to}",
        "targets" if enforced else "targets (not enforced: not the published table)",
        "met",
    )
    for column in columns:
        table.add_column(column)
    for s in saved:
        table.add_row(
            s.tag,
            s.algorithm,
            "R²" if s.metric == "r2" else "ROC-AUC",
            f"{s.pooled:.3f} ({s.pooled_ci95[0]:.3f}-{s.pooled_ci95[1]:.3f})",
            f"{s.later:.3f} ({s.later_ci95[0]:.3f}-{s.later_ci95[1]:.3f})",
            f"{s.targets[0]:.2f} / {s.targets[1]:.2f}",
            ("yes" if s.meets_targets else "[red]no[/red]") if enforced else "-",
        )
    console.print(table)


@app.command()
def backtest(
    data: DataOption = None,
    run: Annotated[
        str | None,
        typer.Option(help="Training run whose configuration to backtest (default: the newest)."),
    ] = None,
    reports_dir: ReportsOption = config.REPORTS_DIR,
    jobs: JobsOption = 2,
) -> None:
    """Backtest, forward in time, the configuration a stored training run chose (no tuning,
    nothing saved): writes reports/backtest.md and its figures."""
    from boxoffice.metadata import MetadataError
    from boxoffice.store import ModelNotFoundError
    from training.data import DataError
    from training.pipeline import run_backtest

    _check_writable(reports_dir)
    try:
        results, path = run_backtest(
            data, run=run, n_jobs=jobs, reports_dir=reports_dir, console=console
        )
    except (DataError, ModelNotFoundError, MetadataError) as error:
        _fail(str(error))
        return
    _print_targets(f"Backtest of run {results[0].tag.split(':')[1]} (report: {path})", results)


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
    from boxoffice.config import COMPARABLES
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
    forecasts = {key: read_metadata(model) for key, model in found.items() if key != COMPARABLES}
    first = next(iter(forecasts.values()))
    b = first.backtest
    years = f"{b.pooled_years[0]}-{b.pooled_years[-1]}"
    table = Table(
        title=f"Training run {first.run} (the models' version), {first.profile} profile, fitted "
        f"on {first.fitted_on.replace('_', ' ')} films up to {first.newest_year}; chosen on "
        f"{first.design.development_years[0]}-{first.design.development_years[-1]}, tested on "
        f"{years}"
    )
    for column in (
        "model",
        "forecast, distribution",
        "score",
        f"one year ahead {years}",
        f"trained to {b.trained_to}",
    ):
        table.add_column(column, no_wrap=True)
    for key, meta in forecasts.items():
        for metric, label in (("r2", "R²"), ("roc_auc", "AUC"), ("coverage", "80% coverage")):
            cells = []
            for scores in (meta.backtest.pooled, meta.backtest.later):
                text = f"{scores.metrics[metric]:.3f}"
                if metric in scores.ci95:
                    low, high = scores.ci95[metric]
                    text += f" (95% CI {low:.3f}-{high:.3f})"
                cells.append(text)
            table.add_row(
                found[key].tag.name if metric == "r2" else "",
                f"{meta.algorithm}, {meta.design.chosen}" if metric == "r2" else "",
                label,
                *cells,
            )
    console.print(table)
