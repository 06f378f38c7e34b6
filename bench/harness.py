"""Server processes for the benchmarks and the tests: start, wait for readiness, measure, stop.

A server runs in its own process group (so ^C in the terminal does not reach it and it is
stopped as a group), with its output in a log file (a pipe nobody reads would fill up and block
it). Its processes are followed with psutil handles, which also keep a pid that an unrelated
process reused from ever being signalled. CPU time, the machine's included, is read through
psutil too.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil

REPO_ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = REPO_ROOT / "bench" / "results"
BENTOML = Path(sys.executable).parent / "bentoml"
NOISY_OTHER_CPU_PCT = 5.0  # CPU share of foreign processes above which a run is flagged
MIB = 2**20


class BenchError(Exception):
    """A failure reported to the user as one line."""


@dataclass
class ProcessMemory:
    pid: int
    role: str
    cmdline: str
    rss_mib: float
    pss_mib: float | None  # proportional set size: pages shared between workers counted once


def free_port() -> int:
    """A loopback port free now (take it before starting the next server: bound ports are
    never handed out again)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine has spent busy since boot (all cores)."""
    t = psutil.cpu_times()
    return t.user + t.nice + t.system + t.irq + t.softirq + t.steal


@dataclass
class Server:
    """One server process (and whatever it starts), answering on 127.0.0.1:port."""

    name: str
    cmd: list[str]
    port: int
    ready_path: str  # answers 200 once the server is ready
    log_path: Path
    env: dict[str, str] = field(default_factory=dict)  # on top of this process's environment
    cwd: Path = REPO_ROOT
    parent_role: str = "server"
    proc: subprocess.Popen | None = None
    started_at: float = 0.0
    ready_seconds: float | None = None
    # every process of the server seen so far, to stop those that left its process group
    known: dict[int, psutil.Process] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "BENTOML_DO_NOT_TRACK": "true", **self.env}
        with open(self.log_path, "wb") as log:
            self.started_at = time.monotonic()
            try:
                self.proc = subprocess.Popen(
                    self.cmd,
                    cwd=self.cwd,
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            except OSError as error:
                raise BenchError(f"{self.name} failed to start: {error}") from error
        # our own child: its pid cannot be reused before we reap it
        self.remember(psutil.Process(self.proc.pid))

    def last_log_line(self) -> str:
        """The last exception line of the log if there is one, else its last line."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        for line in reversed(lines[-200:]):
            if re.match(r"^[\w.]*(Error|Exception|Exit)\b.*:", line):
                return line[:200]
        return lines[-1][:200] if lines else ""

    def failure(self, what: str) -> BenchError:
        return BenchError(f"{self.name} {what} (log {self.log_path}: {self.last_log_line()!r})")

    def wait_ready(self, timeout: float) -> float:
        """Seconds from start to a 200 on ready_path; BenchError if it exits or times out."""
        assert self.proc is not None
        url = self.base_url + self.ready_path
        with httpx.Client(timeout=2.0) as client:
            while time.monotonic() < self.started_at + timeout:
                if self.proc.poll() is not None:
                    raise self.failure(f"failed to start: exited with code {self.proc.returncode}")
                with contextlib.suppress(httpx.HTTPError):
                    if client.get(url).status_code == 200:
                        self.ready_seconds = time.monotonic() - self.started_at
                        self.processes()
                        return self.ready_seconds
                time.sleep(0.1)
        raise self.failure(f"failed to start: {url} not 200 within {timeout:.0f}s")

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def remember(self, *processes: psutil.Process) -> None:
        for process in processes:
            known = self.known.get(process.pid)
            if known is None or not known.is_running():  # new, or a reused pid
                self.known[process.pid] = process

    def processes(self) -> list[psutil.Process]:
        """The server's processes now, parent first (each one remembered for stop())."""
        if self.proc is None or self.proc.returncode is not None:
            return []
        parent = self.known[self.proc.pid]
        try:
            tree = [parent, *parent.children(recursive=True)]
        except psutil.Error:
            return []
        self.remember(*tree)
        return tree

    def memory(self) -> list[ProcessMemory]:
        rows = []
        for process in self.processes():
            try:
                if process.status() == psutil.STATUS_ZOMBIE:
                    continue  # exited, not yet reaped: it holds no memory
                rss, cmdline = process.memory_info().rss, " ".join(process.cmdline())
            except psutil.Error:
                continue
            pss = None
            with contextlib.suppress(psutil.Error):
                pss = round(process.memory_full_info().pss / MIB, 1)
            if process.pid == self.proc.pid:
                role = self.parent_role
            elif "_bentoml_impl.worker" in cmdline or "worker_id" in cmdline:
                role = "bentoml worker"
            else:
                role = "child"
            rows.append(ProcessMemory(process.pid, role, cmdline[:300], round(rss / MIB, 1), pss))
        return rows

    def cpu_seconds(self) -> float:
        """User + system seconds of the server's live processes."""
        total = 0.0
        for process in self.processes():
            with contextlib.suppress(psutil.Error):
                times = process.cpu_times()
                total += times.user + times.system
        return total

    @contextlib.contextmanager
    def peak_rss_mib(self, interval: float = 0.5) -> Iterator[dict[int, float]]:
        """Peak resident MiB per process, sampled in a thread while the block runs."""
        peaks: dict[int, float] = {}
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                for process in self.processes():
                    with contextlib.suppress(psutil.Error):
                        mib = round(process.memory_info().rss / MIB, 1)
                        peaks[process.pid] = max(peaks.get(process.pid, 0.0), mib)
                done.wait(interval)

        thread = threading.Thread(target=sample, daemon=True)
        thread.start()
        try:
            yield peaks
        finally:
            done.set()
            thread.join(timeout=5)

    def stop(self, grace: float = 10.0) -> None:
        """SIGTERM the process group, SIGKILL what is left after `grace` seconds, and every
        process of the server seen so far that left the group."""
        if self.proc is None:
            return
        self.processes()
        pid = self.proc.pid
        if self.proc.returncode is None:  # not reaped: the group id is still the server's
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGTERM)
            deadline = time.monotonic() + grace
            # wait for the parent without reaping it, so that its pid still names its group
            with contextlib.suppress(ChildProcessError):
                flags = os.WEXITED | os.WNOHANG | os.WNOWAIT
                while os.waitid(os.P_PID, pid, flags) is None and time.monotonic() < deadline:
                    time.sleep(0.05)
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)
        for known_pid, process in self.known.items():
            if known_pid != pid:
                # kill() checks the process's start time first: a pid that now names an
                # unrelated process raises NoSuchProcess instead of being signalled
                with contextlib.suppress(psutil.Error):
                    process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=5)
        self.proc = None
        self.known.clear()


def bentoml_serve(port: int, log_path: Path, env: dict[str, str] | None = None) -> Server:
    """`bentoml serve service:Forecaster` from the repository, ready when /readyz answers 200."""
    cmd = [str(BENTOML), "serve", "service:Forecaster", "--host", "127.0.0.1", "--port", str(port)]
    return Server(
        "service", cmd, port, "/readyz", log_path, env or {}, parent_role="bentoml serve (parent)"
    )


def utc_stamp() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def git_commit() -> str:
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
    return ""


def interrupt_on_termination() -> None:
    """SIGTERM and SIGHUP act as ^C, so that the `finally` blocks stop every server."""

    def interrupt(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, interrupt)
    signal.signal(signal.SIGHUP, interrupt)
