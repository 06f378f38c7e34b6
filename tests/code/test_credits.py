"""The cast and crew: reading TMDB's credits table, their track records without a leak, and a
forward backtest that reads them only where they gain."""

from __future__ import annotations

import json
import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from boxoffice.config import CAST_TOP_BILLED, FEATURE_SETS
from boxoffice.features import ENCODED_STATS, FilmFeatures
from tests.helpers.films import films
from tests.helpers.tmdb_tables import movies_and_credits, write_tables
from training.calendar import calendar_of
from training.credits import (
    MIN_CREDITED_SHARE,
    cast_names,
    credited_share,
    director_names,
    films_credited,
    join_credits,
    load_credits,
    with_credits,
)
from training.data import DataError, load_movies
from training.dollars import cpi_table
from training.forecasts import CREDITS_MARGIN, run_forecasts
from training.pipeline import truth_of
from training.split import make_splits

CAST = json.dumps(
    [
        {"name": "Second", "order": 1, "character": "B"},
        {"name": "First", "order": 0, "character": "A"},
        {"name": "Third", "order": 2, "character": "C"},
    ]
)
CREW = json.dumps(
    [
        {"name": "A Writer", "job": "Screenplay", "department": "Writing"},
        {"name": "The Director", "job": "Director", "department": "Directing"},
        {"name": "Co Director", "job": "Director", "department": "Directing"},
    ]
)


def test_cast_is_read_by_billing_and_directors_by_job() -> None:
    assert cast_names(CAST, "json") == ["First", "Second", "Third"]
    assert cast_names('["Plain", "Names"]', "json") == ["Plain", "Names"]
    assert cast_names("Ann|Bob", "|") == ["Ann", "Bob"]
    assert cast_names("not json", "json") is None
    assert director_names(CREW) == ["The Director", "Co Director"]
    assert director_names("") == []
    assert director_names("[1, 2]") is None


def test_a_credits_table_joins_by_tmdb_id_and_a_film_it_lacks_is_not_given(tmp_path) -> None:
    movies, credits = movies_and_credits(2000, 2001, per_year=5)
    movies_path, credits_path = write_tables(tmp_path, movies, credits.iloc[1:])
    loaded = with_credits(load_movies(movies_path), None)  # found beside the movies
    assert loaded.credits is not None and loaded.credits.path == credits_path
    frame = loaded.frame
    assert frame["directors"].iloc[0] is None and frame["cast"].iloc[0] is None
    assert frame["directors"].iloc[1] == [json.loads(credits["crew"].iloc[1])[1]["name"]]
    assert len(frame["cast"].iloc[1]) == 6
    alone = tmp_path / "alone"
    alone.mkdir()
    movies.to_csv(alone / "movies.csv", index=False)
    bare = with_credits(load_movies(alone / "movies.csv"), None)
    assert bare.credits is None and bare.frame["directors"].isna().all()


def test_a_credits_table_that_credits_no_film_is_an_error(tmp_path) -> None:
    movies, credits = movies_and_credits(2000, 2001, per_year=5)
    credits = credits.assign(movie_id=credits["movie_id"] + 10_000_000)
    movies_path, _ = write_tables(tmp_path, movies, credits)
    with pytest.raises(DataError, match="none of its movie_id values is the id of a film"):
        with_credits(load_movies(movies_path), None)


def test_credits_are_tried_only_where_they_cover_the_choices_films(tmp_path) -> None:
    """A table crediting only the newest films leaves the years the choice is made on without
    a track record: their share, not their number, decides whether credits are tried."""
    movies, credits = movies_and_credits(2000, 2005, per_year=20)
    newest = movies.loc[movies["release_date"].str.startswith("2005"), "id"]
    movies_path, _ = write_tables(tmp_path, movies, credits[credits["movie_id"].isin(newest)])
    splits = make_splits(with_credits(load_movies(movies_path), None).frame, seed=0)
    assert films_credited(splits) > 0
    assert credited_share(splits, 2004) == 0.0
    assert credited_share(splits, 2005) == pytest.approx(
        films_credited(splits) / len(splits.population)
    )
    assert MIN_CREDITED_SHARE == 0.5


def test_a_credits_table_in_another_shape_is_one_clear_error(tmp_path) -> None:
    path = tmp_path / "credits.csv"
    pd.DataFrame({"id": [1], "people": ["[]"]}).to_csv(path, index=False)
    with pytest.raises(DataError, match=r"missing column.*movie_id.*cast.*crew"):
        load_credits(path)
    pd.DataFrame({"movie_id": ["x1"], "cast": ["[]"], "crew": ["[]"]}).to_csv(path, index=False)
    with pytest.raises(DataError, match=r"movie_id.*not TMDB ids"):
        load_credits(path)
    movies, _ = movies_and_credits(2000, 2000, per_year=3)
    movies.to_csv(tmp_path / "movies.csv", index=False)
    with pytest.raises(DataError, match=r"--credits .*nowhere\.csv: no such file"):
        with_credits(load_movies(tmp_path / "movies.csv"), tmp_path / "nowhere.csv")


