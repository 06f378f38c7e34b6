"""Time `python -m training train` against the issue's limits: full ≤ 180 s, --quick ≤ 30 s.

Run from the repository root, with the project's virtualenv (the dataset is found as the
training CLI finds it: --data, BOXOFFICE_DATA, data/, ../shared/data/):

    .venv/bin/python -m bench.training                      # quick, then full, once each
    .venv/bin/python -m bench.training --profile quick --rounds 3

Each run is the whole command a user types, as a child process, into a fresh temporary BentoML
store and reports directory, so start-up, imports, the report and saving count. For each run it
prints wall seconds next to the limit, the child's CPU seconds and peak resident memory (from
wait4, as /usr/bin/time reports them), the share of the machine other processes used meanwhile
(a run above 5% is marked noisy) and the four models' test scores next to the quality bar, read
from the stored models' metadata. Results also go to bench/results/training-<UTC time>.json.
Exit status 1 when a run fails; a run over its limit is reported, not an error.
"""

from __future__ import annotations

import contextlib
import datetime as dt
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
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from rich.console import Console
from rich.table import Table

from bench.run import NOISY_OTHER_CPU_PCT, RESULTS_DIR, machine_busy_ticks
from boxoffice.config import FEATURE_SETS, TASKS, model_name
from boxoffice.metadata import parse_metadata
from training import config

REPO_ROOT = Path(__file__).resolve().parent.parent
LIMIT_SECONDS = {"quick": 30.0, "full": 180.0}  # issue 2
TIMEOUT_FACTOR = 4  # a run is stopped after this many times its limit

console = Console(width=None if sys.stdout.isatty() else 120)


class Profile(enum.StrEnum):
    quick = "quick"
    full = "full"
    both = "both"


def run_once(profile: str, data: Path | None, log_dir: Path, round_: int = 1) -> dict[str, Any]:
    """One `python -m training train` in a fresh store; wall, CPU, peak RSS and model scores."""
    work = Path(tempfile.mkdtemp(prefix=f"bench-train-{profile}-"))
    try:
        command = [sys.executable, "-m", "training", "train", "--reports-dir", str(work / "r")]
        if profile == "quick":
            command.append("--quick")
        if data is not None:
            command += ["--data", str(data)]
        env = {**os.environ, "BENTOML_HOME": str(work / "store"), "BENTOML_DO_NOT_TRACK": "true"}
        log = log_dir / f"{profile}-{round_}.log"
        hz = os.sysconf("SC_CLK_TCK")
        with log.open("w") as out:
            busy0, t0 = machine_busy_ticks(), time.perf_counter()
            # Its own process group, so that its worker processes go with it when stopped.
            child = subprocess.Popen(
                command, cwd=REPO_ROOT, env=env, stdout=out, stderr=out, start_new_session=True
            )
            try:
                status, usage = wait_for(child, TIMEOUT_FACTOR * LIMIT_SECONDS[profile])
            except BaseException:  # a timeout, ^C or SIGTERM: never leave it training
                with contextlib.suppress(ProcessLookupError):  # it may have just ended
                    os.killpg(child.pid, signal.SIGKILL)
                child.wait()
                raise
            wall = time.perf_counter() - t0
            busy = (machine_busy_ticks() - busy0) / hz
        child.returncode = os.waitstatus_to_exitcode(status)
        cpu = usage.ru_utime + usage.ru_stime
        other = max(0.0, busy - cpu)
        result = {
            "profile": profile,
            "exit_code": child.returncode,
            "wall_s": round(wall, 2),
            "limit_s": LIMIT_SECONDS[profile],
            "cpu_s": round(cpu, 1),
            "peak_rss_mib": round(usage.ru_maxrss / 1024, 1),
            "other_cpu_pct": round(100 * other / (wall * (os.cpu_count() or 1)), 1),
            "log": str(log),
        }
        if child.returncode == 0:
            result["models"] = stored_scores(work / "store")
        return result
    finally:
        shutil.rmtree(work, ignore_errors=True)


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


def stored_scores(store: Path) -> dict[str, dict[str, Any]]:
    """Each stored model's algorithm and test score, with the bar it is held to."""
    scores = {}
    for task in TASKS:
        for feature_set in FEATURE_SETS:
            name = model_name(task, feature_set)
            (card,) = (store / "models" / name).glob("*/model.yaml")
            meta = parse_metadata(yaml.safe_load(card.read_text())["metadata"])
            metric, minimum = config.QUALITY_BAR[(task, feature_set)]
            scores[name] = {
                "algorithm": meta.algorithm,
                "metric": metric,
                "test": round(getattr(meta.metrics.test, metric), 3),
                "ci95": list(getattr(meta.metrics.test, f"{metric}_ci95")),
                "bar": minimum,
            }
    return scores


