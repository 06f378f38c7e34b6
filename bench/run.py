"""Load-test the BentoML service against a baseline replicating the original FastAPI server.

Run from the repository root, with the project's virtualenv:

    .venv/bin/python -m bench.run --help
    .venv/bin/python bench/run.py --only baseline --rounds 2 --duration 10

What it does:

* checks that ``wrk`` is installed (it installs nothing itself);
* starts the baseline (``bench/baseline_server.py``: FastAPI, one uvicorn worker) and/or the
  service (``bentoml serve service:Forecaster``), each in its own process group on a free
  loopback port, and measures start -> ready seconds (baseline: ``GET /health``; service:
  ``GET /readyz`` == 200);
* scenario ``single``: POST one film per request to ``/predict_revenue``; scenario ``batch``:
  POST ``{"films": [1000 films]}`` to ``/predict_batch``; both with wrk (32 connections,
  2 threads by default) and ``bench/wrk_post.lua``, alternating servers round by round
  (baseline, service, baseline, service, ...), each run preceded by a short warm-up;
* samples the resident memory of every process of each server (the ``bentoml serve`` parent
  and its worker children) while and after the load, reads the service's Prometheus
  ``/metrics`` around every run (_sum/_count of ``boxoffice_micro_batch_size``, the single-film
  micro-batcher, and of BentoML's ``bentoml_service_adaptive_batch_size``) to report the mean
  batch size;
* writes everything to ``bench/results/bench-<UTC time>.json`` and prints a final table.

Every process it starts is killed on exit, Ctrl-C or error; every wait is bounded in time.
"""

from __future__ import annotations

import atexit
import contextlib
import datetime as dt
import enum
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import httpx
import psutil
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from serving.client import SEED_FILMS  # the original project's five example films

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
LUA_SCRIPT = BENCH_DIR / "wrk_post.lua"
BASELINE_SCRIPT = BENCH_DIR / "baseline_server.py"
RESULTS_DIR = BENCH_DIR / "results"
DATA_ENV = "BOXOFFICE_DATA"
DATA_FILENAME = "tmdb_5000_movies.csv"
DATA_FALLBACKS = (
    REPO_ROOT / "data" / DATA_FILENAME,
    REPO_ROOT.parent / "shared" / "data" / DATA_FILENAME,
)
NOISY_OTHER_CPU_PCT = 5.0  # CPU share of foreign processes above which a run is flagged
# batch-size histograms read from the service's /metrics: BentoML's own (batchable APIs; see
# _bentoml_impl/server/app.py) and this project's single-film micro-batcher (serving/batching.py)
BATCH_METRICS = ("bentoml_service_adaptive_batch_size", "boxoffice_micro_batch_size")


# wide enough for the tables when the output goes to a file or a pipe
console = Console(width=None if sys.stdout.isatty() else 120)
err_console = Console(stderr=True, width=None if sys.stderr.isatty() else 200)


class BenchError(Exception):
    """A failure reported to the user as one line, exit status 1."""


class Only(enum.StrEnum):
    both = "both"
    baseline = "baseline"
    service = "service"


# --------------------------------------------------------------------------- request bodies


def vary_film(rng: random.Random, base: dict[str, float]) -> dict[str, float]:
    """A plausible film near one of the seed films."""
    return {
        "runtime": round(min(240.0, max(60.0, base["runtime"] * rng.uniform(0.8, 1.2))), 1),
        "popularity": round(max(0.01, base["popularity"] * rng.lognormvariate(0.0, 0.5)), 6),
        "vote_avg": round(min(10.0, max(0.0, base["vote_avg"] + rng.uniform(-1.0, 1.0))), 1),
        "log_budget": round(min(20.5, max(9.0, base["log_budget"] + rng.uniform(-0.7, 0.7))), 6),
    }


def make_films(rng: random.Random, n: int) -> list[dict[str, float]]:
    return [vary_film(rng, SEED_FILMS[i % len(SEED_FILMS)]) for i in range(n)]


def write_bodies(directory: Path, seed: int, batch_size: int) -> dict[str, Path]:
    """One JSON body per line: wrk_post.lua rotates through them."""
    rng = random.Random(seed)
    single = directory / "single.jsonl"
    films = SEED_FILMS + make_films(rng, 195)
    single.write_text("".join(json.dumps(f, separators=(",", ":")) + "\n" for f in films))
    batch = directory / "batch.jsonl"
    bodies = [{"films": make_films(rng, batch_size)} for _ in range(4)]
    batch.write_text("".join(json.dumps(b, separators=(",", ":")) + "\n" for b in bodies))
    explain = directory / "explain.jsonl"
    explain.write_text(
        "".join(json.dumps({**f, "explain": True}, separators=(",", ":")) + "\n" for f in films)
    )
    return {"single": single, "batch": batch, "explain": explain}


