"""The training CLI end to end, as a user runs it (a subprocess, temporary store)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from training import config
from training.data import SCHEMA


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


def test_header_only_csv_is_a_clear_error(tmp_path) -> None:
    (tmp_path / "header.csv").write_text(",".join(SCHEMA) + "\n")
    result = run_cli("eda", "--data", str(tmp_path / "header.csv"), "--reports-dir", str(tmp_path))
    assert result.returncode == 1
    assert "has a header but no rows" in result.stdout and "Traceback" not in result.stdout


@pytest.mark.parametrize("seed", ["-1", "4294967296"])
def test_seed_out_of_numpy_range_is_refused(seed: str, tmp_path) -> None:
    # --quick and a temporary store: should the check ever break, this trains small and aside.
    env = {"BENTOML_HOME": str(tmp_path / "store")}
    result = run_cli("train", "--quick", "--reports-dir", str(tmp_path), "--seed", seed, env=env)
    assert result.returncode == 2 and "--seed" in result.stderr
    assert "Traceback" not in result.stderr


def test_unwritable_reports_dir_fails_before_training(tmp_path) -> None:
    (tmp_path / "afile").write_text("")
    env = {"BENTOML_HOME": str(tmp_path / "store")}
    for command in (["train", "--quick"], ["eda"]):
        result = run_cli(*command, "--reports-dir", str(tmp_path / "afile"), env=env)
        assert result.returncode == 1, command
        assert "cannot write the reports to" in result.stdout and "not a directory" in result.stdout
        assert "Traceback" not in result.stdout + result.stderr


def test_unwritable_model_store_fails_before_training(tmp_path) -> None:
    (tmp_path / "afile").write_text("")
    env = {"BENTOML_HOME": str(tmp_path / "afile")}
    result = run_cli("train", "--quick", "--reports-dir", str(tmp_path / "r"), env=env)
    assert result.returncode == 1
    assert "cannot write the models (BENTOML_HOME) to" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


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
