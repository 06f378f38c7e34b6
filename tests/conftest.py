"""Shared fixtures: the real dataset when present, and one quick training into a temporary store."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("BENTOML_DO_NOT_TRACK", "true")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--data", default=None, help="Path to tmdb_5000_movies.csv")


@pytest.fixture(scope="session")
def dataset_path(request: pytest.FixtureRequest) -> Path:
    """The real CSV, found the way the CLI finds it; tests needing it skip when it is absent."""
    from training.data import DataError, locate_dataset

    try:
        return locate_dataset(request.config.getoption("--data"))
    except DataError as error:
        pytest.skip(str(error))


@pytest.fixture(scope="session")
def bentoml_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A temporary BentoML store for the whole session (set before bentoml reads it)."""
    home = tmp_path_factory.mktemp("bentoml-home")
    os.environ["BENTOML_HOME"] = str(home)
    return home


@pytest.fixture(scope="session")
def quick_training(
    bentoml_home: Path, dataset_path: Path, tmp_path_factory: pytest.TempPathFactory
):
    """Run `python -m training train --quick` once, in-process, into the temporary store."""
    from rich.console import Console

    from training.pipeline import run_training

    reports = tmp_path_factory.mktemp("reports")
    saved = run_training(
        str(dataset_path), quick=True, reports_dir=reports, console=Console(quiet=True)
    )
    return {"saved": saved, "reports_dir": reports, "bentoml_home": bentoml_home}