# --------------------------------------------------------------------------- processes


def free_port(taken: set[int]) -> int:
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in taken:
            taken.add(port)
            return port
    raise BenchError("no free loopback port found")


def descendants(pid: int) -> list[int]:
    try:
        return [p.pid for p in psutil.Process(pid).children(recursive=True)]
    except psutil.Error:
        return []


def proc_cmdline(pid: int) -> str:
    try:
        return " ".join(psutil.Process(pid).cmdline())
    except psutil.Error:
        return ""


def proc_memory_kib(pid: int, with_pss: bool = False) -> dict[str, int] | None:
    """Resident memory (and proportional set size when asked) in KiB."""
    try:
        process = psutil.Process(pid)
        if process.status() == psutil.STATUS_ZOMBIE:
            return None  # exited, not yet reaped: it holds no memory
        out = {"rss_kib": process.memory_info().rss // 1024}
    except psutil.Error:
        return None
    if with_pss:
        with contextlib.suppress(psutil.Error):
            out["pss_kib"] = process.memory_full_info().pss // 1024
    return out


@dataclass
class Server:
    name: str
    cmd: list[str]
    cwd: Path
    env: dict[str, str]
    port: int
    ready_path: str
    log_path: Path
    proc: subprocess.Popen | None = None
    started_at: float = 0.0
    ready_seconds: float | None = None
    # every process of the server seen so far; a psutil handle will not signal a reused pid
    known: dict[int, psutil.Process] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "wb")  # noqa: SIM115 - handed to the child
        self.started_at = time.monotonic()
        try:
            self.proc = subprocess.Popen(
                self.cmd,
                cwd=self.cwd,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # own process group: killed as a group, immune to ^C
            )
        finally:
            log.close()
        self.remember(self.proc.pid)

    def last_log_line(self) -> str:
        """The last exception line of the log if there is one, else its last line."""
        try:
            lines = [ln.strip() for ln in self.log_path.read_text(errors="replace").splitlines()]
        except OSError:
            return ""
        lines = [ln for ln in lines if ln]
        for ln in reversed(lines[-200:]):
            if re.match(r"^[\w.]*(Error|Exception|Exit)\b.*:", ln):
                return ln[:200]
        return lines[-1][:200] if lines else ""

    def wait_ready(self, timeout: float) -> float:
        assert self.proc is not None
        deadline = self.started_at + timeout
        url = self.base_url + self.ready_path
        with httpx.Client(timeout=2.0) as client:
            while time.monotonic() < deadline:
                code = self.proc.poll()
                if code is not None:
                    raise BenchError(
                        f"{self.name} failed to start: exited with code {code} "
                        f"(log {self.log_path}: {self.last_log_line()!r})"
                    )
                with contextlib.suppress(httpx.HTTPError):
                    if client.get(url).status_code == 200:
                        self.ready_seconds = time.monotonic() - self.started_at
                        self.remember(*self.tree())
                        return self.ready_seconds
                time.sleep(0.1)
        raise BenchError(
            f"{self.name} failed to start: {url} not 200 within {timeout:.0f}s "
            f"(log {self.log_path}: {self.last_log_line()!r})"
        )

    def remember(self, *pids: int) -> None:
        for pid in pids:
            known = self.known.get(pid)
            if known is None or not known.is_running():  # new, or a reused pid
                with contextlib.suppress(psutil.NoSuchProcess):
                    self.known[pid] = psutil.Process(pid)

    def tree(self) -> list[int]:
        if self.proc is None or self.proc.poll() is not None:
            return []
        return [self.proc.pid, *descendants(self.proc.pid)]

    def role(self, pid: int) -> str:
        if self.proc is not None and pid == self.proc.pid:
            return "server" if self.name == "baseline" else "bentoml serve (parent)"
        cmd = proc_cmdline(pid)
        if "_bentoml_impl.worker" in cmd or "worker_id" in cmd or "--worker-id" in cmd:
            return "bentoml worker"
        return "child"

    def memory(self, with_pss: bool = True) -> list[dict[str, Any]]:
        rows = []
        for pid in self.tree():
            mem = proc_memory_kib(pid, with_pss=with_pss)
            if mem is None:
                continue
            rows.append(
                {
                    "pid": pid,
                    "role": self.role(pid),
                    "cmdline": proc_cmdline(pid)[:300],
                    "rss_mib": round(mem["rss_kib"] / 1024, 1),
                    "pss_mib": round(mem["pss_kib"] / 1024, 1) if "pss_kib" in mem else None,
                }
            )
        return rows

    def stop(self, grace: float = 10.0) -> None:
        if self.proc is None:
            return
        self.remember(*self.tree())
        pgid = self.proc.pid
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=grace)
        # whatever is left of the group, and any descendant that left the group
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGKILL)
        for pid, process in self.known.items():
            if pid != pgid:
                # kill() checks the process's start time first: a pid that now names an
                # unrelated process raises NoSuchProcess instead of being signalled
                with contextlib.suppress(psutil.Error):
                    process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=5)
        self.proc = None
        self.known.clear()


