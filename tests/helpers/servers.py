"""A real `bentoml serve` process for the tests, started and stopped by bench/harness.py."""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.harness import BenchError, bentoml_serve, free_port


class ServedUrl(str):
    """A served URL that knows its server's log file."""

    log_path: Path


@contextlib.contextmanager
def served(env: dict[str, str], timeout: float = 90) -> Iterator[ServedUrl]:
    """`bentoml serve` on a free port until /readyz answers 200; its URL (with the log's path);
    stopped on exit."""
    with tempfile.TemporaryDirectory(prefix="bentoml-serve-") as log_dir:
        server = bentoml_serve(free_port(), Path(log_dir) / "serve.log", env)
        server.start()
        try:
            try:
                server.wait_ready(timeout)
            except BenchError as error:
                log = server.log_path.read_text(errors="replace")
                pytest.fail(f"{error}\n{log[-4000:]}", pytrace=False)
            url = ServedUrl(server.base_url)
            url.log_path = server.log_path
            yield url
        finally:
            server.stop()
