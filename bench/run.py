"""Load-test the BentoML service against a baseline replicating the original FastAPI server.

    .venv/bin/python -m bench.run --rounds 3               # what `make bench` runs
    .venv/bin/python -m bench.run --only service --scenarios single --duration 5
    .venv/bin/python -m bench.run --only service --scenarios single,scenarios   # issue 13's figures

Starts the baseline (``bench/baseline_server.py``, fitted on the TMDB CSV found as the training
CLI finds it) and ``bentoml serve`` one after the other (bench/harness.py), then runs each
scenario of SCENARIOS with wrk and ``bench/wrk_post.lua``, alternating servers round by round,
each measured run preceded by a warm-up and a wait for the machine to be quiet. It reads the
servers' CPU time and memory (psutil) and the service's micro-batch sizes (/metrics), prints a
table per scenario and a final one, and writes ``bench/results/bench-<UTC time>.json``. With the
scenario requests (/predict_scenarios, one film and 100 changes to it) and the single-film calls
both measured, a last table sets one 100-scenario request against 100 single-film calls at the
same concurrency: latency, films per second and server CPU per film.
"""

from __future__ import annotations

import contextlib
import dataclasses
import enum
import json
import math
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Annotated, Any

import httpx
import psutil
import typer
from prometheus_client.parser import text_string_to_metric_families
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from bench import inprocess
from bench.harness import (
    NOISY_OTHER_CPU_PCT,
    RESULTS_DIR,
    BenchError,
    ProcessMemory,
    Server,
    bentoml_serve,
    free_port,
    git_commit,
    interrupt_on_termination,
    machine_busy_seconds,
    utc_stamp,
)
from boxoffice.fields import TMDB_GENRES
from serving.client import SEED_FILMS  # the original project's five example films

BENCH_DIR = Path(__file__).resolve().parent
LUA_SCRIPT = BENCH_DIR / "wrk_post.lua"
BASELINE_SCRIPT = BENCH_DIR / "baseline_server.py"
SEED = 42  # of the varied films
BATCH_SIZE = 1000  # films per batch body
BIG_BATCH = 10_000  # issue 19: 10,000 films in one request within 150 ms (p50)
BIG_BATCH_TARGET_MS = 150.0
BATCH_TARGET_RATIO = 3.0  # issue 19: films/s of 1,000-film batches, over the 2-worker baseline
FLOOR_SHARE_TARGET = 0.5  # issue 19: single films, req/s over the HTTP floor
TABLE_FILMS = 100_000  # issue 19: /predict_table in CSV and Parquet
WARMUP_S = 3  # of wrk before each measured run
WRK_THREADS = 2
WRK_TIMEOUT_S = 10  # per request
STARTUP_TIMEOUT_S = 180
BATCH_METRIC = "boxoffice_micro_batch_size"  # the single-film micro-batcher's (serving/batching.py)
N_SCENARIOS = 100  # changes per /predict_scenarios body (issue 13)
SCENARIOS_P50_TARGET_MS = 50.0  # issue 13: a 100-scenario request, p50
N_SLATE = 500  # films per /predict_slate body (issue 17: the most a slate holds)
SLATE_TARGET_MS = 1000.0  # issue 17: a 500-film slate answers within a second

# wide enough for the tables when the output goes to a file or a pipe
console = Console(width=None if sys.stdout.isatty() else 120)
err_console = Console(stderr=True, width=None if sys.stderr.isatty() else 200)


# --------------------------------------------------------------------------- scenarios


def vary_film(rng: random.Random, base: dict[str, float]) -> dict[str, float]:
    """A plausible film near one of the seed films."""
    return {
        "runtime": round(min(240.0, max(60.0, base["runtime"] * rng.uniform(0.8, 1.2))), 1),
        "popularity": round(max(0.01, base["popularity"] * rng.lognormvariate(0.0, 0.5)), 6),
        "vote_avg": round(min(10.0, max(0.0, base["vote_avg"] + rng.uniform(-1.0, 1.0))), 1),
        "log_budget": round(min(20.5, max(9.0, base["log_budget"] + rng.uniform(-0.7, 0.7))), 6),
    }


def varied_films(rng: random.Random, n: int) -> list[dict[str, float]]:
    return [vary_film(rng, SEED_FILMS[i % len(SEED_FILMS)]) for i in range(n)]


def real_films() -> list[dict[str, Any]]:
    """The table's films as the client sends them (every field it has), with the original
    clients' spellings beside (vote_avg, log_budget), which the original-style server reads:
    those that give all four of its fields."""
    from serving.client import read_films_csv, rows_to_films
    from training.data import locate_dataset

    films, _ = rows_to_films(read_films_csv(locate_dataset(None)))
    out = []
    for film in films:
        if not film or not all(k in film for k in ("runtime", "popularity", "vote_average")):
            continue
        film = {k: v for k, v in film.items() if k != "vote_average"} | {
            "vote_avg": film["vote_average"],
            "log_budget": math.log1p(film["budget"]),
        }
        out.append(film)
    return out


def real_batches(rng: random.Random, size: int, count: int) -> list[dict[str, Any]]:
    films = real_films()
    return [{"films": [rng.choice(films) for _ in range(size)]} for _ in range(count)]


def single_films(rng: random.Random) -> list[dict[str, Any]]:
    return SEED_FILMS + varied_films(rng, 195)


