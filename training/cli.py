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

from boxoffice.cli import fail
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
        help=f"Path to {config.DATA_FILENAME}, or a table in its format as CSV or Parquet, "
        f"gzip-compressed or not (default: ${config.DATA_ENV_VAR}, data/, then ../shared/data/).",
    ),
]
CreditsOption = Annotated[
    str | None,
    typer.Option(
        "--credits",
        help="Path to TMDB's credits table (movie_id, title, cast, crew), as "
        "tmdb_5000_credits.csv (default: tmdb_5000_credits.csv or tmdb_credits.csv beside the "
        "movies table, if there). Without one the models do not read the cast and crew.",
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


def _check_writable(directory: Path, what: str = "the reports") -> None:
    """Fail now, not after training, when the reports or the models cannot be written."""
    if directory.exists() and not directory.is_dir():
        fail(f"cannot write {what} to {directory}: it is a file, not a directory")
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=directory):
            pass
    except OSError as error:
        fail(f"cannot write {what} to {directory}: {error.strerror or error}")


@app.command()
def train(
    data: DataOption = None,
    credits: CreditsOption = None,
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
            help="Exit non-zero when a model misses its forward-backtest quality target (the "
            "published table's targets; another table's figures are reported, not enforced).",
        ),
    ] = False,
) -> None:
    """Tune and choose the models, backtest them forward in time, refit them and save them to
    the BentoML model store with the comparable films."""
    from boxoffice.store import bentoml_home
    from training.data import DataError
    from training.pipeline import TargetsMissed, run_training

    _check_writable(reports_dir)
    _check_writable(Path(bentoml_home()) / "models", "the models (BENTOML_HOME)")
    try:
        saved = run_training(
            data,
            credits=credits,
            seed=seed,
            quick=quick,
            hit_ratio=hit_ratio,
            holdout=holdout.value,
            n_jobs=jobs,
            reports_dir=reports_dir,
            console=console,
            require_targets=require_targets,
        )
    except DataError as error:
        fail(str(error))
        return
    except TargetsMissed as missed:
        _print_targets("Not saved (--require-targets): a model missed its target", missed.rows)
        fail(str(missed))
        return
    enforced = all(s.enforced for s in saved)
    _print_targets(f"Models saved to the BentoML store at {bentoml_home()}", saved, enforced)
    if require_targets and not enforced:
        console.print(
            "note: --require-targets: the quality targets are those of the published TMDB 5000 "
            f"table at a hit ratio of {config.HIT_RATIO:g}; this run's figures are reported beside "
            "them, not enforced"
        )


def _print_targets(title: str, saved: list, enforced: bool = True) -> None:
    first = saved[0]
    version = first.tag.split(":")[1]
    table = Table(title=title if version in title else f"{title}, version {version}")
    columns = (
        "model",
        "forecast, distribution",
        "score",
        f"one year ahead {first.years} (95% CI)",
        f"trained to {first.trained_to}",
        "targets"
        if enforced
        else f"targets (not enforced: not the published table at hit ratio {config.HIT_RATIO:g})",
        "met",
    )
    for column in columns:
        # The model's name (folded, never cut: pre- or post-release), its version below it.
        table.add_column(column, overflow="fold")
    for s in saved:
        table.add_row(
            s.tag.split(":")[0],
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
    credits: CreditsOption = None,
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
            data,
            credits=credits,
            run=run,
            n_jobs=jobs,
            reports_dir=reports_dir,
            console=console,
        )
    except (DataError, ModelNotFoundError, MetadataError) as error:
        fail(str(error))
        return
    _print_targets(
        f"Backtest of run {results[0].tag.split(':')[1]} (report: {path})",
        results,
        all(s.enforced for s in results),
    )


