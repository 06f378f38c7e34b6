"""A real `bentoml serve` process on the quick-trained models."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.helpers.servers import served


@pytest.fixture(scope="session")
def server_url(quick_training) -> Iterator[str]:
    with served({"BENTOML_HOME": str(quick_training["bentoml_home"])}) as url:
        yield url


@pytest.fixture
def http(server_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server_url, timeout=30) as client:
        yield client
