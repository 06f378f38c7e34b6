"""The benchmark harness kills every process its server started, and nothing else."""

import subprocess
import sys
import time

import psutil
import pytest

from bench.harness import BenchError, Server, free_port

# A server stand-in that starts a child outside its process group, as a daemonising worker would.
ESCAPING_SERVER = """
import subprocess, sys, time
child = subprocess.Popen(["sleep", "60"], start_new_session=True)
open(sys.argv[1], "w").write(str(child.pid))
time.sleep(60)
"""


def _gone(process: psutil.Process, seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if process.status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        time.sleep(0.05)
    return False


def stand_in(tmp_path, cmd: list[str]) -> Server:
    return Server("stand-in", cmd, 0, "/", tmp_path / "server.log", cwd=tmp_path)


def test_stop_kills_children_that_left_the_process_group(tmp_path):
    pid_file = tmp_path / "child.pid"
    server = stand_in(tmp_path, [sys.executable, "-c", ESCAPING_SERVER, str(pid_file)])
    bystander = subprocess.Popen(["sleep", "60"])
    try:
        server.start()
        deadline = time.monotonic() + 10
        while not pid_file.exists() or not pid_file.read_text():
            assert time.monotonic() < deadline, "the stand-in never started its child"
            time.sleep(0.05)
        escaped = psutil.Process(int(pid_file.read_text()))
        assert escaped.pid in [p.pid for p in server.processes()]
        assert escaped.pid in server.known

        server.stop(grace=2)

        assert _gone(escaped), "the child that left the process group survived stop()"
        assert bystander.poll() is None, "stop() killed a process that was never the server's"
    finally:
        bystander.kill()
        bystander.wait()
        server.stop(grace=0)


def test_stop_skips_known_processes_that_already_exited(tmp_path):
    server = stand_in(tmp_path, ["sleep", "60"])
    short = subprocess.Popen(["true"])
    server.remember(psutil.Process(short.pid))
    short.wait()
    server.start()
    server.stop(grace=2)  # the exited process's handle must not raise
    assert server.proc is None


def test_a_server_that_exits_fails_with_its_last_error_line(tmp_path):
    script = "import sys; print('starting'); sys.exit('RuntimeError: no models in the store')"
    server = stand_in(tmp_path, [sys.executable, "-c", script])
    server.start()
    try:
        with pytest.raises(BenchError, match=r"exited with code 1.*RuntimeError: no models"):
            server.wait_ready(timeout=10)
    finally:
        server.stop(grace=0)


def test_wait_ready_then_measure_and_stop(tmp_path):
    port = free_port()
    cmd = [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"]
    server = Server("http", cmd, port, "/", tmp_path / "server.log", cwd=tmp_path)
    server.start()
    try:
        assert 0 < server.wait_ready(timeout=20) < 20
        (row,) = server.memory()
        assert (row.pid, row.role) == (server.proc.pid, "server") and row.rss_mib > 1
        assert server.cpu_seconds() > 0
        with server.peak_rss_mib(interval=0.01) as peaks:
            time.sleep(0.1)
        assert peaks[server.proc.pid] > 1
    finally:
        server.stop()
    assert server.proc is None and not server.known
