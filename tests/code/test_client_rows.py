"""CSV rows to API films in the client (`python -m serving.client score`), without a server."""

from __future__ import annotations

import io

import pandas as pd

from serving.client import rows_to_films


def read(text: str) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(text), dtype=str)  # as `score` reads it


def test_a_blank_or_bad_cell_affects_only_its_row() -> None:
    films, errors = rows_to_films(
        read(
            "title,budget,runtime,release_year,genres,overview\n"
            "300,65000000,117,2006,Drama|Action,x\n"
            "B,abc,158,,,\n"
            "C,1e7,90,,,\n"
            "D,0,90,2001.5,,\n"
        )
    )
    assert films[0] == {
        "title": "300",  # a numeric-looking title stays text
        "budget": 65e6,
        "runtime": 117.0,
        "release_year": 2006,
        "genres": ["Drama", "Action"],
    }
    assert films[2] == {"title": "C", "budget": 1e7, "runtime": 90.0}  # blank year: not given
    assert errors[1] == "budget: 'abc' is not a number"
    assert errors[3] == "release_year: '2001.5' is not a whole number"
    assert sorted(errors) == [1, 3]


def test_budget_zero_is_unknown_and_api_rules_still_apply() -> None:
    films, errors = rows_to_films(read("budget,runtime,explain\n0,100,true\n5e6,-3,no\n"))
    assert films[0] == {} and "budget" in errors[0]  # TMDB's 0 = unknown: no budget given
    assert errors[1] == "explain: 'no' is not true or false"