# Plausible pre-release fields for the scenario bodies' films.
COMPANIES = (
    "Warner Bros.",
    "Universal Pictures",
    "Paramount Pictures",
    "Columbia Pictures",
    "New Line Cinema",
    "Walt Disney Pictures",
    "Marvel Studios",
    "Lionsgate",
    "Relativity Media",
    "Working Title Films",
)
KEYWORDS = (
    "sequel",
    "based on novel",
    "superhero",
    "duringcreditsstinger",
    "woman director",
    "independent film",
    "biography",
    "murder",
    "dystopia",
    "sport",
)


def pre_release_film(rng: random.Random) -> dict[str, Any]:
    """A film as a studio would describe it before release: every pre-release field."""
    year, month, day = rng.randint(2000, 2027), rng.randint(1, 12), rng.randint(1, 28)
    return {
        "budget": round(rng.lognormvariate(17.5, 0.9), -5),
        "runtime": rng.randrange(85, 165),
        "genres": rng.sample(TMDB_GENRES, rng.randint(1, 3)),
        "release_date": f"{year}-{month:02d}-{day:02d}",
        "original_language": rng.choice(("en",) * 8 + ("fr", "es")),
        "production_companies": rng.sample(COMPANIES, rng.randint(1, 3)),
        "production_countries": rng.sample(("US", "GB", "FR", "DE", "CA"), rng.randint(1, 2)),
        "keywords": rng.sample(KEYWORDS, rng.randint(0, 4)),
    }


def scenario_bodies(rng: random.Random) -> list[dict[str, Any]]:
    """/predict_scenarios bodies: a film and N_SCENARIOS changes to it, 80 budgets from a fifth
    to three times its own, its release date in each month of its year, 8 other genre sets."""
    bodies = []
    for _ in range(20):
        film = pre_release_film(rng)
        year, day = film["release_date"][:4], film["release_date"][-2:]
        n_budgets = N_SCENARIOS - 12 - 8
        budgets = [
            {"budget": round(film["budget"] * 0.2 * 15 ** (i / (n_budgets - 1)), -3)}
            for i in range(n_budgets)
        ]
        dates = [{"release_date": f"{year}-{month:02d}-{day}"} for month in range(1, 13)]
        genres = [{"genres": rng.sample(TMDB_GENRES, rng.randint(1, 3))} for _ in range(8)]
        bodies.append({"film": film, "scenarios": budgets + dates + genres})
    return bodies


def slate_bodies(rng: random.Random) -> list[dict[str, Any]]:
    """/predict_slate bodies: N_SLATE films, a studio share and marketing per film."""
    return [
        {
            "films": [pre_release_film(rng) for _ in range(N_SLATE)],
            "studio_share": 0.5,
            "marketing_usd": 2e7,
        }
        for _ in range(4)
    ]


@dataclass(frozen=True)
class Scenario:
    """A load: wrk POSTs the bodies (in turn) to `path` on each of `servers`."""

    name: str
    label: str  # in the final table
    path: str
    bodies: Callable[[random.Random], list[dict[str, Any]]]
    servers: tuple[str, ...] = ("baseline", "baseline2", "service")
    films_per_request: int = 1
    connections: int | None = None  # wrk's; None: the run's --connections


SCENARIOS = {
    scenario.name: scenario
    for scenario in (
        Scenario(
            "single",
            "single",
            "/predict_revenue",
            single_films,
            servers=("baseline", "baseline2", "floor", "service"),
        ),
        # 1,000 of the table's films with every field, in both spellings the servers read
        Scenario(
            "batch",
            f"batch x{BATCH_SIZE}",
            "/predict_batch",
            lambda rng: real_batches(rng, BATCH_SIZE, 4),
            films_per_request=BATCH_SIZE,
            connections=4,
        ),
        Scenario(
            "batch-10k-1conn",
            f"batch x{BIG_BATCH:,}, 1 conn",
            "/predict_batch",
            lambda rng: real_batches(rng, BIG_BATCH, 2),
            servers=("service",),
            films_per_request=BIG_BATCH,
            connections=1,
        ),
        Scenario(
            "explain",
            "single + explain",
            "/predict_revenue",
            lambda rng: [{**film, "explain": True} for film in single_films(rng)],
            servers=("service",),  # the original server has no explanations
        ),
        # films = the scenarios of a request (the base film's forecast comes on top)
        Scenario(
            "scenarios",
            f"scenarios x{N_SCENARIOS}",
            "/predict_scenarios",
            scenario_bodies,
            servers=("service",),
            films_per_request=N_SCENARIOS,
        ),
        # one request at a time: a request's own latency, and the calls it replaces
        Scenario(
            "scenarios-1conn",
            f"scenarios x{N_SCENARIOS}, 1 conn",
            "/predict_scenarios",
            scenario_bodies,
            servers=("service",),
            films_per_request=N_SCENARIOS,
            connections=1,
        ),
        Scenario(
            "single-1conn",
            "single, 1 conn",
            "/predict_revenue",
            single_films,
            servers=("service",),
            connections=1,
        ),
        # a slate of films simulated together, one request at a time: its own latency
        Scenario(
            "slate-1conn",
            f"slate x{N_SLATE}, 1 conn",
            "/predict_slate",
            slate_bodies,
            servers=("service",),
            films_per_request=N_SLATE,
            connections=1,
        ),
    )
}