def test_a_film_s_own_revenue_never_enters_its_own_track_record() -> None:
    """Pairs of films share a director and the target is noise: a cross-fitted record is
    the partner's (or nothing), so it cannot predict the film's own target."""
    data = films(400)
    data["directors"] = [[f"D{i // 2}"] for i in range(400)]
    data["cast"] = [[f"A{i}"] for i in range(400)]
    target = np.random.default_rng(5).normal(0, 1, 400)
    features = FilmFeatures(min_count=1, target_encoding=True, te_min_count=1, credits=True)
    X = features.fit_transform(data, target)
    column = list(features.get_feature_names_out()).index("director_record_mean")
    assert abs(np.corrcoef(X[:, column], target)[0, 1]) < 0.15
    # Refitted and read back on the same films, the record holds each film's own target.
    leaked = features.transform(data)[:, column]
    assert np.corrcoef(leaked, target)[0, 1] > 0.3


def test_only_the_top_billed_cast_is_read_and_credits_off_reads_none() -> None:
    data = films(60)
    data["directors"] = [["D"]] * 60
    data["cast"] = [[f"Star {i % 3}", *(f"Extra {k}" for k in range(8))] for i in range(60)]
    y = np.log1p(data["budget"])
    on = FilmFeatures(min_count=1, target_encoding=True, credits=True).fit(data, y)
    assert set(on.encodings_["cast"]) <= {
        *(f"Star {i}" for i in range(3)),
        *(f"Extra {k}" for k in range(CAST_TOP_BILLED - 1)),
    }
    assert "director_record_mean" in on.get_feature_names_out()
    off = FilmFeatures(min_count=1, target_encoding=True).fit(data, y)
    assert not any("director" in n or "cast" in n for n in off.get_feature_names_out())
    alone = FilmFeatures(min_count=1, credits=True).fit(data, y)  # no companies' records
    assert [n for n in alone.get_feature_names_out() if "_record_" in n] == [
        f"{prefix}_record_{stat}" for prefix in ("director", "cast") for stat in ENCODED_STATS
    ]


def _forward(tmp_path, directors: str):
    movies, credits = movies_and_credits(1988, 2016, per_year=70, seed=3, directors=directors)
    movies_path, _ = write_tables(tmp_path / directors, movies, credits)
    splits = make_splits(with_credits(load_movies(movies_path), None).frame)
    calendar = calendar_of(splits, "quick")
    features = {"target_encoding": True, "min_count": 5}
    revenue = {
        fs: Pipeline([("features", FilmFeatures(fs, **features)), ("model", Ridge(1.0))])
        for fs in FEATURE_SETS
    }
    hit = {
        fs: (
            Pipeline(
                [
                    ("features", FilmFeatures(fs, **features)),
                    ("scale", StandardScaler()),
                    ("model", LogisticRegression()),
                ]
            ),
            "hit",
        )
        for fs in FEATURE_SETS
    }
    assert films_credited(splits) == splits.n_population
    return run_forecasts(
        revenue,
        hit,
        splits,
        calendar,
        cpi_table(),
        truth_of(splits, 2.0),
        2.0,
        0,
        1,
        credits=True,
    )


def _gain(scores, window: str, metric: str) -> float:
    return scores[f"with_{window}"].metrics[metric] - scores[f"without_{window}"].metrics[metric]


def test_planted_directors_are_read_because_the_forward_backtest_gains(tmp_path) -> None:
    for feature_set, result in _forward(tmp_path, "planted").items():
        scores = result.credits_scores
        assert result.variant.credits, feature_set
        assert _gain(scores, "development", "r2") > 0.1
        assert _gain(scores, "tested", "r2") > 0.1  # and on years no choice used
        assert _gain(scores, "tested", "roc_auc") > 0.02


def test_directors_drawn_at_random_gain_nothing_and_are_not_read(tmp_path) -> None:
    for feature_set, result in _forward(tmp_path, "random").items():
        scores = result.credits_scores
        assert not result.variant.credits, feature_set
        assert _gain(scores, "development", "r2") < CREDITS_MARGIN
        assert _gain(scores, "tested", "r2") < CREDITS_MARGIN


def test_without_a_credits_table_every_film_is_scored_as_before() -> None:
    data = films(80)
    y = np.log1p(data["budget"])
    plain = FilmFeatures(min_count=1, target_encoding=True).fit(data, y)
    with_columns = data.assign(directors=None, cast=None)
    np.testing.assert_array_equal(plain.transform(data), plain.transform(with_columns))
    assert join_credits(data.assign(id=range(80)), None)["directors"].isna().all()


def test_the_cast_read_is_the_fitted_features_own_not_the_constant() -> None:
    from boxoffice.config import CAST_TOP_BILLED

    cast = {"cast": [["A", "B", "C", "D", "E", "F", "G"]]}
    assert FilmFeatures(credits=True, cast_top_billed=2).item_lists(cast, "cast", 1) == [["A", "B"]]
    older = FilmFeatures(credits=True)
    del older.cast_top_billed  # features pickled before it was a parameter
    pickled_before = pickle.loads(pickle.dumps(older))
    assert pickled_before.item_lists(cast, "cast", 1) == [cast["cast"][0][:CAST_TOP_BILLED]]
    assert clone(pickled_before).get_params()["cast_top_billed"] == CAST_TOP_BILLED