def _proc_cpu_ticks(pid: int) -> int:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0
    fields = stat[stat.rfind(")") + 2 :].split()
    return int(fields[11]) + int(fields[12])  # utime + stime (fields 14 and 15 of stat)


def machine_busy_ticks() -> int:
    parts = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(v) for v in parts[:8])
    return user + nice + system + irq + softirq + steal


class CpuAccount:
    """CPU used during a run: by the loaded server, by wrk and by everything else.

    "other" is the machine's busy time minus this harness, its wrk and its servers: anything
    well above a few percent means something else ran on the machine and the run is noisy.
    """

    def __init__(self, servers: list[Server], loaded: Server) -> None:
        self.servers, self.loaded = servers, loaded
        self.hz = os.sysconf("SC_CLK_TCK")

    def _ours(self) -> tuple[int, int, float, float]:
        loaded = sum(_proc_cpu_ticks(p) for p in self.loaded.tree())
        servers = sum(_proc_cpu_ticks(p) for s in self.servers for p in s.tree())
        t = os.times()
        return loaded, servers, t.user + t.system, t.children_user + t.children_system

    def __enter__(self) -> CpuAccount:
        self.t0 = time.monotonic()
        self.busy0 = machine_busy_ticks()
        self.ours0 = self._ours()
        return self

    def __exit__(self, *exc: object) -> None:
        elapsed = time.monotonic() - self.t0
        busy = (machine_busy_ticks() - self.busy0) / self.hz
        ours1 = self._ours()
        loaded = (ours1[0] - self.ours0[0]) / self.hz
        servers = (ours1[1] - self.ours0[1]) / self.hz
        harness = ours1[2] - self.ours0[2]
        wrk = ours1[3] - self.ours0[3]  # wrk is this process's only child reaped meanwhile
        capacity = elapsed * (os.cpu_count() or 1)
        self.result = {
            "elapsed_s": round(elapsed, 2),
            "server_cpu_s": round(loaded, 2),
            "wrk_cpu_s": round(wrk, 2),
            "harness_cpu_s": round(harness, 2),
            "other_cpu_s": round(max(0.0, busy - servers - harness - wrk), 2),
            "other_cpu_pct": round(100 * max(0.0, busy - servers - harness - wrk) / capacity, 1),
            "machine_busy_pct": round(100 * busy / capacity, 1),
        }


def wait_for_quiet(servers: list[Server], max_wait: float, threshold_pct: float) -> float:
    """Wait (at most max_wait s) for a 1 s window where other processes use < threshold_pct
    of the machine. Returns the last measured share of foreign CPU."""
    deadline = time.monotonic() + max_wait
    hz = os.sysconf("SC_CLK_TCK")
    ncpu = os.cpu_count() or 1
    pct = 0.0
    while True:
        t0, busy0 = time.monotonic(), machine_busy_ticks()
        ours0 = sum(_proc_cpu_ticks(p) for s in servers for p in s.tree())
        time.sleep(1.0)
        busy = (machine_busy_ticks() - busy0) / hz
        ours = (sum(_proc_cpu_ticks(p) for s in servers for p in s.tree()) - ours0) / hz
        pct = 100 * max(0.0, busy - ours) / ((time.monotonic() - t0) * ncpu)
        if pct < threshold_pct or time.monotonic() >= deadline:
            return pct