# The reference servers: the original-style FastAPI server with its one worker and with two (as
# many as the service), and the HTTP floor (FastAPI answering a constant, two workers).
REFERENCES = {
    "baseline": ["--workers", "1"],
    "baseline2": ["--workers", "2"],
    "floor": ["--workers", "2", "--floor"],
}
SERVER_NAMES = (*REFERENCES, "service")


def baseline_server(name: str, port: int, log_path: Path, dataset: Path) -> Server:
    cmd = [sys.executable, "-m", "bench.baseline_server", "--host", "127.0.0.1"]
    cmd += ["--port", str(port), *REFERENCES[name]]
    env = {"BOXOFFICE_DATA": str(dataset.resolve())}
    return Server(name, cmd, port, "/health", log_path, env)


def write_bodies(scenario: Scenario, directory: Path) -> Path:
    """One compact JSON body per line, as wrk_post.lua reads them."""
    path = directory / f"{scenario.name}.jsonl"
    bodies = scenario.bodies(random.Random(SEED))
    path.write_text("".join(json.dumps(b, separators=(",", ":")) + "\n" for b in bodies))
    return path


# --------------------------------------------------------------------------- results


@dataclass
class CpuUse:
    """CPU seconds during one run: the loaded server's, wrk's, this harness's, the others'."""

    elapsed_s: float
    server_cpu_s: float
    wrk_cpu_s: float
    harness_cpu_s: float
    other_cpu_s: float
    other_cpu_pct: float  # share of the machine (all cores) other processes used
    machine_busy_pct: float


@dataclass
class WrkRun:
    """One measured wrk run of one scenario against one server."""

    scenario: str
    server: str
    round: int
    connections: int
    requests: int
    seconds: float
    rps: float
    ok_rps: float  # 2xx answers per second
    p50_ms: float
    p90_ms: float
    p99_ms: float
    p999_ms: float
    mean_ms: float
    max_ms: float
    non2xx: int
    statuses: dict[str, int]  # the non-2xx answers by status
    socket_errors: int  # connect, read and write errors and timeouts
    errors: int  # non2xx + socket_errors
    cpu: CpuUse
    batch_sizes: dict[str, dict[str, float]]  # service: the histogram's sum and count meanwhile
    memory_after: list[ProcessMemory]


@dataclass
class ScenarioSummary:
    """One server's runs of one scenario: medians and totals (each run is in the JSON too)."""

    runs: int
    rps_median: float
    films_per_s_median: float  # 2xx answers only
    p50_ms_median: float
    p99_ms_median: float
    errors_total: int
    server_cpu_cores_median: float
    server_cpu_ms_per_film_median: float | None  # None: no 2xx answer
    other_cpu_pct_max: float
    mean_batch_size: dict[str, float]  # service: films per model call over all runs

    @classmethod
    def of(cls, runs: list[WrkRun], films_per_request: int) -> ScenarioSummary:
        median = statistics.median
        totals: dict[str, list[float]] = {}
        for run in runs:
            for key, histogram in run.batch_sizes.items():
                total = totals.setdefault(key, [0.0, 0.0])
                total[0] += histogram["sum"]
                total[1] += histogram["count"]
        return cls(
            runs=len(runs),
            rps_median=median(r.rps for r in runs),
            films_per_s_median=median(r.ok_rps * films_per_request for r in runs),
            p50_ms_median=median(r.p50_ms for r in runs),
            p99_ms_median=median(r.p99_ms for r in runs),
            errors_total=sum(r.errors for r in runs),
            server_cpu_cores_median=median(r.cpu.server_cpu_s / r.cpu.elapsed_s for r in runs),
            server_cpu_ms_per_film_median=median(
                1000 * r.cpu.server_cpu_s / (r.ok_rps * r.seconds * films_per_request)
                for r in runs
                if r.ok_rps
            )
            if any(r.ok_rps for r in runs)
            else None,
            other_cpu_pct_max=max(r.cpu.other_cpu_pct for r in runs),
            mean_batch_size={key: s / n for key, (s, n) in totals.items() if n},
        )


@dataclass
class ServerInfo:
    cmd: list[str]
    port: int
    ready_path: str
    ready_seconds: float
    memory_idle: list[ProcessMemory]
    memory_after_load: list[ProcessMemory] = field(default_factory=list)  # after the last run
    peak_rss_mib: dict[int, float] = field(default_factory=dict)  # by pid, sampled under load
    skipped: dict[str, str] = field(default_factory=dict)  # scenario -> its failed smoke test


@dataclass
class BenchConfig:
    only: str
    rounds: int
    duration_s: int
    connections: int
    quiet_wait_s: int
    scenarios: list[str]
    warmup_s: int = WARMUP_S
    threads: int = WRK_THREADS
    wrk_timeout_s: int = WRK_TIMEOUT_S
    batch_size: int = BATCH_SIZE
    seed: int = SEED


@dataclass
class BenchResult:
    started_utc: str
    config: BenchConfig
    environment: dict[str, Any]
    servers: dict[str, ServerInfo] = field(default_factory=dict)
    runs: list[WrkRun] = field(default_factory=list)
    summary: dict[str, dict[str, ScenarioSummary]] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)  # /predict_table and in-process figures


# --------------------------------------------------------------------------- measuring


