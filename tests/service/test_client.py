"""The client command against a real server."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest

from training import config

pytestmark = pytest.mark.slow


def client(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "serving.client", *args],
        capture_output=True,
        text=True,
        cwd=config.PROJECT_ROOT,
        timeout=120,
        check=False,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"},
    )


def test_examples_prints_five_verdicts(server_url: str) -> None:
    result = client("examples", "--url", server_url)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("Hit") + result.stdout.count("Not a hit") >= 5
    assert "$" in result.stdout


def test_score_writes_predictions_and_reports_bad_rows(server_url: str, tmp_path) -> None:
    films = pd.DataFrame(
        {
            "title": ["A", "B", "C"],
            "budget": [5e7, 0, 2e7],
            "runtime": [120, 100, -3],
            "genres": [json.dumps([{"id": 28, "name": "Action"}]), "Drama|Comedy", ""],
            "vote_average": [7.0, 6.0, 5.0],
            "overview": ["ignored", "ignored", "ignored"],
        }
    )
    source, out = tmp_path / "films.csv", tmp_path / "predictions.csv"
    films.to_csv(source, index=False)
    result = client("score", str(source), "--out", str(out), "--url", server_url)
    assert result.returncode == 0, result.stdout + result.stderr
    scored = pd.read_csv(out)
    assert list(scored["title"]) == ["A", "B", "C"]
    assert scored.loc[0, "revenue_usd"] > 0 and pd.isna(scored.loc[1, "revenue_usd"])
    assert "budget" in scored.loc[1, "error"] and "runtime" in scored.loc[2, "error"]


def test_unreachable_server_is_one_clear_line(tmp_path) -> None:
    result = client("examples", "--url", "http://127.0.0.1:9")
    assert result.returncode == 1
    assert "cannot reach" in result.stdout and "Traceback" not in result.stdout + result.stderr


def test_score_with_no_valid_row_exits_1_and_still_writes_the_errors(
    server_url: str, tmp_path
) -> None:
    source, out = tmp_path / "films.csv", tmp_path / "predictions.csv"
    source.write_text("title,budget,runtime\nA,abc,100\n")
    result = client("score", str(source), "--out", str(out), "--url", server_url)
    assert result.returncode == 1 and "no row of" in result.stdout
    assert pd.read_csv(out).loc[0, "error"] == "budget: 'abc' is not a number"


def test_score_refuses_bad_out_and_empty_csv_before_sending(tmp_path) -> None:
    source = tmp_path / "films.csv"
    source.write_text("title,budget,runtime\nA,1e7,100\n")
    cases = {
        ("--out", str(tmp_path)): "is a directory",
        ("--out", str(tmp_path / "no" / "x.csv")): "does not exist",
    }
    for args, message in cases.items():
        result = client("score", str(source), *args)
        assert result.returncode == 1 and message in result.stdout, result.stdout
    source.write_text("title,budget,runtime\n")
    result = client("score", str(source), "--out", str(tmp_path / "x.csv"))
    assert result.returncode == 1 and "no rows to score" in result.stdout
    result = client("examples", "--url", "http://[::1")
    assert result.returncode == 2 and "Invalid value for '--url'" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr
