"""The film and sweep options of `serving.client scenarios` and `comps`, without a server."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from serving.client import (
    _refusal,
    app,
    film_from_options,
    month_dates,
    parse_budgets,
    parse_months,
    parse_names,
    parse_usd,
    scenario_changes,
    sweep,
    usd,
)
from serving.schema import MAX_SCENARIOS

UNREACHABLE = "http://127.0.0.1:9"  # the discard port: refused at once


@pytest.mark.parametrize(
    ("text", "usd_value"),
    [
        ("20M", 20e6),
        ("1.5e8", 150e6),
        ("150000000", 150e6),
        ("150_000_000", 150e6),
        ("$2.5B", 2.5e9),
        ("750k", 750e3),
        (" 20m ", 20e6),
    ],
)
def test_amounts_as_people_write_them(text: str, usd_value: float) -> None:
    assert parse_usd(text) == pytest.approx(usd_value)


@pytest.mark.parametrize("text", ["", "M", "20X", "twenty", "0", "-5M", "inf", "nan", "2e13"])
def test_what_is_not_a_budget(text: str) -> None:
    with pytest.raises(ValueError, match=r"not an amount|above \$0"):
        parse_usd(text)


def test_budget_ranges_and_lists() -> None:
    assert parse_budgets("20M:200M:10") == [20e6 + i * 20e6 for i in range(10)]
    assert parse_budgets("1e6:2e6:3") == [1e6, 1.5e6, 2e6]
    assert parse_budgets("50M,1.2e8,150000000,50M") == [50e6, 120e6, 150e6]  # repeats once


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("200M:20M:10", "MIN must be below MAX"),
        ("20M:20M:3", "MIN must be below MAX"),
        ("20M:200M", "expected MIN:MAX:N"),
        ("20M:200M:10:2", "expected MIN:MAX:N"),
        ("20M:200M:ten", "is not a whole number"),
        ("20M:200M:1", f"N must be 2 to {MAX_SCENARIOS}"),
        (f"20M:200M:{MAX_SCENARIOS + 1}", f"N must be 2 to {MAX_SCENARIOS}"),
        ("20X:200M:3", "'20X' is not an amount"),
        (",", "no budget"),
    ],
)
def test_bad_budget_ranges_say_why(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_budgets(text)


def test_months_and_month_dates() -> None:
    assert parse_months("1-3,6,12") == [1, 2, 3, 6, 12]
    assert parse_months("7,7") == [7]
    for bad in ("0", "13", "8-6", "june", ""):
        with pytest.raises(ValueError):
            parse_months(bad)
    film = {"release_date": "2024-01-31"}  # a Wednesday: each month's nearest Wednesday
    assert month_dates(film, [1, 2, 4, 12]) == [
        "2024-01-31",
        "2024-02-28",
        "2024-04-24",
        "2024-12-25",
    ]
    for month in range(1, 13):
        (moved,) = month_dates({"release_date": "2027-07-02"}, [month])
        assert dt.date.fromisoformat(moved).weekday() == 4  # the page's monthDates agrees
    assert month_dates({"release_year": 2010}, [6]) == ["2010-06-04"]  # 2010-01-01: a Friday
    with pytest.raises(ValueError, match="needs the film's --release-date"):
        month_dates({}, [6])


def test_name_lists() -> None:
    assert parse_names("Action, Science Fiction", "genres") == ["Action", "Science Fiction"]
    assert parse_names("Lions Gate Films, Inc.|Marvel", "production_companies") == [
        "Lions Gate Films, Inc.",
        "Marvel",
    ]
    assert parse_names('["A, B", "C"]', "keywords") == ["A, B", "C"]
    assert parse_names("", "keywords") == []  # none, which is not the same as not given


def test_options_override_the_film_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "film.json"
    path.write_text(json.dumps({"log_budget": 18.0, "runtime": 100, "vote_avg": 6, "k": 3}))
    film = film_from_options(
        str(path), {"budget": "50M", "vote_average": 7.5, "companies": "A|B", "genres": None}
    )
    # the option's budget replaces the file's log_budget (the service refuses two that disagree)
    assert film == {
        "runtime": 100,
        "k": 3,
        "budget": 50e6,
        "vote_average": 7.5,
        "production_companies": ["A", "B"],
    }
    monkeypatch.setattr("sys.stdin", io.StringIO('{"budget": 1e6, "runtime": 90}'))
    assert film_from_options("-", {"runtime": None}) == {"budget": 1e6, "runtime": 90}


def test_a_row_of_tmdbs_table_is_a_film_file(tmp_path: Path) -> None:
    """pandas' to_json of a row of TMDB's table: its own columns are not read, its lists are
    TMDB's JSON text."""
    row = {
        "id": 19995,
        "budget": 237000000,
        "runtime": 162.0,
        "genres": '[{"id": 28, "name": "Action"}, {"id": 12, "name": "Adventure"}]',
        "keywords": "",
        "production_countries": '[{"iso_3166_1": "US", "name": "United States of America"}]',
        "revenue": 2787965087,
        "status": "Released",
        "tagline": "Enter the World of Pandora.",
    }
    path = tmp_path / "row.json"
    path.write_text(json.dumps(row))
    assert film_from_options(str(path), {}) == {
        "budget": 237000000,
        "runtime": 162.0,
        "genres": ["Action", "Adventure"],
        "keywords": [],
        "production_countries": ["US"],
    }


