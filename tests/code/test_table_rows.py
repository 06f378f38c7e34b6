"""/predict_table's rows as films: a bad row names every problem it has, not only the first."""

from __future__ import annotations

import pandas as pd

from serving.tables import _validated, to_films


def test_a_row_with_an_unreadable_cell_also_names_the_rest_of_its_problems() -> None:
    frame = pd.DataFrame(
        {
            "title": ["A", "B"],
            "budget": ["1e8", "1e8"],
            "runtime": ["abc", "100"],
            "genres": ["Actoin", "Action"],
        }
    )
    films, errors = to_films(frame)
    assert films[0] is None and films[1] == {
        "title": "B",
        "budget": 1e8,
        "runtime": 100.0,
        "genres": ["Action"],
    }
    said = errors[0].split("; ")
    assert said[0] == "runtime: 'abc' is not a number"
    assert said[1].startswith("genres: unknown genre(s) 'Actoin'")
    assert not any(s.startswith("runtime: Field required") for s in said)


def test_a_film_the_api_refuses_names_each_field() -> None:
    good, batch, errors = _validated(
        [{"budget": 1e8, "runtime": -1, "genres": ["Actoin"]}, {"budget": 1e8, "runtime": 90}]
    )
    assert good == [1] and batch is not None and len(batch) == 1
    said = errors[0].split("; ")
    assert said[0] == "runtime: Input should be greater than 0"
    assert said[1].startswith("genres: unknown genre(s) 'Actoin'")
