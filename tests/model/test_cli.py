"""The training CLI end to end, as a user runs it (a subprocess, temporary store)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from training import config


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "training", *args],
        capture_output=True,
        text=True,
        cwd=config.PROJECT_ROOT,
        env={**os.environ, **(env or {})},
        timeout=600,
        check=False,
    )


def test_missing_data_is_one_line_and_nonzero(tmp_path) -> None:
    result = run_cli("train", "--quick", "--data", str(tmp_path / "none.csv"))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr + result.stdout
    assert "tmdb/tmdb-movie-metadata" in result.stdout


def test_bad_csv_is_a_clear_error(tmp_path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("budget,title\n1,x\n")
    result = run_cli("eda", "--data", str(bad), "--reports-dir", str(tmp_path))
    assert result.returncode == 1
    assert "missing column(s)" in result.stdout and "Traceback" not in result.stdout


@pytest.mark.slow
def test_quick_training_end_to_end(tmp_path, dataset_path) -> None:
    env = {"BENTOML_HOME": str(tmp_path / "store")}
    result = run_cli(
        "train",
        "--quick",
        "--data",
        str(dataset_path),
        "--reports-dir",
        str(tmp_path / "reports"),
        env=env,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    listing = run_cli("models", env=env)
    assert listing.returncode == 0
    for name in ("revenue-post", "hit-post", "revenue-pre", "hit-pre"):
        assert f"boxoffice-{name}" in listing.stdout
    assert (tmp_path / "reports" / "training_report.md").is_file()
    assert (
        run_cli("models", "--quiet", env={"BENTOML_HOME": str(tmp_path / "empty")}).returncode == 1
    )