@pytest.mark.parametrize(
    ("content", "message"),
    [(None, "cannot be read"), ("{", "not JSON"), ("[1]", "expected a JSON object")],
)
def test_a_bad_film_file_is_named(tmp_path: Path, content: str | None, message: str) -> None:
    path = tmp_path / "film.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(ValueError, match=f"--film {path}: {message}"):
        film_from_options(str(path), {})
    with pytest.raises(ValueError, match="no film"):
        film_from_options(None, {"budget": None})


def test_scenarios_are_every_budget_with_every_date_but_the_film_itself() -> None:
    film = {"budget": 100e6, "runtime": 100, "release_date": "2020-06-01"}
    changes = scenario_changes(film, [50e6, 100e6], ["2020-06-01", "2020-12-01"])
    assert changes == [
        {"budget": 50e6},
        {"budget": 50e6, "release_date": "2020-12-01"},
        {"release_date": "2020-12-01"},
    ]
    assert sweep(film, None, None, "6-7") == [{"release_date": "2020-07-06"}]  # a Monday
    with pytest.raises(ValueError, match="not both"):
        sweep(film, None, "2020-01-01", "1")
    with pytest.raises(ValueError, match="nothing to try"):
        sweep(film, None, None, None)
    with pytest.raises(ValueError, match="every scenario is the film itself"):
        sweep(film, "100M", None, None)
    with pytest.raises(ValueError, match=r"^--release-dates: '2020-02-30' is not a date"):
        sweep(film, None, "2020-01-01,2020-02-30", None)
    with pytest.raises(ValueError, match=f"at most {MAX_SCENARIOS} per request"):
        sweep(film, "1M:500M:100", None, "1-12")


def test_usd_reads_back() -> None:
    for value in (75e3, 750e3, 8.88e6, 81.7e6, 142e6, 2.05e9):
        assert parse_usd(usd(value)) == pytest.approx(value, rel=0.006)
    # An amount under $10,000 is a unit slip (150 meant as $150M): refused, saying so.
    with pytest.raises(ValueError, match=r"^'150' is \$150, under \$10,000, .*20M is \$20 million"):
        parse_usd("150")
    assert parse_usd("0", allow_zero=True) == 0
    assert [usd(v) for v in (20e6, 142.4e6, 2.049e9)] == ["$20.0M", "$142M", "$2.05B"]
    assert [usd(v) for v in (999.6e6, 999.4e6, -999.7e3)] == ["$1.00B", "$999M", "-$1.00M"]


def test_a_chance_just_under_the_line_never_reads_as_the_line() -> None:
    from serving.client import chance

    assert [chance(p, ".3f") for p in (0.4999929, 0.5, 0.4994, 0.5004)] == [
        "<0.500",
        "0.500",
        "0.499",
        "0.500",
    ]
    assert [chance(p, ".0%") for p in (0.4996, 0.5, 0.496, 0.994)] == ["<50%", "50%", "<50%", "99%"]


def test_the_services_refusal_is_its_loc_and_msg() -> None:
    body = {
        "error": "2 validation errors",
        "detail": [
            {"loc": ["film", "genres"], "msg": "Value error, unknown genre(s) 'Actoin'"},
            {"loc": ["scenarios", 3, "release_date"], "msg": "year 2200 is outside 1870-2100"},
            {"loc": [], "msg": "Value error, give a budget"},
            {"loc": ["film", "runtime"], "msg": "Field required"},
        ],
    }
    assert _refusal(httpx.Response(400, json=body)) == (
        "film.genres: unknown genre(s) 'Actoin'; scenarios.3.release_date: year 2200 is outside "
        "1870-2100; give a budget (and 1 more)"
    )
    assert _refusal(httpx.Response(502, text="<html>bad gateway</html>")) == (
        "<html>bad gateway</html>"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["scenarios", "--budget", "1M", "--runtime", "90"], "nothing to try"),
        (["scenarios", "--budget", "1M", "--budgets", "9M:2M:3"], "--budgets: '9M:2M:3': MIN"),
        (["scenarios", "--budget", "lots", "--budgets", "1M,2M"], "--budget: 'lots' is not an"),
        (["scenarios", "--budget", "1M", "--months", "13"], "--months: '13' is not a month"),
        (["comps", "--runtime", "90", "--genres", "[x"], "--genres: genres: not a JSON list"),
        (["comps"], "no film"),
        (["scenarios", "--budget", "1M", "--budgets", "2M"], "cannot reach"),
        (["comps", "--budget", "1M", "--runtime", "90"], "cannot reach"),
    ],
)
def test_bad_input_is_one_line_and_exit_1(args: list[str], message: str) -> None:
    result = CliRunner().invoke(app, [*args, "--url", UNREACHABLE])
    assert result.exit_code == 1, result.output
    assert result.output.startswith("error: ") and result.output.count("\n") == 1, result.output
    assert message in result.output
