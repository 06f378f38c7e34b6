"""Time `python -m training train` against the issues' limits: full ≤ 180 s, --quick ≤ 30 s,
full with a credits table ≤ 240 s.

Run from the repository root, with the project's virtualenv (the dataset is found as the
training CLI finds it: --data, BOXOFFICE_DATA, data/, ../shared/data/):

    .venv/bin/python -m bench.training                      # quick, full, credits, once each
    .venv/bin/python -m bench.training --profile quick --rounds 3
    .venv/bin/python -m bench.training --profile credits   # full, with a credits table

The credits profile reads the credits table beside the data (tmdb_5000_credits.csv) or
``--credits``; when there is none it writes a stand-in in TMDB's format for the table's films
(bench/fake_tmdb.py's made-up credits: a director among 997, eight cast members among 5,003),
which times the work, not the gain.

Each run is the whole command a user types, as a child process, into a fresh temporary BentoML
store and reports directory, so start-up, imports, the report and saving count. For each run it
prints wall seconds next to the limit, the child's CPU seconds and peak resident memory (from
wait4, as /usr/bin/time reports them), the share of the machine other processes used meanwhile
(a run above 5% is marked noisy), the seconds of each training stage, and the forecast models'
forward-backtest scores (R², ROC-AUC) next to their quality targets, read from the stored
models' metadata.
Results also go to bench/results/training-<UTC time>.json.
Exit status 1 when a run fails; a run over its limit is reported, not an error.
"""

from __future__ import annotations

import contextlib
import dataclasses
import enum
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
import yaml
from rich.console import Console
from rich.table import Table

from bench.harness import (
    NOISY_OTHER_CPU_PCT,
    REPO_ROOT,
    RESULTS_DIR,
    git_commit,
    interrupt_on_termination,
    machine_busy_seconds,
    utc_stamp,
)
from boxoffice.config import FEATURE_SETS, FORECAST, model_name
from boxoffice.metadata import parse_metadata
from training import config

LIMIT_SECONDS = {"quick": 30.0, "full": 180.0, "credits": 240.0}  # issues 2, 12 and 18
TIMEOUT_FACTOR = 4  # a run is stopped after this many times its limit

console = Console(width=None if sys.stdout.isatty() else 120)


class Profile(enum.StrEnum):
    quick = "quick"
    full = "full"
    credits = "credits"
    every = "all"


@dataclass
class ModelScore:
    """A stored model's forward score: one year ahead pooled over the test years, and trained
    to the year before them."""

    algorithm: str
    metric: str
    pooled: float
    pooled_ci95: list[float]
    later: float
    targets: list[float]

    @property
    def met(self) -> bool:
        return self.pooled >= self.targets[0] and self.later >= self.targets[1]


@dataclass
class TrainingRun:
    """One `python -m training train`: wall and CPU seconds, peak memory, the models' scores."""

    profile: str
    exit_code: int
    wall_s: float
    limit_s: float
    cpu_s: float  # the command's and its reaped children's, from wait4
    peak_rss_mib: float
    other_cpu_pct: float  # share of the machine other processes used meanwhile
    log: str
    models: dict[str, ModelScore] = field(default_factory=dict)
    stages: dict[str, float] = field(default_factory=dict)  # seconds of each training stage