def run_wrk(url: str, bodies: Path, seconds: int, connections: int) -> dict[str, Any]:
    """wrk's figures for one run (the fields of WrkRun it measures)."""
    threads = min(WRK_THREADS, connections)  # wrk needs a connection per thread
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s"]
    cmd += [f"--timeout={WRK_TIMEOUT_S}s", "-s", str(LUA_SCRIPT), url, "--", str(bodies)]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 70)
    except subprocess.TimeoutExpired as error:
        raise BenchError(f"wrk did not finish in time: {' '.join(cmd)}") from error
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("WRKJSON ")), None)
    if out.returncode != 0 or line is None:
        detail = (out.stderr.strip() or out.stdout.strip()).splitlines()
        raise BenchError(
            f"wrk failed (exit {out.returncode}) on {url}: {detail[-1] if detail else 'no output'}"
        )
    w = json.loads(line.removeprefix("WRKJSON "))
    elapsed = w["duration_us"] / 1e6
    socket_errors = w["connect_errors"] + w["read_errors"] + w["write_errors"] + w["timeouts"]
    return {
        "requests": w["requests"],
        "seconds": round(elapsed, 3),
        "rps": w["requests"] / elapsed if elapsed else 0.0,
        "ok_rps": max(0, w["requests"] - w["non2xx"]) / elapsed if elapsed else 0.0,
        **{f"{q}_ms": w[f"{q}_us"] / 1000 for q in ("p50", "p90", "p99", "p999")},
        "mean_ms": w["lat_mean_us"] / 1000,
        "max_ms": w["lat_max_us"] / 1000,
        "non2xx": w["non2xx"],
        "statuses": w["statuses"],
        "socket_errors": socket_errors,
        "errors": w["non2xx"] + socket_errors,
    }