def print_results(runs: list[dict[str, Any]]) -> None:
    table = Table(title="python -m training train, wall time against issue 2's limits")
    for column in ("profile", "run", "wall s", "limit s", "margin", "CPU s", "peak RSS MiB"):
        table.add_column(column, justify="left" if column == "profile" else "right")
    table.add_column("other CPU %", justify="right")
    for profile in LIMIT_SECONDS:
        mine = [r for r in runs if r["profile"] == profile]
        for i, r in enumerate(mine, 1):
            margin = r["limit_s"] - r["wall_s"]
            noisy = r["other_cpu_pct"] > NOISY_OTHER_CPU_PCT
            table.add_row(
                profile,
                str(i) if r["exit_code"] == 0 else f"{i} (exit {r['exit_code']})",
                f"{r['wall_s']:.1f}",
                f"{r['limit_s']:.0f}",
                f"[{'green' if margin >= 0 else 'red'}]{margin:+.1f}[/]",
                f"{r['cpu_s']:.0f}",
                f"{r['peak_rss_mib']:.0f}",
                f"{r['other_cpu_pct']:.1f}" + (" noisy" if noisy else ""),
            )
        if len(mine) > 1:
            table.add_row(
                profile,
                "median",
                f"{statistics.median(r['wall_s'] for r in mine):.1f}",
                f"{LIMIT_SECONDS[profile]:.0f}",
                "",
                f"{statistics.median(r['cpu_s'] for r in mine):.0f}",
                f"{max(r['peak_rss_mib'] for r in mine):.0f}",
                "",
            )
    console.print(table)
    scored = [r for r in runs if r.get("models")]
    if not scored:
        return
    bar = Table(title="test scores of the stored models against the quality bar (last run)")
    for column in ("profile", "model", "algorithm", "metric", "test", "95% CI", "bar", "met"):
        bar.add_column(column, justify="right" if column in ("test", "bar") else "left")
    for profile in LIMIT_SECONDS:
        last = [r for r in scored if r["profile"] == profile][-1:]
        for r in last:
            for name, s in r["models"].items():
                met = s["test"] >= s["bar"]
                bar.add_row(
                    profile,
                    name,
                    s["algorithm"],
                    s["metric"],
                    f"{s['test']:.3f}",
                    f"{s['ci95'][0]:.3f}-{s['ci95'][1]:.3f}",
                    f"{s['bar']:.2f}",
                    "[green]yes[/]" if met else "[red]no[/]",
                )
    console.print(bar)


app = typer.Typer(add_completion=False, help=__doc__.split("\n\n")[0])


@app.command()
def main(
    profile: Annotated[Profile, typer.Option(help="which training profile(s) to time")] = (
        Profile.both
    ),
    rounds: Annotated[int, typer.Option(min=1, max=10, help="runs of each profile")] = 1,
    data: Annotated[
        Path | None, typer.Option(help="the TMDB CSV (default: as the training CLI finds it)")
    ] = None,
) -> None:
    profiles = ["quick", "full"] if profile == Profile.both else [profile.value]
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    log_dir = RESULTS_DIR / f"training-{stamp}-logs"
    log_dir.mkdir()
    out = RESULTS_DIR / f"training-{stamp}.json"
    runs: list[dict[str, Any]] = []
    for round_ in range(1, rounds + 1):
        for name in profiles:
            console.print(f"round {round_}/{rounds}: {name} training …")
            try:
                runs.append(run_once(name, data, log_dir, round_))
            except TimeoutError as error:
                runs.append({"profile": name, "round": round_, "error": str(error)})
                write_results(out, runs)  # what finished before is kept
                console.print(f"[red]error:[/] {error}; results so far: {out}")
                raise typer.Exit(1) from None
            r = runs[-1]
            console.print(
                f"  exit {r['exit_code']}, {r['wall_s']:.1f} s wall (limit {r['limit_s']:.0f}), "
                f"{r['cpu_s']:.0f} s CPU, {r['peak_rss_mib']:.0f} MiB"
            )
            if r["exit_code"] != 0:
                tail = Path(r["log"]).read_text().strip().splitlines()[-1:]
                console.print(f"  [red]failed[/]: {' '.join(tail)} (log: {r['log']})")
    write_results(out, runs)
    print_results(runs)
    console.print(f"results: {out}; training logs: {log_dir}")
    if any(r["exit_code"] != 0 for r in runs):
        raise typer.Exit(1)


def write_results(path: Path, runs: list[dict[str, Any]]) -> None:
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True
    ).stdout.strip()
    path.write_text(
        json.dumps({"commit": commit, "cpus": os.cpu_count(), "runs": runs}, indent=2) + "\n"
    )


def _raise_interrupt(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


if __name__ == "__main__":
    # SIGTERM as ^C: run_once stops the training child, then click prints "Aborted!", exit 1.
    signal.signal(signal.SIGTERM, _raise_interrupt)
    app(prog_name="bench.training")