def run_once(
    profile: str, data: Path | None, log_dir: Path, round_: int = 1, credits: Path | None = None
) -> TrainingRun:
    """One `python -m training train` in a fresh store; wall, CPU, peak RSS and model scores."""
    work = Path(tempfile.mkdtemp(prefix=f"bench-train-{profile}-"))
    try:
        command = [sys.executable, "-m", "training", "train", "--reports-dir", str(work / "r")]
        if profile == "quick":
            command.append("--quick")
        if data is not None:
            command += ["--data", str(data)]
        if profile == "credits":
            command += ["--credits", str(credits or standin_credits(data, work))]
        env = {**os.environ, "BENTOML_HOME": str(work / "store"), "BENTOML_DO_NOT_TRACK": "true"}
        log = log_dir / f"{profile}-{round_}.log"
        with log.open("w") as out:
            busy0, t0 = machine_busy_seconds(), time.perf_counter()
            # Its own process group, so that its worker processes go with it when stopped.
            child = subprocess.Popen(
                command, cwd=REPO_ROOT, env=env, stdout=out, stderr=out, start_new_session=True
            )
            try:
                status, usage = wait_for(child, TIMEOUT_FACTOR * LIMIT_SECONDS[profile])
            except BaseException:  # a timeout, ^C or SIGTERM: never leave it training
                # not reaped yet, so its pid still names its process group
                with contextlib.suppress(ProcessLookupError):  # it may have just ended
                    os.killpg(child.pid, signal.SIGKILL)
                child.wait()
                raise
            wall = time.perf_counter() - t0
            busy = machine_busy_seconds() - busy0
        child.returncode = os.waitstatus_to_exitcode(status)
        cpu = usage.ru_utime + usage.ru_stime
        other = max(0.0, busy - cpu)
        models, stages = stored_scores(work / "store") if child.returncode == 0 else ({}, {})
        return TrainingRun(
            profile=profile,
            exit_code=child.returncode,
            wall_s=round(wall, 2),
            limit_s=LIMIT_SECONDS[profile],
            cpu_s=round(cpu, 1),
            peak_rss_mib=round(usage.ru_maxrss / 1024, 1),
            other_cpu_pct=round(100 * other / (wall * (os.cpu_count() or 1)), 1),
            log=str(log),
            models=models,
            stages=stages,
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


def standin_credits(data: Path | None, work: Path) -> Path:
    """The credits table beside the data, else a stand-in for the table's films."""
    from bench.fake_tmdb import made_up_credits
    from training.credits import locate_credits
    from training.data import locate_dataset

    movies = locate_dataset(data)
    found = locate_credits(None, movies)
    if found is not None:
        return found
    ids = pd.read_csv(movies, usecols=["id", "title"])
    rows = []
    for movie_id, title in zip(ids["id"], ids["title"], strict=True):
        cast, crew = made_up_credits(int(movie_id))
        rows.append(
            {
                "movie_id": movie_id,
                "title": title,
                "cast": json.dumps(cast),
                "crew": json.dumps(crew),
            }
        )
    path = work / "standin_credits.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def wait_for(child: subprocess.Popen, timeout: float) -> tuple[int, Any]:
    """wait4 the child (its own CPU time and peak RSS, as /usr/bin/time), at most ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        pid, status, usage = os.wait4(child.pid, os.WNOHANG)
        if pid:
            return status, usage
        if time.monotonic() > deadline:
            raise TimeoutError(f"training took over {timeout:.0f} s; stopped")
        time.sleep(0.1)


def stored_scores(store: Path) -> tuple[dict[str, ModelScore], dict[str, float]]:
    """Each stored model's algorithm and forward scores with their targets; the seconds of
    each training stage (the same in every model of a run)."""
    scores, stages = {}, {}
    for feature_set in FEATURE_SETS:
        name = model_name(FORECAST, feature_set)
        (card,) = (store / "models" / name).glob("*/model.yaml")
        meta = parse_metadata(yaml.safe_load(card.read_text())["metadata"])
        pooled, later = meta.backtest.pooled, meta.backtest.later
        for task, metric in (("revenue", "r2"), ("hit", "roc_auc")):
            scores[f"{name} {metric}"] = ModelScore(
                f"{meta.algorithm}, {meta.design.chosen}",
                metric,
                round(pooled.metrics[metric], 3),
                list(pooled.ci95[metric]),
                round(later.metrics[metric], 3),
                list(config.FORWARD_TARGETS[(task, feature_set)]),
            )
        stages = dict(meta.timings)
    return scores, stages


def print_results(runs: list[TrainingRun]) -> None:
    table = Table(
        title="python -m training train, wall time against the 30 s / 180 s / 240 s limits"
    )
    for column in ("profile", "run", "wall s", "limit s", "margin", "CPU s", "peak RSS MiB"):
        table.add_column(column, justify="left" if column == "profile" else "right")
    table.add_column("other CPU %", justify="right")
    for profile in LIMIT_SECONDS:
        mine = [r for r in runs if r.profile == profile]
        for i, r in enumerate(mine, 1):
            margin = r.limit_s - r.wall_s
            noisy = r.other_cpu_pct > NOISY_OTHER_CPU_PCT
            table.add_row(
                profile,
                str(i) if r.exit_code == 0 else f"{i} (exit {r.exit_code})",
                f"{r.wall_s:.1f}",
                f"{r.limit_s:.0f}",
                f"[{'green' if margin >= 0 else 'red'}]{margin:+.1f}[/]",
                f"{r.cpu_s:.0f}",
                f"{r.peak_rss_mib:.0f}",
                f"{r.other_cpu_pct:.1f}" + (" noisy" if noisy else ""),
            )
        if len(mine) > 1:
            table.add_row(
                profile,
                "median",
                f"{statistics.median(r.wall_s for r in mine):.1f}",
                f"{LIMIT_SECONDS[profile]:.0f}",
                "",
                f"{statistics.median(r.cpu_s for r in mine):.0f}",
                f"{max(r.peak_rss_mib for r in mine):.0f}",
                "",
            )
    console.print(table)
    scored = [r for r in runs if r.models]
    if not scored:
        return
    stages = Table(title="seconds of each training stage (each run)")
    names = list(dict.fromkeys(k for r in scored for k in r.stages))
    for column in ("profile", "run", *names, "total"):
        stages.add_column(column, justify="left" if column == "profile" else "right")
    for profile in LIMIT_SECONDS:
        for i, r in enumerate([r for r in scored if r.profile == profile], 1):
            cells = [f"{r.stages.get(k, 0):.1f}" for k in names]
            stages.add_row(profile, str(i), *cells, f"{sum(r.stages.values()):.1f}")
    console.print(stages)
    bar = Table(
        title="forward backtest of the stored models against the quality targets (last run)"
    )
    columns = (
        "profile",
        "model",
        "algorithm",
        "metric",
        "one year ahead",
        "95% CI",
        "trained to",
        "targets",
        "met",
    )
    for column in columns:
        bar.add_column(
            column, justify="left" if column in ("profile", "model", "algorithm") else "right"
        )
    for profile in LIMIT_SECONDS:
        for r in [r for r in scored if r.profile == profile][-1:]:
            for name, s in r.models.items():
                bar.add_row(
                    profile,
                    name,
                    s.algorithm,
                    s.metric,
                    f"{s.pooled:.3f}",
                    f"{s.pooled_ci95[0]:.3f}-{s.pooled_ci95[1]:.3f}",
                    f"{s.later:.3f}",
                    f"{s.targets[0]:.2f} / {s.targets[1]:.2f}",
                    "[green]yes[/]" if s.met else "[red]no[/]",
                )
    console.print(bar)


app = typer.Typer(add_completion=False, help=__doc__.split("\n\n")[0])


@app.command()
def main(
    profile: Annotated[Profile, typer.Option(help="which training profile(s) to time")] = (
        Profile.every
    ),
    rounds: Annotated[int, typer.Option(min=1, max=10, help="runs of each profile")] = 1,
    data: Annotated[
        Path | None, typer.Option(help="the TMDB CSV (default: as the training CLI finds it)")
    ] = None,
    credits: Annotated[
        Path | None,
        typer.Option(help="the credits table of the credits profile (default: see above)"),
    ] = None,
) -> None:
    profiles = list(LIMIT_SECONDS) if profile == Profile.every else [profile.value]
    stamp = utc_stamp()
    log_dir = RESULTS_DIR / f"training-{stamp}-logs"
    log_dir.mkdir(parents=True)
    out = RESULTS_DIR / f"training-{stamp}.json"
    runs: list[TrainingRun] = []
    for round_ in range(1, rounds + 1):
        for name in profiles:
            console.print(f"round {round_}/{rounds}: {name} training …")
            try:
                r = run_once(name, data, log_dir, round_, credits)
            except TimeoutError as error:
                write_results(out, runs, f"{name} round {round_}: {error}")  # keep what finished
                console.print(f"[red]error:[/] {error}; results so far: {out}")
                raise typer.Exit(1) from None
            runs.append(r)
            console.print(
                f"  exit {r.exit_code}, {r.wall_s:.1f} s wall (limit {r.limit_s:.0f}), "
                f"{r.cpu_s:.0f} s CPU, {r.peak_rss_mib:.0f} MiB"
            )
            if r.exit_code != 0:
                tail = Path(r.log).read_text().strip().splitlines()[-1:]
                console.print(f"  [red]failed[/]: {' '.join(tail)} (log: {r.log})")
    write_results(out, runs)
    print_results(runs)
    console.print(f"results: {out}; training logs: {log_dir}")
    if any(r.exit_code != 0 for r in runs):
        raise typer.Exit(1)


def write_results(path: Path, runs: list[TrainingRun], error: str | None = None) -> None:
    result: dict[str, Any] = {"commit": git_commit(), "cpus": os.cpu_count()}
    result["runs"] = [dataclasses.asdict(r) for r in runs]
    if error:
        result["error"] = error
    path.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    # SIGTERM as ^C: run_once stops the training child first (exit status 130).
    interrupt_on_termination()
    app(prog_name="bench.training")