def batch_histogram(server: Server) -> dict[str, dict[str, float]]:
    """Sum and count of the micro-batcher's batch sizes so far, by queue."""
    try:
        text = httpx.get(server.base_url + "/metrics", timeout=5.0).text
    except httpx.HTTPError:
        return {}
    out: dict[str, dict[str, float]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples if family.name == BATCH_METRIC else ():
            kind = sample.name.removeprefix(f"{BATCH_METRIC}_")
            if kind in ("sum", "count"):
                key = f"{BATCH_METRIC}[{sample.labels.get('queue', '')}]"
                slot = out.setdefault(key, {"sum": 0.0, "count": 0.0})
                slot[kind] += sample.value
    return out


def histogram_delta(before: dict, after: dict) -> dict[str, dict[str, float]]:
    delta = {}
    for key, a in after.items():
        b = before.get(key, {"sum": 0.0, "count": 0.0})
        if a["count"] > b["count"]:
            delta[key] = {"sum": a["sum"] - b["sum"], "count": a["count"] - b["count"]}
    return delta


def cpu_counters(servers: list[Server], loaded: Server | None = None) -> tuple[float, ...]:
    """Now: time, the machine's busy seconds, the loaded server's, all servers', this process's
    and its reaped children's (wrk) CPU seconds."""
    me = psutil.Process().cpu_times()
    each = [s.cpu_seconds() for s in servers]  # one read per server, at one moment
    loaded_seconds = next((t for s, t in zip(servers, each, strict=True) if s is loaded), None)
    if loaded_seconds is None:
        loaded_seconds = loaded.cpu_seconds() if loaded else 0.0
    return (
        time.monotonic(),
        machine_busy_seconds(),
        loaded_seconds,
        sum(each),
        me.user + me.system,
        me.children_user + me.children_system,
    )


def cpu_use(before: tuple[float, ...], after: tuple[float, ...]) -> CpuUse:
    """CPU use between two cpu_counters(). Other processes' share is the machine's busy time
    minus the servers, this harness and wrk: above a few percent, the run is noisy."""
    elapsed, busy, loaded, servers, harness, wrk = (
        a - b for a, b in zip(after, before, strict=True)
    )
    other = max(0.0, busy - servers - harness - wrk)
    capacity = elapsed * (os.cpu_count() or 1)
    return CpuUse(
        elapsed_s=round(elapsed, 2),
        server_cpu_s=round(loaded, 2),
        wrk_cpu_s=round(wrk, 2),
        harness_cpu_s=round(harness, 2),
        other_cpu_s=round(other, 2),
        other_cpu_pct=round(100 * other / capacity, 1),
        machine_busy_pct=round(100 * busy / capacity, 1),
    )


def wait_for_quiet(servers: list[Server], max_wait: float) -> float:
    """Wait (at most max_wait s) for a 1 s window in which other processes use less than
    NOISY_OTHER_CPU_PCT of the machine; the last share measured."""
    deadline = time.monotonic() + max_wait
    while True:
        before = cpu_counters(servers)
        time.sleep(1.0)
        pct = cpu_use(before, cpu_counters(servers)).other_cpu_pct
        if pct < NOISY_OTHER_CPU_PCT or time.monotonic() >= deadline:
            return pct


def smoke_test(url: str, bodies: Path) -> tuple[bool, str]:
    body = bodies.read_text().splitlines()[0]
    headers = {"Content-Type": "application/json"}
    try:
        response = httpx.post(url, content=body, headers=headers, timeout=30.0)
    except httpx.HTTPError as error:
        return False, f"{type(error).__name__}: {error}"
    return response.is_success, f"HTTP {response.status_code}: {response.text[:160]}"


def measure(
    scenario: Scenario,
    servers: dict[str, Server],
    name: str,
    round_: int,
    bodies: Path,
    result: BenchResult,
) -> WrkRun:
    """One measured run of `scenario` against `name`, printed on one line."""
    cfg, server, everyone = result.config, servers[name], list(servers.values())
    url = server.base_url + scenario.path
    if cfg.quiet_wait_s:
        pct = wait_for_quiet(everyone, cfg.quiet_wait_s)
        if pct >= NOISY_OTHER_CPU_PCT:
            console.print(
                f"  [yellow]machine still busy ({pct:.0f}% CPU used by other "
                f"processes) after {cfg.quiet_wait_s} s: running anyway[/]"
            )
    connections = scenario.connections or cfg.connections
    run_wrk(url, bodies, cfg.warmup_s, connections)
    histogram = batch_histogram if name == "service" else lambda _: {}
    batches_before, cpu_before = histogram(server), cpu_counters(everyone, server)
    with server.peak_rss_mib() as peaks:
        stats = run_wrk(url, bodies, cfg.duration_s, connections)
    cpu = cpu_use(cpu_before, cpu_counters(everyone, server))
    batches = histogram_delta(batches_before, histogram(server))
    if not server.running():
        raise server.failure(f"died during the {scenario.name} load")
    info = result.servers[name]
    info.memory_after_load = server.memory()
    for pid, mib in peaks.items():
        info.peak_rss_mib[pid] = max(info.peak_rss_mib.get(pid, 0.0), mib)
    run = WrkRun(
        scenario.name,
        name,
        round_,
        connections,
        **stats,
        cpu=cpu,
        batch_sizes=batches,
        memory_after=info.memory_after_load,
    )
    console.print(
        f"  {scenario.name} round {round_} {name:8s} {run.rps:9.1f} req/s  "
        f"p50 {run.p50_ms:7.2f} ms  p99 {run.p99_ms:7.2f} ms  "
        f"errors {run.errors}  other CPU {cpu.other_cpu_pct:.0f}%"
        + "".join(f"  mean batch {h['sum'] / h['count']:.1f}" for h in batches.values())
    )
    if cpu.other_cpu_pct > NOISY_OTHER_CPU_PCT:
        console.print(
            f"  [yellow]warning: {cpu.other_cpu_pct:.0f}% of the machine's CPU went to "
            "other processes during this run: noisy[/]"
        )
    return run


def run_scenario(
    scenario: Scenario, servers: dict[str, Server], result: BenchResult, work: Path
) -> None:
    """Smoke-test, then load each server in turn, round after round; print the runs."""
    bodies = write_bodies(scenario, work)
    active = []
    for name, server in servers.items():
        if name not in scenario.servers:
            continue
        ok, message = smoke_test(server.base_url + scenario.path, bodies)
        console.print(escape(f"smoke {name} POST {scenario.path}: {message}"))
        if ok:
            active.append(name)
        else:
            console.print(f"  [yellow]skipping {scenario.name} on {name}[/]")
            result.servers[name].skipped[scenario.name] = message
    runs = [
        measure(scenario, servers, name, round_, bodies, result)
        for round_ in range(1, result.config.rounds + 1)
        for name in active
    ]
    result.runs += runs
    result.summary[scenario.name] = {
        name: ScenarioSummary.of([r for r in runs if r.server == name], scenario.films_per_request)
        for name in active
    }
    print_runs_table(scenario, runs)


# --------------------------------------------------------------------------- reporting


def fmt_ratio(service: float | None, baseline: float | None) -> str:
    return "-" if service is None or not baseline else f"{service / baseline:.2f}x"


def cell(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def print_runs_table(scenario: Scenario, runs: list[WrkRun]) -> None:
    table = Table(title=f"{scenario.name}: every run", title_justify="left")
    columns = ("round", "server", "req/s", "films/s", "p50 ms", "p99 ms", "non-2xx", "sock err")
    for column in (*columns, "server cores", "wrk cores", "other CPU %"):
        table.add_column(column, justify="left" if column == "server" else "right")
    for r in runs:
        table.add_row(
            str(r.round),
            r.server,
            f"{r.rps:.1f}",
            f"{r.ok_rps * scenario.films_per_request:,.0f}",
            f"{r.p50_ms:.2f}",
            f"{r.p99_ms:.2f}",
            str(r.non2xx) + (f" {r.statuses}" if r.statuses else ""),
            str(r.socket_errors),
            f"{r.cpu.server_cpu_s / r.cpu.elapsed_s:.2f}",
            f"{r.cpu.wrk_cpu_s / r.cpu.elapsed_s:.2f}",
            f"{r.cpu.other_cpu_pct:.0f}",
        )
    console.print(table)


def print_final(result: BenchResult) -> None:
    cfg, servers = result.config, result.servers
    names = [n for n in SERVER_NAMES if n in servers]
    title = (
        f"Final: medians over {cfg.rounds} round(s), {cfg.duration_s} s each, "
        f"{cfg.connections} connections unless a scenario says, {cfg.threads} wrk threads; "
        "baseline: the original-style server (1 worker), baseline2: the same with 2 workers, "
        "floor: FastAPI answering a constant (2 workers)"
    )
    table = Table(title=title, title_justify="left")
    table.add_column("metric")
    ratios = [n for n in ("baseline", "baseline2", "floor") if n in names]
    for column in (*names, *(f"service/{n}" for n in ratios)):
        table.add_column(column, justify="right")

    def add(label: str, values: dict[str, float | None], spec: str, ratio: bool = True) -> None:
        cells = [cell(values.get(n), spec) for n in names]
        cells += [fmt_ratio(values.get("service"), values.get(n)) if ratio else "" for n in ratios]
        table.add_row(label, *cells)

    add("start -> ready (s)", {n: servers[n].ready_seconds for n in names}, ".2f")
    for name, summary in result.summary.items():
        label = SCENARIOS[name].label
        figures = {n: dataclasses.asdict(summary[n]) for n in names if n in summary}
        rows = [("req/s", "rps_median", ",.1f", True)]
        if SCENARIOS[name].films_per_request > 1:
            rows = [
                ("req/s", "rps_median", ",.2f", True),
                ("films/s", "films_per_s_median", ",.0f", True),
            ]
        rows += [
            ("p50 ms", "p50_ms_median", ".2f", True),
            ("p99 ms", "p99_ms_median", ".2f", True),
            ("errors", "errors_total", "d", False),
            ("server CPU (cores)", "server_cpu_cores_median", ".2f", False),
            ("other processes' CPU, max %", "other_cpu_pct_max", ".0f", False),
        ]
        table.add_section()
        for what, key, spec, ratio in rows:
            add(f"{label}: {what}", {n: f.get(key) for n, f in figures.items()}, spec, ratio)
        if "service" in figures:
            batches = ", ".join(
                f"{k}: {v:.2f}" for k, v in figures["service"]["mean_batch_size"].items()
            )
            text = escape(batches) or "n/a (no batched call)"
            table.add_row(f"{label}: mean batch size", *([""] * (len(names) - 1)), text)
    table.add_section()
    for name in names:
        info = servers[name]
        total = sum(row.rss_mib for row in info.memory_after_load)
        add(f"RSS {name} (MiB, every process)", {name: total}, ".0f", False)
    console.print(table)
    console.print(
        "errors = non-2xx responses + socket errors (connect/read/write/timeout); "
        "batch size = mean of the batch-size histogram(s) over the measured runs; "
        "RSS = resident memory after the last run; cores = CPU seconds per second; other CPU "
        "% = share of the machine used by processes that are not this harness, wrk or its "
        f"servers (> {NOISY_OTHER_CPU_PCT:.0f}%: noisy)"
    )
    print_targets(result)


# A 2-worker server's round run on fewer cores than this answered on one of its workers.
TWO_CORES = 1.5


def _one_core_rounds(runs: list[WrkRun], films: float) -> list[str]:
    """The 2-worker baseline's batch rounds in which one of its workers answered every
    connection, and the service's ratio against its other rounds: uvicorn's workers share one
    listening socket, and asyncio accepts every pending connection at each wake-up
    (``selector_events._accept_connection`` loops up to its backlog), so the worker woken first
    can take all four of wrk's connections. The median then mixes one- and two-core rounds."""
    rounds = [r for r in runs if r.scenario == "batch" and r.server == "baseline2"]
    cores = [r.cpu.server_cpu_s / r.cpu.elapsed_s for r in rounds]
    both = [r.ok_rps * BATCH_SIZE for r, c in zip(rounds, cores, strict=True) if c >= TWO_CORES]
    one = len(rounds) - len(both)
    if not one:
        return []
    said = (
        f"note: the 2-worker baseline answered on one core in {one} of {len(rounds)} batch "
        "round(s) (one uvicorn worker accepted all of wrk's connections)"
    )
    if both:
        theirs = statistics.median(both)
        said += (
            f"; against its two-core round(s), {theirs:,.0f} films/s, the service's batches are "
            f"{films / theirs:.2f}x"
        )
    return [said]


def _verdict(met: bool) -> str:
    return "met" if met else "MISSED"


def print_targets(result: BenchResult) -> None:
    """Issue 19's serving targets, each measured in this run beside what it is measured on."""
    summary = result.summary
    lines = []

    def figure(scenario: str, server: str, key: str) -> float | None:
        found = summary.get(scenario, {}).get(server)
        return getattr(found, key) if found else None

    service, floor = (
        figure("single", "service", "rps_median"),
        figure("single", "floor", "rps_median"),
    )
    if service and floor:
        share = service / floor
        lines.append(
            f"single films: {service:,.0f} req/s = {share:.0%} of the HTTP floor ({floor:,.0f}); "
            f"target >= {FLOOR_SHARE_TARGET:.0%}: {_verdict(share >= FLOOR_SHARE_TARGET)}"
        )
    for reference in ("baseline", "baseline2"):
        p99, theirs = (
            figure("single", "service", "p99_ms_median"),
            figure("single", reference, "p99_ms_median"),
        )
        if p99 and theirs:
            lines.append(
                f"single films p99: {p99:.1f} ms against {reference}'s {theirs:.1f} (half: "
                f"{theirs / 2:.1f}): {_verdict(p99 <= theirs / 2)}"
            )
    films, theirs = (
        figure("batch", "service", "films_per_s_median"),
        figure("batch", "baseline2", "films_per_s_median"),
    )
    if films and theirs:
        ratio = films / theirs
        lines.append(
            f"1,000-film batches: {films:,.0f} films/s = {ratio:.2f}x the 2-worker baseline's "
            f"{theirs:,.0f}; target >= {BATCH_TARGET_RATIO:g}x: "
            f"{_verdict(ratio >= BATCH_TARGET_RATIO)}"
        )
        lines += _one_core_rounds(result.runs, films)
    p50 = figure("batch-10k-1conn", "service", "p50_ms_median")
    if p50:
        lines.append(
            f"{BIG_BATCH:,} films in one request: p50 {p50:.0f} ms; target <= "
            f"{BIG_BATCH_TARGET_MS:.0f}: {_verdict(p50 <= BIG_BATCH_TARGET_MS)}"
        )
    for line in lines:
        console.print(line)


def print_scenarios_against_single(result: BenchResult) -> None:
    """One N-scenario request against N single-film calls, at each concurrency where both were
    measured on the service, and the p50 target of a scenario request on its own."""
    pairs = [
        (f"{result.config.connections} connections", "scenarios", "single"),
        ("1 connection", "scenarios-1conn", "single-1conn"),
    ]
    measured = [
        (label, result.summary[many]["service"], result.summary[one]["service"])
        for label, many, one in pairs
        if "service" in result.summary.get(many, {}) and "service" in result.summary.get(one, {})
    ]
    if measured:
        table = Table(
            title=f"One {N_SCENARIOS}-scenario request against {N_SCENARIOS} single-film calls "
            "(service, medians)",
            title_justify="left",
        )
        table.add_column("metric")
        for column in (f"1 request x{N_SCENARIOS}", f"{N_SCENARIOS} single calls", "gain"):
            table.add_column(column, justify="right")
        for label, many, one in measured:
            singles_ms = N_SCENARIOS * one.p50_ms_median
            cpu_many, cpu_one = (
                many.server_cpu_ms_per_film_median,
                one.server_cpu_ms_per_film_median,
            )
            table.add_section()
            table.add_row(
                f"{label}: latency p50 ms",
                f"{many.p50_ms_median:.1f}",
                f"{singles_ms:.0f} ({N_SCENARIOS} x {one.p50_ms_median:.2f})",
                fmt_ratio(singles_ms, many.p50_ms_median),
            )
            table.add_row(
                f"{label}: films/s",
                f"{many.films_per_s_median:,.0f}",
                f"{one.films_per_s_median:,.0f}",
                fmt_ratio(many.films_per_s_median, one.films_per_s_median),
            )
            table.add_row(
                f"{label}: server CPU ms per film",
                cell(cpu_many, ".3f"),
                cell(cpu_one, ".3f"),
                fmt_ratio(cpu_one, cpu_many),
            )
            table.add_row(
                f"{label}: other processes' CPU, max %",
                f"{many.other_cpu_pct_max:.0f}",
                f"{one.other_cpu_pct_max:.0f}",
                "",
            )
        console.print(table)
        console.print(
            f"films = forecasts asked for: a scenario request also forecasts its base film, and "
            f"each of its films gets revenue and P(hit), a single call (/predict_revenue) revenue "
            f"only; {N_SCENARIOS} single calls take {N_SCENARIOS} x their p50 one after the "
            "other; gain = how many times the single calls cost more (latency, CPU) or deliver "
            "fewer films/s"
        )
    alone = result.summary.get("scenarios-1conn", {}).get("service")
    if alone:
        verdict = _verdict(alone.p50_ms_median <= SCENARIOS_P50_TARGET_MS)
        console.print(
            f"target: a {N_SCENARIOS}-scenario request p50 <= {SCENARIOS_P50_TARGET_MS:.0f} ms: "
            f"{alone.p50_ms_median:.1f} ms on its own (1 connection, p99 "
            f"{alone.p99_ms_median:.1f} ms, other processes' CPU up to "
            f"{alone.other_cpu_pct_max:.0f}%): {verdict}"
        )


def print_slate_target(result: BenchResult) -> None:
    alone = result.summary.get("slate-1conn", {}).get("service")
    if alone:
        verdict = _verdict(alone.p99_ms_median <= SLATE_TARGET_MS)
        console.print(
            f"target: a {N_SLATE}-film slate answers within {SLATE_TARGET_MS:.0f} ms: p50 "
            f"{alone.p50_ms_median:.0f} ms, p99 {alone.p99_ms_median:.0f} ms on its own (1 "
            f"connection, other processes' CPU up to {alone.other_cpu_pct_max:.0f}%): {verdict}"
        )


def environment_info() -> dict[str, Any]:
    try:
        out = subprocess.run(["wrk", "--version"], capture_output=True, text=True, timeout=10)
        wrk = ((out.stdout + out.stderr).splitlines() or ["?"])[0].strip()
    except (OSError, subprocess.TimeoutExpired):
        wrk = "?"
    info = {"python": sys.version.split()[0], "cpus": os.cpu_count(), "wrk": wrk}
    for dist in ("bentoml", "fastapi", "uvicorn", "scikit-learn", "pandas", "pydantic"):
        with contextlib.suppress(PackageNotFoundError):
            info[dist] = version(dist)
    return {**info, "git_commit": git_commit()}


# --------------------------------------------------------------------------- CLI

app = typer.Typer(add_completion=False, help=__doc__.split("\n\n")[0])


class Only(enum.StrEnum):
    both = "both"
    baseline = "baseline"
    service = "service"


@app.command()
def main(
    rounds: Annotated[int, typer.Option(min=1, max=50, help="alternating rounds per scenario")] = 2,
    duration: Annotated[int, typer.Option(min=1, max=600, help="seconds per measured run")] = 15,
    scenarios: Annotated[
        str, typer.Option(help=f"comma list of: {', '.join(SCENARIOS)}")
    ] = ",".join(SCENARIOS),
    only: Annotated[Only, typer.Option(help="which server(s) to start and load")] = Only.both,
    connections: Annotated[
        int, typer.Option(min=WRK_THREADS, max=4096, help="wrk connections")
    ] = 32,
    quiet_wait: Annotated[
        int,
        typer.Option(
            min=0,
            max=600,
            help="before each run, wait up to this many seconds for other processes to use "
            f"< {NOISY_OTHER_CPU_PCT:.0f}% of the CPU (0: don't wait)",
        ),
    ] = 30,
    data: Annotated[
        Path | None,
        typer.Option(
            help="the TMDB CSV the baseline fits on (default: as the training CLI finds it)"
        ),
    ] = None,
    tables_too: Annotated[
        bool,
        typer.Option(
            "--tables/--no-tables",
            help=f"also /predict_table at {TABLE_FILMS:,} films (CSV, Parquet) and the "
            "in-process timing of a 1,000-film request",
        ),
    ] = True,
) -> None:
    """Benchmark the BentoML service against the original-style FastAPI baseline with wrk."""
    names = [name.strip() for name in scenarios.split(",") if name.strip()]
    unknown = [name for name in names if name not in SCENARIOS]
    if unknown or not names:
        raise BenchError(
            f"unknown scenario(s) {unknown or scenarios!r}: use {', '.join(SCENARIOS)}"
        )
    wanted = [SCENARIOS[name] for name in names]
    if shutil.which("wrk") is None:
        raise BenchError(
            "wrk not found on PATH: install it with `apt-get update && apt-get install -y wrk` "
            "(Debian/Ubuntu package `wrk`)"
        )
    allowed = {
        Only.both: SERVER_NAMES,
        Only.baseline: tuple(REFERENCES),
        Only.service: ("service",),
    }[only]
    to_start = [name for name in allowed if any(name in s.servers for s in wanted)]
    if not to_start:
        raise BenchError(f"no scenario of {names} runs on --only {only.value}")
    if any(name in REFERENCES for name in to_start):
        from training.data import DataError, locate_dataset

        try:
            dataset = locate_dataset(data)
        except DataError as error:
            raise BenchError(f"the baseline needs the TMDB CSV: {error}") from None
        if data is None and not os.environ.get("BOXOFFICE_DATA"):
            console.print(f"data: {dataset}")

    stamp = utc_stamp()
    log_dir = RESULTS_DIR / f"logs-{stamp}"
    config = BenchConfig(only.value, rounds, duration, connections, quiet_wait, names)
    result = BenchResult(stamp, config, environment_info())
    with (
        tempfile.TemporaryDirectory(prefix="boxoffice-bench-") as work,
        contextlib.ExitStack() as stack,
    ):
        servers: dict[str, Server] = {}
        # one after the other, so that start-ups do not compete for the cores
        for name in to_start:
            port, log_path = free_port(), log_dir / f"{name}.log"
            if name in REFERENCES:
                server = baseline_server(name, port, log_path, dataset)
            else:
                server = bentoml_serve(port, log_path)
            console.print(f"[bold]starting {name}[/]: {' '.join(server.cmd)}")
            stack.callback(server.stop)
            server.start()
            seconds = server.wait_ready(STARTUP_TIMEOUT_S)
            pids = [p.pid for p in server.processes()]
            console.print(f"  ready in {seconds:.2f} s on {server.base_url} (pids {pids})")
            servers[name] = server
            result.servers[name] = ServerInfo(
                server.cmd, port, server.ready_path, round(seconds, 3), server.memory()
            )
        for scenario in wanted:
            run_scenario(scenario, servers, result, Path(work))
        if "service" in servers and tables_too:
            result.extra["tables"] = inprocess.tables(
                servers["service"].base_url, real_films(), TABLE_FILMS
            )
            body = real_batches(random.Random(SEED), BATCH_SIZE, 1)[0]
            result.extra["in_process"] = inprocess.inprocess(body)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    out_path = RESULTS_DIR / f"bench-{stamp}.json"
    out_path.write_text(json.dumps(dataclasses.asdict(result), indent=2) + "\n")
    print_final(result)
    if "tables" in result.extra:
        inprocess.print_tables(result.extra["tables"])
        inprocess.print_inprocess(result.extra["in_process"], BATCH_SIZE)
    print_scenarios_against_single(result)
    print_slate_target(result)
    console.print(f"results: {out_path}")
    shutil.rmtree(log_dir, ignore_errors=True)  # kept when something failed


def cli() -> None:
    interrupt_on_termination()
    try:
        # standalone: typer handles usage errors and ^C (exit status 130) itself
        app(prog_name="bench.run")
    except BenchError as error:
        err_console.print(f"error: {error}", markup=False, highlight=False, soft_wrap=True)
        sys.exit(1)


if __name__ == "__main__":
    cli()
