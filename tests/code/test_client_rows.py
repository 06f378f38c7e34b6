"""CSV rows to API films in the client (`python -m serving.client score`), without a server."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from serving.cells import AMOUNT_EXAMPLES, amount
from serving.client import read_films_csv, rows_to_films


def read(text: str) -> pd.DataFrame:
    return read_films_csv(io.StringIO(text))  # as `score` reads it


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
    assert errors[1] == f"budget: 'abc' is not an amount ({AMOUNT_EXAMPLES})"
    assert errors[3] == "release_year: '2001.5' is not a whole number"
    assert sorted(errors) == [1, 3]


def test_budget_zero_is_unknown_and_api_rules_still_apply() -> None:
    films, errors = rows_to_films(
        read("budget,runtime,explain\n0,100,true\n5e6,-3,\n2e4,100,no\n150,100,\n")
    )
    assert films[0] == {} and errors[0].startswith("budget: 0, which TMDB's tables write for an")
    assert errors[1] == "runtime: Input should be greater than 0"
    assert errors[2] == "explain: 'no' is not true or false"
    # 150 meant as $150M: under $10,000, which no training film cost, so refused as a unit slip
    assert errors[3].startswith("budget: 150 is $150, under $10,000")


def test_values_typed_in_another_unit_are_refused_as_the_page_refuses_them() -> None:
    films, errors = rows_to_films(
        read(
            "budget,runtime,marketing_usd\n1.2B,100,\n9e7,9000,\n9e7,1.8,\n9e7,100,500\n"
            "999M,599,0\n9e7,10,\n"
        )
    )
    assert errors == {
        0: "budget: 1.2B is $1.2 billion, more than any film has cost "
        "(amounts are in US$: 90M is $90 million)",
        1: "runtime: 9000 minutes is 150.0 hours, longer than any film in cinemas: the runtime "
        "is in minutes (135 for 2 h 15 min, not 8100 seconds)",
        2: "runtime: 1.8 minutes? The runtime is in minutes (108 for 1 h 48 min)",
        3: "marketing_usd: 500 is $500, under $10,000, which no film the models learned from "
        "cost (amounts are in US$: 20M is $20 million)",
    }
    # a refused row keeps its place, empty
    assert films[4:] == [
        {"budget": 999e6, "runtime": 599.0, "marketing_usd": 0.0},
        {"budget": 9e7, "runtime": 10.0},
    ]


def test_cells_are_text_and_headers_are_forgiving() -> None:
    frame = read(
        " Title ,BUDGET, runtime,Production Countries,genres,release-date\n"
        "NA,1e7,100,NA,,2012-05-04\n"
    )
    films, errors = rows_to_films(frame)
    assert films[0] == {
        "title": "NA",  # pandas would read "NA" as missing
        "budget": 1e7,
        "runtime": 100.0,
        "production_countries": ["NA"],  # Namibia
        "release_date": "2012-05-04",
    }
    assert errors == {}


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("[bad json", "genres: not a JSON list"),
        ('[{""id"": 18}]', "genres: not a JSON list of names or TMDB objects (no 'name' key"),
        ('[""Drama"", null]', "genres: every item must be a name"),
        # pandas' to_csv of a column of lists: Python literals, said so with how to write them.
        ("['Drama', 'Crime']", "genres: a Python literal, not JSON (single quotes, as pandas"),
        ("[{'id': 18, 'name': 'Drama'}]", "genres: a Python literal, not JSON"),
    ],
)
def test_bad_list_cells_name_the_field(cell: str, message: str) -> None:
    _, errors = rows_to_films(read(f'budget,runtime,genres\n1e7,100,"{cell}"\n'))
    assert errors[0].startswith(message), errors[0]


def test_a_frame_of_lists_written_by_pandas_is_named_with_how_to_write_it() -> None:
    import json

    frame = pd.DataFrame({"budget": [1e7], "runtime": [100], "genres": [["Drama", "Crime"]]})
    _, errors = rows_to_films(read(frame.to_csv(index=False)))
    assert "json.dumps" in errors[0], errors
    films, errors = rows_to_films(
        read(frame.assign(genres=frame.genres.map(json.dumps)).to_csv(index=False))
    )
    assert errors == {} and films[0]["genres"] == ["Drama", "Crime"]


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("relase_date", "release_date"),
        ("Genre", "genres"),
        ("keyword", "keywords"),
        ("runtmie", "runtime"),
        ("titel", "title"),
    ],
)
def test_a_column_a_letter_off_a_field_is_refused_naming_it(header: str, field: str) -> None:
    from serving.cells import near_field

    with pytest.raises(ValueError, match=f"did you mean '{field}'"):
        read(
            f"budget,runtime,{header}\n1e8,100,x\n"
            if header != "runtmie"
            else "budget,runtmie\n1e8,100\n"
        )
    # A column far from every field (an id, TMDB's overview) is not one: it is left out.
    assert [near_field(n) for n in ("id", "overview", "notes", "revenue", "cast")] == [None] * 5


def test_repeated_or_missing_rows_are_refused() -> None:
    with pytest.raises(ValueError, match="budget appear more than once"):
        read("budget,runtime,Budget\n1,2,3\n")
    with pytest.raises(ValueError, match="release_date appear more than once"):
        read("budget,release_date,Release Date\n1,2,3\n")
    with pytest.raises(ValueError, match="no rows to score"):
        read("budget,runtime\n")


@pytest.mark.parametrize("text", ["nan", "NaN", "inf", "-Infinity"])
def test_a_number_cell_that_is_not_finite_is_refused(text: str) -> None:
    _, errors = rows_to_films(read(f"budget,runtime,popularity\n1e7,100,{text}\n"))
    assert errors[0] == f"popularity: {text!r} is not a number"


@pytest.mark.parametrize(
    ("text", "usd"),
    [
        ("150000000", 150e6),
        ("$150,000,000", 150e6),  # a spreadsheet's currency format, saved as CSV
        (" US$ 24,000,000.50 ", 24_000_000.5),
        ("150M", 150e6),
        ("150 m", 150e6),
        ("$1.5B", 1.5e9),
        ("750k", 750e3),
        ("1.5e8", 150e6),
        ("150_000_000", 150e6),
        ("-5M", -5e6),  # a sign is read; the field's bounds refuse it
    ],
)
def test_an_amount_is_read_as_people_write_it(text: str, usd: float) -> None:
    assert amount(text) == usd


@pytest.mark.parametrize(
    "text", ["1,5", "24,000,00", "1,000_000", "nan", "inf", "1e400", "$", "", "20X", "1.2.3"]
)
def test_a_text_that_is_no_amount_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="is not an amount"):
        amount(text)


def test_amount_cells_in_a_table() -> None:
    films, errors = rows_to_films(
        read(
            'title,budget,runtime,marketing_usd\nA,"$150,000,000",120,20M\nB,"1,5",120,\nC,150,120,\n'
        )
    )
    assert films[0] == {"title": "A", "budget": 150e6, "runtime": 120.0, "marketing_usd": 20e6}
    assert errors[1] == f"budget: '1,5' is not an amount ({AMOUNT_EXAMPLES})"
    assert errors[2].startswith("budget: 150 is $150, under $10,000")


def test_a_share_may_be_written_as_a_percentage() -> None:
    import typer

    from serving.cells import cell
    from serving.client import _share

    assert cell("studio_share", "45%") == 0.45 and cell("hit_threshold", "60 %") == 0.6
    with pytest.raises(ValueError, match=r"runtime: '45%' is not a number"):
        cell("runtime", "45%")  # a share's way of writing only
    assert _share("45%") == _share("0.45") == 0.45 and _share(None) is None
    with pytest.raises(typer.BadParameter, match=r"45 is not a share .* \(45% is 0.45\)"):
        _share("45")
    with pytest.raises(typer.BadParameter, match=r"'abc' is not a number \(0.45, or 45%\)"):
        _share("abc")
    with pytest.raises(typer.BadParameter) as refused:  # a percentage already: out of range only
        _share("150%")
    assert str(refused.value.message) == "150% is not a share from 0.01 to 1"