class MemorySampler:
    """Peak RSS per process of a server while wrk runs (bounded by a time limit)."""

    def __init__(self, server: Server, interval: float, max_seconds: float) -> None:
        self.server, self.interval, self.max_seconds = server, interval, max_seconds
        self.peak_kib: dict[int, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        end = time.monotonic() + self.max_seconds
        while not self._stop.is_set() and time.monotonic() < end:
            for pid in self.server.tree():
                mem = proc_memory_kib(pid)
                if mem:
                    self.peak_kib[pid] = max(self.peak_kib.get(pid, 0), mem["rss_kib"])
            self._stop.wait(self.interval)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


# --------------------------------------------------------------------------- wrk and metrics


def wrk_version(wrk: str) -> str:
    try:
        out = subprocess.run([wrk, "--version"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    return (out.stdout + out.stderr).splitlines()[0].strip() if (out.stdout + out.stderr) else "?"


def run_wrk(
    wrk: str,
    url: str,
    bodies: Path,
    duration: int,
    connections: int,
    threads: int,
    timeout: int,
) -> dict[str, Any]:
    cmd = [
        wrk,
        f"-t{threads}",
        f"-c{connections}",
        f"-d{duration}s",
        f"--timeout={timeout}s",
        "-s",
        str(LUA_SCRIPT),
        url,
        "--",
        str(bodies),
    ]
    try:
        out = subprocess.run(
            cmd, capture_output=True, text=True, timeout=duration + timeout + 60, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise BenchError(f"wrk did not finish in time: {' '.join(cmd)}") from exc
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("WRKJSON ")), None)
    if out.returncode != 0 or line is None:
        detail = (out.stderr.strip() or out.stdout.strip()).splitlines()
        raise BenchError(
            f"wrk failed (exit {out.returncode}) on {url}: {detail[-1] if detail else 'no output'}"
        )
    r = json.loads(line[len("WRKJSON ") :])
    seconds = r["duration_us"] / 1e6
    socket_errors = r["connect_errors"] + r["read_errors"] + r["write_errors"] + r["timeouts"]
    ok = max(0, r["requests"] - r["non2xx"])
    return {
        "requests": r["requests"],
        "seconds": round(seconds, 3),
        "rps": r["requests"] / seconds if seconds else 0.0,
        "ok_rps": ok / seconds if seconds else 0.0,
        "p50_ms": r["p50_us"] / 1000,
        "p90_ms": r["p90_us"] / 1000,
        "p99_ms": r["p99_us"] / 1000,
        "p999_ms": r["p999_us"] / 1000,
        "mean_ms": r["lat_mean_us"] / 1000,
        "max_ms": r["lat_max_us"] / 1000,
        "non2xx": r["non2xx"],
        "statuses": r["statuses"],
        "socket_errors": socket_errors,
        "errors": r["non2xx"] + socket_errors,
        "wrk": r,
    }


def scrape_batch_hist(base_url: str, metrics: list[str]) -> dict[str, dict[str, float]] | None:
    """{"metric[method]": {"sum": s, "count": c}} of batch-size histograms, or None.

    BentoML's own histogram is labelled by ``method_name``; a custom one may use another label
    (this project's micro-batcher uses ``queue``): the first of those present names the key.
    """
    from prometheus_client.parser import text_string_to_metric_families

    try:
        text = httpx.get(base_url + "/metrics", timeout=5.0).text
    except httpx.HTTPError:
        return None
    out: dict[str, dict[str, float]] = {}
    for family in text_string_to_metric_families(text):
        if family.name not in metrics:
            continue
        for sample in family.samples:
            kind = sample.name[len(family.name) + 1 :]
            if kind not in ("sum", "count"):
                continue
            label = next(
                (sample.labels[k] for k in ("method_name", "queue", "name") if k in sample.labels),
                "",
            )
            key = f"{family.name}[{label}]" if label else family.name
            slot = out.setdefault(key, {"sum": 0.0, "count": 0.0})
            slot[kind] += sample.value
    return out


def hist_delta(before: dict | None, after: dict | None) -> dict[str, dict[str, float]]:
    if not after:
        return {}
    before = before or {}
    delta = {}
    for method, a in after.items():
        b = before.get(method, {"sum": 0.0, "count": 0.0})
        d = {"sum": a["sum"] - b["sum"], "count": a["count"] - b["count"]}
        if d["count"] > 0:
            delta[method] = d
    return delta


def smoke_test(server: Server, path: str, body_file: Path) -> tuple[bool, str]:
    body = body_file.read_text().splitlines()[0]
    try:
        r = httpx.post(
            server.base_url + path,
            content=body,
            headers={"Content-Type": "application/json"},
            timeout=30.0,
        )
    except httpx.HTTPError as exc:
        return False, f"{type(exc).__name__}: {exc}"
    return r.is_success, f"HTTP {r.status_code}: {r.text[:160]}"


# --------------------------------------------------------------------------- reporting


def fmt_ratio(service: float | None, baseline: float | None) -> str:
    if service is None or not baseline:
        return "-"
    return f"{service / baseline:.2f}x"


def summarize(runs: list[dict[str, Any]], batch_size: int, scenario: str) -> dict[str, Any]:
    if not runs:
        return {}
    mult = batch_size if scenario == "batch" else 1
    return {
        "runs": len(runs),
        "rps_median": statistics.median(r["rps"] for r in runs),
        "ok_rps_median": statistics.median(r["ok_rps"] for r in runs),
        "films_per_s_median": statistics.median(r["ok_rps"] * mult for r in runs),
        "p50_ms_median": statistics.median(r["p50_ms"] for r in runs),
        "p99_ms_median": statistics.median(r["p99_ms"] for r in runs),
        "rps_min": min(r["rps"] for r in runs),
        "rps_max": max(r["rps"] for r in runs),
        "errors_total": sum(r["errors"] for r in runs),
        "non2xx_total": sum(r["non2xx"] for r in runs),
        "socket_errors_total": sum(r["socket_errors"] for r in runs),
        "requests_total": sum(r["requests"] for r in runs),
        "server_cpu_cores_median": statistics.median(
            r["cpu"]["server_cpu_s"] / r["cpu"]["elapsed_s"] for r in runs
        ),
        "other_cpu_pct_max": max(r["cpu"]["other_cpu_pct"] for r in runs),
    }


def print_runs_table(scenario: str, runs: list[dict[str, Any]], batch_size: int) -> None:
    t = Table(title=f"{scenario}: every run", title_justify="left")
    cols = ("round", "server", "req/s", "films/s", "p50 ms", "p99 ms", "non-2xx", "sock err")
    for col in (*cols, "server cores", "wrk cores", "other CPU %"):
        t.add_column(col, justify="right" if col not in ("server",) else "left")
    mult = batch_size if scenario == "batch" else 1
    for r in runs:
        t.add_row(
            str(r["round"]),
            r["server"],
            f"{r['rps']:.1f}",
            f"{r['ok_rps'] * mult:,.0f}",
            f"{r['p50_ms']:.2f}",
            f"{r['p99_ms']:.2f}",
            str(r["non2xx"]) + (f" {r['statuses']}" if r["statuses"] else ""),
            str(r["socket_errors"]),
            f"{r['cpu']['server_cpu_s'] / r['cpu']['elapsed_s']:.2f}",
            f"{r['cpu']['wrk_cpu_s'] / r['cpu']['elapsed_s']:.2f}",
            f"{r['cpu']['other_cpu_pct']:.0f}",
        )
    console.print(t)


def print_final(result: dict[str, Any]) -> None:
    servers = result["servers"]
    cfg = result["config"]
    t = Table(
        title=(
            f"Final: medians over {cfg['rounds']} round(s), {cfg['duration_s']} s each, "
            f"{cfg['connections']} connections, {cfg['threads']} wrk threads"
        ),
        title_justify="left",
    )
    t.add_column("metric")
    t.add_column("baseline", justify="right")
    t.add_column("service", justify="right")
    t.add_column("service/baseline", justify="right")

    def cell(v: float | None, f: str) -> str:
        return "-" if v is None else format(v, f)

    sb = servers.get("baseline", {}).get("ready_seconds")
    ss = servers.get("service", {}).get("ready_seconds")
    t.add_row("start -> ready (s)", cell(sb, ".2f"), cell(ss, ".2f"), fmt_ratio(ss, sb))
    for scenario, summ in result["summary"].items():
        b, s = summ.get("baseline", {}), summ.get("service", {})
        label = {"single": "single", "explain": "single + explain"}.get(
            scenario, f"batch x{cfg['batch_size']}"
        )
        t.add_section()
        if scenario in ("single", "explain"):
            rows = [("req/s", "rps_median", ",.1f")]
        else:
            rows = [("req/s", "rps_median", ",.2f"), ("films/s", "films_per_s_median", ",.0f")]
        rows += [
            ("p50 ms", "p50_ms_median", ".2f"),
            ("p99 ms", "p99_ms_median", ".2f"),
        ]
        for name, key, f in rows:
            bv, sv = b.get(key), s.get(key)
            t.add_row(f"{label}: {name}", cell(bv, f), cell(sv, f), fmt_ratio(sv, bv))
        t.add_row(
            f"{label}: errors",
            str(b.get("errors_total", "-")),
            str(s.get("errors_total", "-")),
            "",
        )
        t.add_row(
            f"{label}: server CPU (cores)",
            cell(b.get("server_cpu_cores_median"), ".2f"),
            cell(s.get("server_cpu_cores_median"), ".2f"),
            "",
        )
        t.add_row(
            f"{label}: other processes' CPU, max %",
            cell(b.get("other_cpu_pct_max"), ".0f"),
            cell(s.get("other_cpu_pct_max"), ".0f"),
            "",
        )
        bs = summ.get("service_mean_batch_size")
        if bs:
            txt = escape(", ".join(f"{m}: {v['mean']:.2f}" for m, v in bs.items()))
            t.add_row(f"{label}: mean batch size", "", txt, "")
        elif "service" in summ:
            t.add_row(f"{label}: mean batch size", "", "n/a (no batched call)", "")
    t.add_section()
    for name in ("baseline", "service"):
        mem = servers.get(name, {}).get("memory_after_load")
        if not mem:
            continue
        for row in mem:
            peak = servers[name].get("peak_rss_mib", {}).get(str(row["pid"]))
            txt = f"{row['rss_mib']:.0f} MiB" + (f" (peak {peak:.0f})" if peak else "")
            t.add_row(
                f"RSS {row['role']} {row['pid']}",
                txt if name == "baseline" else "",
                txt if name == "service" else "",
                "",
            )
    tb = servers.get("baseline", {}).get("total_rss_mib")
    ts = servers.get("service", {}).get("total_rss_mib")
    t.add_row("RSS total (MiB)", cell(tb, ".0f"), cell(ts, ".0f"), fmt_ratio(ts, tb))
    console.print(t)
    console.print(
        "errors = non-2xx responses + socket errors (connect/read/write/timeout); "
        "batch size = mean of the batch-size histogram(s) over the measured runs; "
        "RSS = resident memory after the last run (peak = max sampled during the runs); "
        "cores = CPU seconds per second; other CPU % = share of the machine used by processes "
        f"that are not this harness, wrk or its servers (> {NOISY_OTHER_CPU_PCT:.0f}%: noisy)"
    )


# --------------------------------------------------------------------------- CLI

app = typer.Typer(add_completion=False, help=__doc__.split("\n\n")[0])


@app.command()
def main(
    only: Annotated[Only, typer.Option(help="which server(s) to start and load")] = Only.both,
    rounds: Annotated[int, typer.Option(min=1, max=50, help="alternating rounds per scenario")] = 2,
    duration: Annotated[
        int, typer.Option(min=1, max=600, help="seconds per measured wrk run")
    ] = 15,
    warmup: Annotated[
        int, typer.Option(min=0, max=120, help="seconds of wrk warm-up before each run")
    ] = 3,
    connections: Annotated[int, typer.Option(min=1, max=4096, help="wrk connections")] = 32,
    threads: Annotated[int, typer.Option(min=1, max=64, help="wrk threads")] = 2,
    wrk_timeout: Annotated[
        int, typer.Option(min=1, max=120, help="wrk per-request timeout, seconds")
    ] = 10,
    scenarios: Annotated[
        str,
        typer.Option(
            help="comma list of: single, batch, explain (single films asking for an "
            "explanation; the service only: the baseline has none)"
        ),
    ] = "single,batch,explain",
    batch_size: Annotated[int, typer.Option(min=1, max=10_000, help="films per batch body")] = 1000,
    data: Annotated[
        Path | None,
        typer.Option(
            envvar=DATA_ENV,
            help=f"TMDB movies CSV for the baseline (default: ${DATA_ENV}, data/{DATA_FILENAME} "
            f"or ../shared/data/{DATA_FILENAME})",
        ),
    ] = None,
    service_dir: Annotated[
        Path, typer.Option(help="directory `bentoml serve` runs from (holds service.py)")
    ] = REPO_ROOT,
    service_target: Annotated[str, typer.Option(help="bentoml serve target")] = (
        "service:Forecaster"
    ),
    bentoml_bin: Annotated[
        Path | None, typer.Option(help="bentoml executable (default: the one next to Python)")
    ] = None,
    baseline_access_log: Annotated[
        bool, typer.Option(help="uvicorn access log on the baseline (the original had it on)")
    ] = True,
    startup_timeout: Annotated[
        int, typer.Option(min=5, max=1800, help="seconds allowed to become ready")
    ] = 180,
    seed: Annotated[int, typer.Option(help="seed for the varied films")] = 42,
    out: Annotated[
        Path | None, typer.Option(help="result JSON (default bench/results/bench-<time>.json)")
    ] = None,
    batch_metric: Annotated[
        list[str] | None,
        typer.Option(help="batch-size histogram(s) to read from /metrics (repeatable)"),
    ] = None,
    quiet_wait: Annotated[
        int,
        typer.Option(
            min=0,
            max=600,
            help="before each run, wait up to this many seconds for other processes to use "
            f"< {NOISY_OTHER_CPU_PCT:.0f}% of the CPU (0: don't wait)",
        ),
    ] = 30,
    keep_logs: Annotated[
        bool, typer.Option(help="keep the server logs even when all went well")
    ] = False,
) -> None:
    """Benchmark the BentoML service against the original-style FastAPI baseline with wrk."""
    wanted = [s.strip() for s in scenarios.split(",") if s.strip()]
    bad = [s for s in wanted if s not in ("single", "batch", "explain")]
    if bad or not wanted:
        raise BenchError(f"unknown scenario(s) {bad or scenarios!r}: use single, batch, explain")
    if connections < threads:
        raise BenchError("--connections must be >= --threads (a wrk rule)")

    wrk = shutil.which("wrk")
    if wrk is None:
        raise BenchError(
            "wrk not found on PATH: install it with `apt-get update && apt-get install -y wrk` "
            "(Debian/Ubuntu package `wrk`)"
        )
    names = ["baseline", "service"] if only == Only.both else [only.value]
    if "baseline" in names:
        if data is None:
            # same fallbacks as the training code: data/ in the repo, then ../shared/data/
            found = [p for p in DATA_FALLBACKS if p.is_file()]
            if not found:
                raise BenchError(f"the baseline needs the TMDB CSV: pass --data or set {DATA_ENV}")
            data = found[0]
            console.print(f"data: {data}")
        if not data.is_file():
            raise BenchError(f"data file not found: {data}")
    if "service" in names:
        module = service_target.split(":")[0].replace(".", "/")
        if not (service_dir / f"{module}.py").is_file():
            raise BenchError(
                f"{service_dir / (module + '.py')} not found: use --only baseline, or --service-dir"
            )
        if bentoml_bin is None:
            cand = Path(sys.executable).parent / "bentoml"
            bentoml_bin = cand if cand.exists() else REPO_ROOT / ".venv" / "bin" / "bentoml"
        if not bentoml_bin.exists():
            raise BenchError(f"bentoml executable not found: {bentoml_bin}")

    batch_metric = list(batch_metric or BATCH_METRICS)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    out_path = out or RESULTS_DIR / f"bench-{stamp}.json"
    log_dir = RESULTS_DIR / f"logs-{stamp}"
    work = Path(tempfile.mkdtemp(prefix="boxoffice-bench-"))
    bodies = write_bodies(work, seed, batch_size)

    base_env = {**os.environ, "PYTHONUNBUFFERED": "1", "BENTOML_DO_NOT_TRACK": "true"}
    servers: dict[str, Server] = {}
    ports: set[int] = set()
    if "baseline" in names:
        port = free_port(ports)
        cmd = [sys.executable, str(BASELINE_SCRIPT), "--host", "127.0.0.1", "--port", str(port)]
        if not baseline_access_log:
            cmd.append("--no-access-log")
        servers["baseline"] = Server(
            "baseline",
            cmd,
            REPO_ROOT,
            {**base_env, DATA_ENV: str(data.resolve())},
            port,
            "/health",
            log_dir / "baseline.log",
        )
    if "service" in names:
        port = free_port(ports)
        cmd = [str(bentoml_bin), "serve", service_target]
        cmd += ["--host", "127.0.0.1", "--port", str(port)]
        servers["service"] = Server(
            "service", cmd, service_dir, base_env, port, "/readyz", log_dir / "service.log"
        )

    def cleanup() -> None:
        for s in servers.values():
            s.stop()
        shutil.rmtree(work, ignore_errors=True)

    atexit.register(cleanup)
    ok = False
    try:
        result: dict[str, Any] = {
            "started_utc": stamp,
            "config": {
                "only": only.value,
                "rounds": rounds,
                "duration_s": duration,
                "warmup_s": warmup,
                "connections": connections,
                "threads": threads,
                "wrk_timeout_s": wrk_timeout,
                "scenarios": wanted,
                "batch_size": batch_size,
                "seed": seed,
                "baseline_access_log": baseline_access_log,
                "quiet_wait_s": quiet_wait,
                "batch_metrics": batch_metric,
                "service_target": service_target if "service" in names else None,
            },
            "environment": environment_info(wrk),
            "servers": {},
            "runs": {},
            "summary": {},
        }
        # start one after the other so that start-up times do not compete for the 2 cores
        for name, s in servers.items():
            console.print(f"[bold]starting {name}[/]: {' '.join(s.cmd)}")
            s.start()
            secs = s.wait_ready(startup_timeout)
            console.print(f"  ready in {secs:.2f} s on {s.base_url} (pids {s.tree()})")
            result["servers"][name] = {
                "cmd": s.cmd,
                "port": s.port,
                "ready_path": s.ready_path,
                "ready_seconds": round(secs, 3),
                "memory_idle": s.memory(),
            }

        paths = {
            "single": "/predict_revenue",
            "batch": "/predict_batch",
            "explain": "/predict_revenue",
        }
        for scenario in wanted:
            active = []
            for name, s in servers.items():
                if scenario == "explain" and name == "baseline":
                    continue  # the original server has no explanations
                good, msg = smoke_test(s, paths[scenario], bodies[scenario])
                console.print(escape(f"smoke {name} POST {paths[scenario]}: {msg}"))
                if good:
                    active.append(name)
                else:
                    console.print(f"  [yellow]skipping {scenario} on {name}[/]")
                    result["servers"][name].setdefault("skipped", {})[scenario] = msg
            runs: list[dict[str, Any]] = []
            batch_hist: dict[str, dict[str, float]] = {}
            for rnd in range(1, rounds + 1):
                for name in active:
                    s = servers[name]
                    url = s.base_url + paths[scenario]
                    if quiet_wait:
                        pct = wait_for_quiet(
                            list(servers.values()), quiet_wait, NOISY_OTHER_CPU_PCT
                        )
                        if pct >= NOISY_OTHER_CPU_PCT:
                            console.print(
                                f"  [yellow]machine still busy ({pct:.0f}% CPU used by other "
                                f"processes) after {quiet_wait} s: running anyway[/]"
                            )
                    if warmup:
                        run_wrk(
                            wrk, url, bodies[scenario], warmup, connections, threads, wrk_timeout
                        )
                    before = (
                        scrape_batch_hist(s.base_url, batch_metric) if name == "service" else None
                    )
                    with (
                        CpuAccount(list(servers.values()), s) as cpu,
                        MemorySampler(s, 0.5, duration + wrk_timeout + 60) as sampler,
                    ):
                        r = run_wrk(
                            wrk,
                            url,
                            bodies[scenario],
                            duration,
                            connections,
                            threads,
                            wrk_timeout,
                        )
                    if name == "service":
                        delta = hist_delta(before, scrape_batch_hist(s.base_url, batch_metric))
                        r["adaptive_batch"] = delta
                        for m, d in delta.items():
                            slot = batch_hist.setdefault(m, {"sum": 0.0, "count": 0.0})
                            slot["sum"] += d["sum"]
                            slot["count"] += d["count"]
                    if s.proc is None or s.proc.poll() is not None:
                        raise BenchError(
                            f"{name} died during the {scenario} load "
                            f"(log {s.log_path}: {s.last_log_line()!r})"
                        )
                    r.update(round=rnd, server=name, scenario=scenario, cpu=cpu.result)
                    mem = s.memory()
                    r["memory_after"] = mem
                    info = result["servers"][name]
                    info["memory_after_load"] = mem
                    info["total_rss_mib"] = round(sum(m["rss_mib"] for m in mem), 1)
                    peaks = info.setdefault("peak_rss_mib", {})
                    for pid, kib in sampler.peak_kib.items():
                        peaks[str(pid)] = max(peaks.get(str(pid), 0.0), round(kib / 1024, 1))
                    runs.append(r)
                    console.print(
                        f"  {scenario} round {rnd} {name:8s} {r['rps']:9.1f} req/s  "
                        f"p50 {r['p50_ms']:7.2f} ms  p99 {r['p99_ms']:7.2f} ms  "
                        f"errors {r['errors']}  other CPU {cpu.result['other_cpu_pct']:.0f}%"
                        + "".join(
                            f"  mean batch {d['sum'] / d['count']:.1f}"
                            for d in r.get("adaptive_batch", {}).values()
                        )
                    )
                    if cpu.result["other_cpu_pct"] > NOISY_OTHER_CPU_PCT:
                        console.print(
                            f"  [yellow]warning: {cpu.result['other_cpu_pct']:.0f}% of the "
                            "machine's CPU went to other processes during this run: noisy[/]"
                        )
            result["runs"][scenario] = runs
            summ: dict[str, Any] = {}
            for name in active:
                summ[name] = summarize(
                    [r for r in runs if r["server"] == name], batch_size, scenario
                )
            if "service" in active:
                summ["service_mean_batch_size"] = {
                    m: {**v, "mean": v["sum"] / v["count"]}
                    for m, v in batch_hist.items()
                    if v["count"]
                }
            result["summary"][scenario] = summ
            print_runs_table(scenario, runs, batch_size)

        out_path.parent.mkdir(parents=True, exist_ok=True)
        out_path.write_text(json.dumps(result, indent=2, default=str) + "\n")
        print_final(result)
        if "single" in result["summary"] and "baseline" in result["summary"]["single"]:
            console.print(
                "note: the original server took one film per request, so its films/s is its "
                f"single-film req/s ({result['summary']['single']['baseline']['rps_median']:.0f})."
            )
        console.print(f"results: {out_path}")
        ok = True
    finally:
        cleanup()
        atexit.unregister(cleanup)
        if ok and not keep_logs:
            shutil.rmtree(log_dir, ignore_errors=True)
        elif ok and log_dir.exists():
            console.print(f"server logs: {log_dir}")


def environment_info(wrk: str) -> dict[str, Any]:
    info: dict[str, Any] = {
        "python": sys.version.split()[0],
        "cpus": os.cpu_count(),
        "wrk": wrk_version(wrk),
    }
    for mod in ("bentoml", "fastapi", "uvicorn", "sklearn", "pandas", "pydantic"):
        try:
            from importlib.metadata import version

            dist = {"sklearn": "scikit-learn"}.get(mod, mod)
            info[mod] = version(dist)
        except Exception:
            info[mod] = None
    with contextlib.suppress(Exception):
        info["git_commit"] = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
    return info


def _raise_interrupt(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def cli() -> None:
    signal.signal(signal.SIGTERM, _raise_interrupt)
    signal.signal(signal.SIGHUP, _raise_interrupt)
    try:
        # standalone: click handles usage errors and ^C (its "Aborted!", exit 1) itself
        app(prog_name="bench.run")
    except BenchError as exc:
        err_console.print(f"error: {exc}", markup=False, highlight=False, soft_wrap=True)
        sys.exit(1)


if __name__ == "__main__":
    cli()
