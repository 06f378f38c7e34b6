"""The training CLI end to end, as a user runs it (a subprocess, temporary store)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import joblib
import numpy as np
import pytest
import yaml

from training import config
from training.data import SCHEMA, load_movies


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
    assert "tmdb/tmdb-movie-metadata" in result.stderr


def test_bad_csv_is_a_clear_error(tmp_path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("budget,title\n1,x\n")
    result = run_cli("eda", "--data", str(bad), "--reports-dir", str(tmp_path))
    assert result.returncode == 1
    assert "missing column(s)" in result.stderr and "Traceback" not in result.stdout + result.stderr


def test_header_only_csv_is_a_clear_error(tmp_path) -> None:
    (tmp_path / "header.csv").write_text(",".join(SCHEMA) + "\n")
    result = run_cli("eda", "--data", str(tmp_path / "header.csv"), "--reports-dir", str(tmp_path))
    assert result.returncode == 1
    assert (
        "has a header but no rows" in result.stderr
        and "Traceback" not in result.stdout + result.stderr
    )


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
        assert "cannot write the reports to" in result.stderr and "not a directory" in result.stderr
        assert "Traceback" not in result.stdout + result.stderr


def test_unwritable_model_store_fails_before_training(tmp_path) -> None:
    (tmp_path / "afile").write_text("")
    env = {"BENTOML_HOME": str(tmp_path / "afile")}
    result = run_cli("train", "--quick", "--reports-dir", str(tmp_path / "r"), env=env)
    assert result.returncode == 1
    assert "cannot write the models (BENTOML_HOME) to" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def _stored(store: Path) -> dict[str, tuple[dict, object]]:
    """Each model of the store's only run: its metadata and its unpickled pipeline."""
    out = {}
    for path in sorted(store.glob("models/boxoffice-*/*/model.yaml")):
        meta = yaml.safe_load(path.read_text())["metadata"]
        pipeline = path.parent / "pipeline.joblib"
        out[path.parent.parent.name] = (meta, joblib.load(pipeline) if pipeline.exists() else None)
    return out


@pytest.mark.slow
def test_quick_training_end_to_end_is_the_same_on_a_loaded_machine_with_one_process(
    tmp_path, dataset_path, quick_training
) -> None:
    """The CLI, as a user runs it, with one process, one BLAS thread and another process
    burning a core: the same choices and the same forecasts (to 1e-9) as the session's
    in-process training with two processes on a quiet machine."""
    env = {"BENTOML_HOME": str(tmp_path / "store"), "OMP_NUM_THREADS": "1"}
    burner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        result = run_cli(
            "train",
            "--quick",
            "--jobs",
            "1",
            "--data",
            str(dataset_path),
            "--reports-dir",
            str(tmp_path / "reports"),
            env=env,
        )
    finally:
        burner.kill()
        burner.wait()
    assert result.returncode == 0, result.stdout + result.stderr
    listing = run_cli("models", env=env)
    assert listing.returncode == 0
    for name in ("post", "pre"):
        assert f"boxoffice-forecast-{name}" in listing.stdout
    words = " ".join(listing.stdout.split())  # the title wraps
    assert "chosen on 2009-2010, tested on 2011-2016" in words  # the years it used
    assert (tmp_path / "reports" / "training_report.md").is_file()

    mine, theirs = _stored(tmp_path / "store"), _stored(quick_training["bentoml_home"])
    assert set(mine) == set(theirs) and len(mine) == 3
    films = load_movies(dataset_path).frame.head(200)
    for name, (meta, pipeline) in mine.items():
        their_meta, their_pipeline = theirs[name]
        if pipeline is None:  # the comparable films
            assert meta["backtest_r2"] == their_meta["backtest_r2"]
            continue
        for key in ("algorithm", "params", "dollars", "design", "slates"):
            assert meta.get(key) == their_meta.get(key), (name, key)
        np.testing.assert_allclose(
            meta["distribution"]["quantiles"], their_meta["distribution"]["quantiles"], atol=1e-9
        )
        assert meta["backtest"]["pooled"] == their_meta["backtest"]["pooled"], name
        ours, others = pipeline.predict(films), their_pipeline.predict(films)
        np.testing.assert_allclose(ours, others, rtol=0, atol=1e-9, err_msg=name)
    assert (
        run_cli("models", "--quiet", env={"BENTOML_HOME": str(tmp_path / "empty")}).returncode == 1
    )


