"""The client commands against a real server: what they print is what the service answered."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import httpx
import pandas as pd
import pytest

from serving.cells import AMOUNT_EXAMPLES
from serving.client import chance, parse_usd
from serving.schema import EXAMPLE_PRE_RELEASE_FILM
from tests.helpers.tables import printed_table
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
            "id": [19995, 285, 206647],
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
    assert list(scored["title"]) == ["A", "B", "C"] and list(scored["row"]) == [1, 2, 3]
    assert list(scored.columns[:3]) == ["row", "id", "title"]  # the key, to join them back
    assert list(scored["id"]) == [19995, 285, 206647]
    assert "not film fields, ignored: 'overview'\n" in result.stdout  # not the id
    assert scored.loc[0, "revenue_usd"] > 0 and pd.isna(scored.loc[1, "revenue_usd"])
    assert "budget" in scored.loc[1, "error"] and "runtime" in scored.loc[2, "error"]
    # At the default assumptions P(profit > 0) is P(hit), and the break-even is 2 × the budget.
    assert scored.loc[0, "p_profit"] == scored.loc[0, "hit_probability"]
    assert scored.loc[0, "break_even_revenue_usd"] == 1e8
    shared = client(
        "score",
        str(source),
        "--out",
        str(out),
        "--url",
        server_url,
        "--studio-share",
        "0.4",
        "--marketing",
        "30M",
    )
    assert shared.returncode == 0, shared.stdout + shared.stderr
    assert pd.read_csv(out).loc[0, "break_even_revenue_usd"] == pytest.approx(8e7 / 0.4)


def test_unreachable_server_is_one_clear_line(tmp_path) -> None:
    result = client("examples", "--url", "http://127.0.0.1:9")
    assert result.returncode == 1
    assert "cannot reach" in result.stderr and "Traceback" not in result.stdout + result.stderr


def test_score_with_no_valid_row_exits_1_and_still_writes_the_errors(
    server_url: str, tmp_path
) -> None:
    source, out = tmp_path / "films.csv", tmp_path / "predictions.csv"
    source.write_text("title,budget,runtime\nA,abc,100\n")
    result = client("score", str(source), "--out", str(out), "--url", server_url)
    assert result.returncode == 1 and "no row of" in result.stderr
    assert pd.read_csv(out).loc[0, "error"] == f"budget: 'abc' is not an amount ({AMOUNT_EXAMPLES})"


def test_score_refuses_bad_out_and_empty_csv_before_sending(tmp_path) -> None:
    source = tmp_path / "films.csv"
    source.write_text("title,budget,runtime\nA,1e7,100\n")
    cases = {
        ("--out", str(tmp_path)): "is a directory",
        ("--out", str(tmp_path / "no" / "x.csv")): "does not exist",
    }
    for args, message in cases.items():
        result = client("score", str(source), *args)
        assert result.returncode == 1 and message in result.stderr, result.stderr
    source.write_text("title,budget,runtime\n")
    result = client("score", str(source), "--out", str(tmp_path / "x.csv"))
    assert result.returncode == 1 and "no rows to score" in result.stderr
    result = client("examples", "--url", "http://[::1")
    assert result.returncode == 2 and "Invalid value for '--url'" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def film_file(tmp_path: Path) -> Path:
    path = tmp_path / "film.json"
    path.write_text(json.dumps(EXAMPLE_PRE_RELEASE_FILM))
    return path


def test_scenarios_prints_the_services_forecasts(
    server_url: str, http: httpx.Client, tmp_path: Path
) -> None:
    args = ["--film", str(film_file(tmp_path)), "--budgets", "20M:200M:4", "--months", "6,12"]
    result = client("scenarios", *args, "--url", server_url)
    assert result.returncode == 0, result.stdout + result.stderr
    rows = printed_table(result.stdout)
    # asked for independently of the client: every budget with each month, same year, on the
    # Friday (2027-07-02's weekday) nearest the 2nd
    budgets, dates = [20e6, 80e6, 140e6, 200e6], ["2027-06-04", "2027-12-03"]
    scenarios = [{"budget": b, "release_date": d} for d in dates for b in budgets]
    response = http.post(
        "/predict_scenarios", json={"film": EXAMPLE_PRE_RELEASE_FILM, "scenarios": scenarios}
    )
    assert response.status_code == 200, response.text
    answer = response.json()
    base = EXAMPLE_PRE_RELEASE_FILM
    expected = {(base["budget"], base["release_date"]): answer["base"]} | {
        (s["budget"], s["release_date"]): f
        for s, f in zip(scenarios, answer["scenarios"], strict=True)
    }
    printed = {(round(parse_usd(r["budget"])), r["release date"]): r for r in rows}
    assert printed.keys() == expected.keys()
    assert [key for key, row in printed.items() if row[""] == "base"] == [
        (base["budget"], base["release_date"])
    ]
    for key, forecast in expected.items():
        row = printed[key]
        low, high = row["80% range"].split("-$")
        assert parse_usd(row["revenue"]) == pytest.approx(forecast["revenue_usd"], rel=0.006)
        assert parse_usd(low) == pytest.approx(forecast["revenue_p10_usd"], rel=0.006)
        assert parse_usd(high) == pytest.approx(forecast["revenue_p90_usd"], rel=0.006)
        assert row["P(hit)"] == chance(forecast["probability"], ".3f")
        assert row["verdict"] == ("Hit" if forecast["is_hit"] else "Not a hit")
        assert row["horizon (y)"] == str(forecast["horizon_years"])
        assert row["warnings"] == str(len(forecast["warnings"]))
    assert [r["release date"] for r in rows] == sorted(r["release date"] for r in rows)
    assert f"USD of {answer['base']['dollars_year']} (the release year)" in result.stdout


def test_scenarios_from_options_budget_sweep(server_url: str) -> None:
    film = ["--budget", "1e8", "--runtime", "110", "--genres", "Comedy, Romance"]
    film += ["--release-date", "2012-02-10", "--language", "en", "--companies", "Universal"]
    film += ["--countries", "us", "--keywords", "", "--title", "A comedy"]
    result = client("scenarios", *film, "--budgets", "5M,50M,250M", "--url", server_url)
    assert result.returncode == 0, result.stdout + result.stderr
    rows = printed_table(result.stdout)
    assert [r["budget"] for r in rows] == ["$5.00M", "$50.0M", "$100M", "$250M"]
    assert [r[""] for r in rows] == ["", "", "base", ""]
    assert "release date" not in rows[0] and "USD of 2012 (the release year)" in result.stdout
    assert "Scenarios for A comedy" in result.stdout


def test_comps_prints_the_services_films(
    server_url: str, http: httpx.Client, tmp_path: Path
) -> None:
    result = client("comps", "--film", str(film_file(tmp_path)), "--k", "5", "--url", server_url)
    assert result.returncode == 0, result.stdout + result.stderr
    response = http.post("/comparable_films", json={**EXAMPLE_PRE_RELEASE_FILM, "k": 5})
    assert response.status_code == 200, response.text
    answer = response.json()
    rows = printed_table(result.stdout)
    assert [(r["title"], int(r["year"])) for r in rows] == [
        (f["title"], f["release_year"]) for f in answer["films"]
    ]
    year = answer["dollars_year"]
    for row, comp in zip(rows, answer["films"], strict=True):
        budget, revenue = row[f"budget ({year} $)"], row[f"revenue ({year} $)"]
        assert parse_usd(budget) == pytest.approx(comp["budget_usd_in_dollars_year"], rel=0.006)
        assert parse_usd(revenue) == pytest.approx(comp["revenue_usd_in_dollars_year"], rel=0.006)
        assert row["revenue/budget"] == f"{comp['revenue_to_budget']:.2f}x"
        assert row["hit"] == ("yes" if comp["is_hit"] else "no")
        assert row["similarity"] == f"{comp['similarity']:.3f}"
    median = next(ln for ln in result.stdout.splitlines() if ln.startswith("median revenue"))
    printed_median = median.split(": ")[1].split()[0]
    median_usd = answer["median_revenue_usd_in_dollars_year"]
    assert parse_usd(printed_median) == pytest.approx(median_usd, rel=0.006)


def test_the_services_refusal_is_one_line_naming_the_field(server_url: str, tmp_path: Path) -> None:
    film = ["--film", str(film_file(tmp_path)), "--genres", "Action,Actoin"]
    cases = {
        ("scenarios", *film, "--budgets", "1M,2M"): (
            "error: /predict_scenarios answered 400: film.genres: unknown genre(s) 'Actoin'"
        ),
        ("comps", *film): "error: /comparable_films answered 400: genres: unknown genre(s)",
        ("scenarios", "--film", film[1], "--release-dates", "2150-01-01"): (
            "scenarios.0.release_date: year 2150 is outside 1870-2100"
        ),
    }
    for args, message in cases.items():
        result = client(*args, "--url", server_url)
        assert result.returncode == 1, result.stdout
        assert message in result.stderr and result.stderr.count("\n") == 1, result.stderr
        assert "Traceback" not in result.stdout + result.stderr


def test_slate_prints_the_services_slate_and_names_bad_rows(
    server_url: str, http: httpx.Client, tmp_path: Path
) -> None:
    films = pd.DataFrame(
        {
            "title": ["A", "B", "C", "D", "E"],
            "budget": [5e7, 1.2e8, 3e7, 2e7, 4e7],
            "runtime": [120, 130, -3, 95, 100],
            "genres": ["Action", "Adventure|Science Fiction", "Drama", "Horror", "Comedy"],
            "release_date": ["2014-06-01", "2015-07-01", "2015-01-01", "2016-10-01", ""],
            "marketing_usd": ["", "4e7", "", "", ""],
        }
    )
    source, out = tmp_path / "slate.csv", tmp_path / "table.csv"
    films.to_csv(source, index=False)
    result = client(
        "slate", str(source), "--url", server_url, "--marketing", "10M", "--out", str(out)
    )
    assert result.returncode == 0, result.stdout + result.stderr
    rows = printed_table(result.stdout)
    assert [r["title"] for r in rows] == ["A", "B", "C", "D", "E"]
    assert [r["#"] for r in rows] == ["1", "2", "3", "4", "5"]
    # The bad rows are marked in the table and named in full below it; an undated film would be
    # added to the others in another year's dollars.
    assert rows[2]["revenue"] == rows[4]["revenue"] == "left out"
    assert "row 3 left out: runtime: Input should be greater than 0" in result.stdout
    assert "row 5 left out: release_date: required in a slate (or 'release_year')" in result.stdout
    sent = []
    for i, row in films.drop(index=[2, 4]).iterrows():
        film = {
            "title": row["title"],
            "budget": row["budget"],
            "runtime": float(row["runtime"]),
            "genres": row["genres"].split("|"),
            "release_date": row["release_date"],
        }
        if i == 1:
            film["marketing_usd"] = 4e7
        sent.append(film)
    answer = http.post("/predict_slate", json={"films": sent, "marketing_usd": 1e7}).json()
    scored = [r for r in rows if r["title"] not in ("C", "E")]
    for row, film in zip(scored, answer["films"], strict=True):
        assert parse_usd(row["revenue"]) == pytest.approx(film["revenue_usd"], rel=0.006)
        assert row["P(hit)"] == chance(film["probability"], ".0%")
        assert row["P(profit)"] == chance(film["p_profit"], ".0%")
    total = answer["total"]
    assert f"P(total profit > 0) {chance(total['p_profit'], '.0%')}" in result.stdout
    assert f"{answer['hits']['expected']:.1f} expected" in result.stdout
    table = pd.read_csv(out)
    assert len(table) == 5 and "runtime" in table.loc[2, "error"]
    assert "release_date" in table.loc[4, "error"]
    assert table.loc[1, "break_even_revenue_usd"] == pytest.approx((1.2e8 + 4e7) / 0.5)
    assert table.loc[1, "marketing_usd"] == 4e7 and table.loc[1, "studio_share"] == 0.5
    assert table.loc[1, "dollars_year"] == answer["films"][1]["dollars_year"]
    with out.open(newline="") as handle:  # a year stays whole beside the row left out
        written = list(csv.DictReader(handle))
    assert written[1]["dollars_year"] == str(answer["films"][1]["dollars_year"])
