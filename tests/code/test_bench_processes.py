"""The benchmark harness kills every process its server started, and nothing else."""

import os
import subprocess
import sys
import time

import psutil

from bench.run import Server

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


def test_stop_kills_children_that_left_the_process_group(tmp_path):
    pid_file = tmp_path / "child.pid"
    server = Server(
        name="stand-in",
        cmd=[sys.executable, "-c", ESCAPING_SERVER, str(pid_file)],
        cwd=tmp_path,
        env=dict(os.environ),
        port=0,
        ready_path="/",
        log_path=tmp_path / "server.log",
    )
    bystander = subprocess.Popen(["sleep", "60"])
    try:
        server.start()
        deadline = time.monotonic() + 10
        while not pid_file.exists() or not pid_file.read_text():
            assert time.monotonic() < deadline, "the stand-in never started its child"
            time.sleep(0.05)
        escaped = psutil.Process(int(pid_file.read_text()))
        server.remember(*server.tree())
        assert escaped.pid in server.known

        server.stop(grace=2)

        assert _gone(escaped), "the child that left the process group survived stop()"
        assert bystander.poll() is None, "stop() killed a process that was never the server's"
    finally:
        bystander.kill()
        bystander.wait()
        server.stop(grace=0)


def test_stop_skips_known_processes_that_already_exited(tmp_path):
    server = Server(
        name="stand-in",
        cmd=["sleep", "60"],
        cwd=tmp_path,
        env=dict(os.environ),
        port=0,
        ready_path="/",
        log_path=tmp_path / "server.log",
    )
    short = subprocess.Popen(["true"])
    server.remember(short.pid)
    short.wait()
    server.start()
    server.stop(grace=2)  # the exited process's handle must not raise
    assert server.proc is None