@pytest.mark.slow
def test_backtest_alone_reproduces_the_stored_backtest(tmp_path, quick_training) -> None:
    env = {"BENTOML_HOME": str(quick_training["bentoml_home"])}
    result = run_cli("backtest", "--reports-dir", str(tmp_path), env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    report = (tmp_path / "backtest.md").read_text()
    for name, (meta, _) in _stored(quick_training["bentoml_home"]).items():
        if "backtest" not in meta:
            continue
        for headline in ("r2", "roc_auc", "coverage", "ece"):
            value = meta["backtest"]["pooled"]["metrics"][headline]
            assert f"{value:.3f}" in report, (name, headline)
    assert "Traceback" not in result.stdout + result.stderr


@pytest.mark.slow
def test_holdout_original_trains_on_the_original_training_part(tmp_path, dataset_path) -> None:
    env = {"BENTOML_HOME": str(tmp_path / "store")}
    result = run_cli(
        "train",
        "--quick",
        "--holdout",
        "original",
        "--data",
        str(dataset_path),
        "--reports-dir",
        str(tmp_path / "reports"),
        env=env,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    for name, (meta, _) in _stored(tmp_path / "store").items():
        if "fitted_on" not in meta:
            continue
        assert meta["fitted_on"] == "original_train" and meta["rows"]["fitted"] == 1925, name
        distribution = meta["distribution"]
        assert distribution["spread"]["max_horizon"] == 1  # from the validation part
        assert "validation" in distribution["fitted_on"]
    card = (tmp_path / "reports" / "model_cards" / "boxoffice-forecast-pre-release.md").read_text()
    assert "original split's training part" in card


def test_an_unknown_holdout_is_refused(tmp_path) -> None:
    result = run_cli("train", "--quick", "--holdout", "test", "--reports-dir", str(tmp_path))
    assert result.returncode == 2 and "--holdout" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["train", "--bogus"], "error: No such option: --bogus"),
        (["fetch", "--to", "2016"], "error: Missing option '--from'"),
        (["nosuch"], "error: No such command 'nosuch'."),
    ],
)
def test_a_refused_command_line_is_one_error_line(args: list[str], message: str) -> None:
    result = run_cli(*args)
    assert result.returncode == 2 and result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(message), result.stderr
    assert lines[0].endswith("--help)")


@pytest.mark.slow
def test_a_run_missing_its_targets_under_require_targets_saves_nothing(
    tmp_path, dataset_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--require-targets` stops before the models reach the store (where `make serve` would
    serve them), naming each score that missed; the report is still written."""
    from rich.console import Console

    from boxoffice.store import bentoml_home
    from training.pipeline import TargetsMissed, run_training

    monkeypatch.setenv("BENTOML_HOME", str(tmp_path / "store"))
    unreachable = {key: (1.0, 1.0) for key in config.FORWARD_TARGETS}
    monkeypatch.setattr(config, "FORWARD_TARGETS", unreachable)
    with pytest.raises(TargetsMissed) as missed:
        run_training(
            str(dataset_path),
            quick=True,
            reports_dir=tmp_path / "reports",
            console=Console(quiet=True),
            require_targets=True,
        )
    said = str(missed.value)
    assert said.startswith("not saved: post-release R² 0.") and "pre-release ROC-AUC 0." in said
    assert "(targets 1 / 1)" in said
    assert (tmp_path / "reports" / "training_report.md").is_file()
    store = Path(bentoml_home()) / "models"
    assert not store.exists() or not any(store.iterdir())


@pytest.mark.slow
def test_a_table_whose_revenues_were_shuffled_saves_no_model(
    tmp_path, dataset_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Revenues shuffled across the films train a forecast worse than the mean one year ahead
    (R² -0.08), whose AUC still looks healthy (a hit is read against the budget): refused with
    one line, the report written, the store left as it was."""
    import pandas as pd
    from rich.console import Console

    from boxoffice.store import bentoml_home
    from training.data import DataError
    from training.pipeline import run_training

    monkeypatch.setenv("BENTOML_HOME", str(tmp_path / "store"))
    frame = pd.read_csv(dataset_path, dtype=str, keep_default_na=False)
    frame["revenue"] = np.random.default_rng(0).permutation(frame["revenue"].to_numpy())
    shuffled = tmp_path / "shuffled.csv"
    frame.to_csv(shuffled, index=False)
    with pytest.raises(
        DataError, match=r"^the revenue forecasts score R² .*-0\.\d+.* no model saved"
    ):
        run_training(
            str(shuffled), quick=True, reports_dir=tmp_path / "reports", console=Console(quiet=True)
        )
    assert (tmp_path / "reports" / "training_report.md").is_file()
    store = Path(bentoml_home()) / "models"
    assert not store.exists() or not any(store.iterdir())
