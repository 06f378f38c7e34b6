"""A real `bentoml serve` process on the quick-trained models."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

# free_port, start_server and stop_server are re-exported for modules importing them from here.
from tests.service.server import free_port, served, start_server, stop_server

__all__ = ["free_port", "start_server", "stop_server"]


@pytest.fixture(scope="session")
def server_url(quick_training) -> Iterator[str]:
    with served({"BENTOML_HOME": str(quick_training["bentoml_home"])}) as url:
        yield url


@pytest.fixture
def http(server_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server_url, timeout=30) as client:
        yield client