@app.command()
def fetch(
    start: Annotated[
        str, typer.Option("--from", help="First release year (2017) or date (2017-06-30).")
    ],
    end: Annotated[str, typer.Option("--to", help="Last release year or date.")],
    out: Annotated[Path, typer.Option(help="Directory of tmdb_movies.csv and tmdb_credits.csv.")],
    append: Annotated[
        bool,
        typer.Option(help="Merge into the tables already in --out (one row per TMDB id)."),
    ] = False,
    api_url: Annotated[str, typer.Option(help="TMDB's v3 API.")] = config.TMDB_API_URL,
    min_votes: Annotated[
        int, typer.Option(min=0, help="Only films with at least this many TMDB votes.")
    ] = config.FETCH_MIN_VOTES,
    rate: Annotated[
        float,
        typer.Option(min=0.1, max=1000, help="Requests per second (TMDB's ceiling: about 40-50)."),
    ] = config.FETCH_RATE,
    connections: Annotated[
        int, typer.Option(min=1, max=64, help="Requests in flight.")
    ] = config.FETCH_CONNECTIONS,
) -> None:
    """Fetch the films released in a range from TMDB's API (discover, then each film's details
    with its keywords and credits) as tmdb_movies.csv and tmdb_credits.csv, in TMDB 5000's
    formats. The key comes from TMDB_API_KEY (v3 key) or TMDB_API_TOKEN (read access token).
    Interrupted, a rerun fetches only what it lacks (the cache is in OUT/.tmdb-cache/)."""
    import asyncio

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from training import fetch as tmdb

    try:  # values refused: exit 2, as for any other flag
        first, last = tmdb.parse_day(start, end=False), tmdb.parse_day(end, end=True)
        tmdb.check_range(first, last)
        tmdb.api_base(api_url)
    except tmdb.FetchError as error:
        raise typer.BadParameter(str(error)) from None
    try:
        auth = tmdb.Auth.from_env()
    except tmdb.FetchError as error:
        fail(str(error))
        return
    _check_writable(out, "the tables")
    columns = ("{task.description}", BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(f"films {first} to {last}", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        try:
            result = asyncio.run(
                tmdb.fetch(
                    first,
                    last,
                    out,
                    auth=auth,
                    api_url=api_url,
                    append=append,
                    min_votes=min_votes,
                    rate=rate,
                    connections=connections,
                    progress=progress,
                )
            )
        except tmdb.FetchError as error:
            fail(f"{error} (fetched so far: kept in {out / tmdb.CACHE_DIR})")
            return
        except KeyboardInterrupt:
            fail(f"interrupted: what was fetched is kept in {out / tmdb.CACHE_DIR}; rerun to go on")
            return
    c = result.counts
    console.print(
        f"{result.films:,} films written to {result.movies} and {result.credits}"
        + (f" ({result.replaced:,} replaced their earlier rows)" if append else "")
        + f"; details fetched {result.fetched:,}, from the cache {result.cached:,}, no longer "
        f"at TMDB {result.gone:,}; {c.requests:,} requests in {result.seconds:.1f} s "
        f"({c.rate_limited} rate-limited, {c.retried} retried)"
    )


@app.command()
def eda(data: DataOption = None, reports_dir: ReportsOption = config.REPORTS_DIR) -> None:
    """Write the exploratory analysis (missing values, ranges, targets, correlations)."""
    from training.data import DataError, load_movies
    from training.eda import write_eda

    _check_writable(reports_dir)
    try:
        loaded = load_movies(data)
    except DataError as error:
        fail(str(error))
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
    from training.pipeline import published_run

    try:
        found = resolve_run(run)
    except (ModelNotFoundError, MetadataError) as error:
        if quiet:
            raise typer.Exit(code=1) from None
        fail(str(error))
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
        f"{years}; data sha256 {first.data_sha256[:12]}… ("
        + ("the published TMDB 5000 table" if published_run(first) else "not the published table")
        + f"); a hit: revenue above {first.hit_ratio:g} × budget"
    )
    for column in (
        "model",
        "forecast, distribution",
        "score",
        f"one year ahead {years}",
        f"trained to {b.trained_to}",
    ):
        table.add_column(column, overflow="fold")
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
