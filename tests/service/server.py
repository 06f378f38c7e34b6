"""Start and stop a real `bentoml serve` process of service.py (used by tests and `make fuzz`)."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from training import config

BENTOML = Path(sys.executable).parent / "bentoml"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(port: int, env: dict[str, str]) -> subprocess.Popen:
    # The log goes to a file: a pipe nobody reads fills up and blocks the workers' writes.
    log = tempfile.TemporaryFile("w+")  # noqa: SIM115 - closed by stop_server
    process = subprocess.Popen(
        [str(BENTOML), "serve", "service:Forecaster", "--host", "127.0.0.1", "--port", str(port)],
        cwd=config.PROJECT_ROOT,
        env={**os.environ, **env},
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    process.log = log  # type: ignore[attr-defined]
    return process


def stop_server(process: subprocess.Popen) -> str:
    """Stop the server's whole process group; return its log."""
    if process.poll() is None:
        os.killpg(process.pid, 15)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
            process.wait()
    log = process.log  # type: ignore[attr-defined]
    log.seek(0)
    text = log.read()
    log.close()
    return text


@contextlib.contextmanager
def served(env: dict[str, str], timeout: float = 90) -> Iterator[str]:
    """`bentoml serve` on a free port until /readyz answers 200; its URL; stopped on exit."""
    port = free_port()
    process = start_server(port, env)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                pytest.fail(f"bentoml serve exited:\n{stop_server(process)[-4000:]}")
            try:
                if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        else:
            pytest.fail(f"bentoml serve not ready in {timeout} s:\n{stop_server(process)[-4000:]}")
        yield url
    finally:
        stop_server(process)
