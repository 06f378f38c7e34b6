"""The protocol's years come from the table: its newest year with enough labelled films, the
six test years before it, the six selection years before those; a table too short stops with
one line."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.helpers.tmdb_tables import movies_and_credits, write_tables
from training.calendar import MIN_FILMS_PER_YEAR, calendar_of, check_forward_hit_classes
from training.data import DataError, load_movies
from training.refit import after_newest, fitted_films
from training.split import implausible_counts, make_splits


def splits_of(tmp_path, movies: pd.DataFrame):
    path, _ = write_tables(tmp_path, movies)
    return make_splits(load_movies(path).frame)


@pytest.mark.parametrize(
    ("last", "test", "selection", "first_origin"),
    [(2012, (2007, 2012), (2001, 2006), 1995), (2024, (2019, 2024), (2013, 2018), 2007)],
)
def test_the_years_follow_the_table(tmp_path, last, test, selection, first_origin) -> None:
    movies, _ = movies_and_credits(1980, last, per_year=40)
    calendar = calendar_of(splits_of(tmp_path, movies), "full")
    assert calendar.newest_year == last
    assert (calendar.test_years[0], calendar.test_years[-1]) == test
    assert (calendar.selection_years[0], calendar.selection_years[-1]) == selection
    assert calendar.trained_to == test[0] - 1
    assert calendar.forward_origins[0] == first_origin
    assert calendar.forward_origins[-1] == last
    quick = calendar_of(splits_of(tmp_path, movies), "quick")
    assert quick.tuning_years == (selection[1] - 1, selection[1])
    assert quick.test_years == calendar.test_years


def test_a_thin_newest_year_is_not_the_newest(tmp_path) -> None:
    """A table's last year often holds a handful of early releases: the newest year is the
    latest with MIN_FILMS_PER_YEAR labelled films."""
    movies, _ = movies_and_credits(1980, 2017, per_year=40)
    thin = movies["release_date"].str.startswith("2017")
    movies = pd.concat([movies[~thin], movies[thin].head(MIN_FILMS_PER_YEAR - 1)])
    splits = splits_of(tmp_path, movies)
    assert calendar_of(splits, "full").newest_year == 2016
    # Nor do the served models learn from it: their newest year is the one their backtest knows.
    served = fitted_films(splits, "none", 2016)
    assert served["release_year"].max() == 2016
    later = after_newest(splits, 2016)
    assert len(served) + len(later) == int(splits.plausible.sum())
    assert later == [2017] * (MIN_FILMS_PER_YEAR - 1)


def test_a_table_too_short_stops_with_one_line(tmp_path) -> None:
    movies, _ = movies_and_credits(2014, 2016, per_year=400)
    with pytest.raises(DataError) as error:
        calendar_of(splits_of(tmp_path, movies), "full")
    message = str(error.value)
    assert "\n" not in message
    assert message.startswith("the table is too short: the training protocol needs 12 years")
    assert "with its newest year 2016 it has labelled films in 2005: 0" in message


@pytest.mark.parametrize("profile", ["full", "quick"])
def test_too_few_films_before_the_first_origin_is_named(tmp_path, profile: str) -> None:
    """The quick profile fits fewer origins, but refuses the table the full one would: a smoke
    run that passes says the full run will."""
    movies, _ = movies_and_credits(1995, 2016, per_year=35)
    with pytest.raises(
        DataError,
        match=r"; with its newest year 2016 it has 140 films released before 1999, the first "
        r"origin \(it needs 200: add earlier films\)$",
    ):
        calendar_of(splits_of(tmp_path, movies), profile)


def test_films_dated_years_after_the_rest_are_pointed_at(tmp_path) -> None:
    movies, _ = movies_and_credits(1980, 2016, per_year=40)
    movies.loc[movies.index[: MIN_FILMS_PER_YEAR + 5], "release_date"] = "2031-06-01"
    with pytest.raises(DataError) as error:
        calendar_of(splits_of(tmp_path, movies), "full")
    assert str(error.value).endswith(
        f"(its {MIN_FILMS_PER_YEAR + 5} labelled films of 2031 come 15 years after any other, "
        "the newest of 2016: check their release dates)"
    )


def test_the_years_said_are_those_the_choice_is_made_on() -> None:
    from training.calendar import Calendar

    full, quick = Calendar.from_years(2016, "full"), Calendar.from_years(2016, "quick")
    assert full.describe().startswith("selection 2005-2010, test 2011-2016 (trained to 2010)")
    assert quick.describe().startswith(
        "chosen on 2009-2010 (quick: the last 2 of the selection years 2005-2010), test 2011-2016"
    )


def test_a_hit_ratio_leaving_few_hits_in_the_forward_years_stops_with_one_line(tmp_path) -> None:
    movies, _ = movies_and_credits(1980, 2012, per_year=40)
    splits = splits_of(tmp_path, movies)
    calendar = calendar_of(splits, "full")
    ratio = splits.population["revenue"] / splits.population["budget"]
    check_forward_hit_classes(splits, calendar, 2.0)  # the built table: hits and flops alike
    # a ratio only the best few films of the test years pass
    test_films = splits.population["release_year"].isin(calendar.test_years) & splits.plausible
    high = float(ratio[test_films].sort_values().iloc[-5])
    with pytest.raises(
        DataError, match=r"^with hit ratio .*, the films of the (tuning|test) years "
    ):
        check_forward_hit_classes(splits, calendar, high)


def test_amounts_in_another_unit_are_counted_by_rule(tmp_path) -> None:
    movies, _ = movies_and_credits(1980, 2012, per_year=40)
    assert implausible_counts(splits_of(tmp_path, movies)) == {}
    movies.loc[movies.index[:7], "budget"] = 150  # in millions
    movies.loc[movies.index[7:9], "budget"] = 2_000_000_000  # in cents
    assert implausible_counts(splits_of(tmp_path, movies)) == {
        "budget below $10,000 (unit error)": 7,
        "budget of $1,000,000,000 or more, which no film has cost (unit error)": 2,
    }
